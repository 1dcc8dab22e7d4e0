package testserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisURL is the Redis the tests use.
const RedisURL = "redis://127.0.0.1:6379/0"

// Redis returns a client for the test Redis and a key prefix unique to this
// test, so parallel tests never share counters; keys under the prefix are
// deleted at the end. Without a Redis the test is skipped, except in CI
// (CI=true), where a missing Redis is a failure, not a silent pass.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s is required in CI: %v", RedisURL, err)
		}
		t.Skipf("no Redis at %s (%v); skipping (set CI=true to make this a failure)", RedisURL, err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix := "authsvc-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		c.Close()
	})
	return c, prefix
}
