package throttle_test

import (
	"context"
	"testing"
	"time"

	"authsvc/internal/testserver"
	"authsvc/throttle"
)

func TestRedisLimiter(t *testing.T) {
	t.Parallel()
	client, prefix := testserver.Redis(t)
	c := &fakeClock{t: start}
	exercise(t, throttle.NewRedis(client, prefix, c.Now), c, "k")

	// Every key the limiter wrote carries a TTL: none can live forever.
	ctx := context.Background()
	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	for _, k := range keys {
		ttl, err := client.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > 2*time.Minute {
			t.Errorf("key %s has TTL %v (%v)", k, ttl, err)
		}
	}
}

func TestRedisUndoAfterExpiryCreatesNothing(t *testing.T) {
	t.Parallel()
	client, prefix := testserver.Redis(t)
	c := &fakeClock{t: start}
	l := throttle.NewRedis(client, prefix, c.Now)
	ctx := context.Background()
	h, err := l.Take(ctx, "gone", big)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := client.Keys(ctx, prefix+"*").Result()
	client.Del(ctx, keys...) // as if the TTL had run out
	if err := l.Undo(ctx, h); err != nil {
		t.Fatal(err)
	}
	if keys, _ := client.Keys(ctx, prefix+"*").Result(); len(keys) != 0 {
		t.Fatalf("undo re-created keys without TTL: %v", keys)
	}
}
