package accounts

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"authsvc/mail"
	"authsvc/models"
)

// TestDeviceFingerprint checks what counts as one device: the same user
// agent inside one /24 (IPv4) or /48 (IPv6) is, a different user agent or
// a different network is not.
func TestDeviceFingerprint(t *testing.T) {
	t.Parallel()
	const firefox, chrome = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Mozilla/5.0 Chrome/140.0"
	tests := []struct {
		name     string
		uaA, ipA string
		uaB, ipB string
		same     bool
		prefixA  string
	}{
		{"IPv4 inside one /24", firefox, "203.0.113.5", firefox, "203.0.113.250", true, "203.0.113.0/24"},
		{"IPv4 next /24", firefox, "203.0.113.5", firefox, "203.0.114.5", false, "203.0.113.0/24"},
		{"IPv4-mapped IPv6 is IPv4", firefox, "::ffff:203.0.113.9", firefox, "203.0.113.5", true, "203.0.113.0/24"},
		{"IPv6 inside one /48", firefox, "2001:db8:1:aaaa::1", firefox, "2001:db8:1:ffff:1:2:3:4", true, "2001:db8:1::/48"},
		{"IPv6 next /48", firefox, "2001:db8:1::1", firefox, "2001:db8:2::1", false, "2001:db8:1::/48"},
		{"IPv6 zone ignored", firefox, "fe80::1%eth0", firefox, "fe80::2%eth1", true, "fe80::/48"},
		{"different user agents differ", firefox, "203.0.113.5", chrome, "203.0.113.5", false, "203.0.113.0/24"},
		{"user agent without an address", firefox, "", firefox, "not an ip", true, ""},
		{"no address differs from one", firefox, "", firefox, "203.0.113.5", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ipPrefix(tc.ipA); got != tc.prefixA {
				t.Errorf("ipPrefix(%q) = %q, want %q", tc.ipA, got, tc.prefixA)
			}
			a := deviceFingerprint(tc.uaA, ipPrefix(tc.ipA))
			b := deviceFingerprint(tc.uaB, ipPrefix(tc.ipB))
			if len(a) != 64 {
				t.Fatalf("fingerprint %q is not 64 hex digits", a)
			}
			if (a == b) != tc.same {
				t.Errorf("(%q, %q) and (%q, %q): same %v, want %v", tc.uaA, tc.ipA, tc.uaB, tc.ipB, a == b, tc.same)
			}
		})
	}
}

// TestNoteSignInRecordsDevices signs a user in through noteSignIn on a real
// store and mail queue: sightings are recorded, one per device, and
// without an outbox (no notice could go out) nothing is.
func TestNoteSignInRecordsDevices(t *testing.T) {
	t.Parallel()
	for _, withOutbox := range []bool{true, false} {
		t.Run(map[bool]string{true: "outbox", false: "no outbox"}[withOutbox], func(t *testing.T) {
			t.Parallel()
			noteSignInCase(t, withOutbox)
		})
	}
}

// noteSignInCase signs ann in from three sightings of two devices and
// counts what the worker recorded.
func noteSignInCase(t *testing.T, withOutbox bool) {
	ctx := context.Background()
	st, err := models.Open(ctx, models.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "auth.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	u := &models.User{Username: "ann", UsernameKey: "ann", Email: "ann@example.test", DateJoined: now, IsActive: true}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	q := mail.NewQueue(mail.NewOutbox(filepath.Join(t.TempDir(), "outbox"), "authsvc <no-reply@example.test>"), mail.QueueOptions{Log: log})
	o := Options{Store: st, Log: log, Now: func() time.Time { return now }, Email: EmailOptions{SecurityMail: true}}
	if withOutbox {
		o.Reset.Outbox = q
	}
	s := New(o)
	for _, m := range []Meta{
		{UserAgent: "curl/8", IP: "203.0.113.5"},
		{UserAgent: "curl/8", IP: "203.0.113.77"}, // the same device
		{UserAgent: "Firefox/140", IP: "203.0.113.5"},
	} {
		s.noteSignIn(ctx, u, m)
	}
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := st.R.Model(&models.KnownDevice{}).Where("user_id = ?", u.ID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if want := map[bool]int64{true: 2, false: 0}[withOutbox]; n != want {
		t.Errorf("outbox %v: %d devices recorded, want %d", withOutbox, n, want)
	}
}
