package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"authsvc/internal/smtptest"
	"authsvc/internal/testserver"
	"authsvc/mail"
)

const from = "authsvc <no-reply@example.test>"

func resetMsg(t *testing.T, link string) mail.Message {
	t.Helper()
	m, err := mail.ResetMessage("ann@example.test", mail.ResetData{Username: "ann", Link: link, Valid: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPDeliversMultipart(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	m, err := mail.NewSMTP(srv.URL(), from)
	if err != nil {
		t.Fatal(err)
	}
	link := "https://app.example.test/reset?token=abc_DEF-123&x=<y>"
	if err := m.Send(context.Background(), resetMsg(t, link)); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := srv.Wait(t, 0)
	if got.From != "no-reply@example.test" || len(got.To) != 1 || got.To[0] != "ann@example.test" {
		t.Fatalf("envelope: from %q to %v", got.From, got.To)
	}
	p := smtptest.Parse(t, got.Raw)
	if p.Header.Get("Subject") != "Reset your password" || !strings.Contains(p.Header.Get("From"), "no-reply@example.test") {
		t.Fatalf("headers: %v", p.Header)
	}
	if !strings.Contains(p.Text, link) {
		t.Fatalf("text part lacks the link: %q", p.Text)
	}
	// html/template escapes the link in the attribute; the HTML must not carry it raw.
	if !strings.Contains(p.HTML, `href="https://app.example.test/reset?token=abc_DEF-123&amp;x=%3cy%3e"`) {
		t.Fatalf("html part: %q", p.HTML)
	}
}

func TestSMTPRefusesWrongPassword(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	m, err := mail.NewSMTP("smtp://"+smtptest.User+":wrong@"+srv.Addr, from)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), resetMsg(t, "https://x.test/?token=t")); err == nil {
		t.Fatal("send with a wrong password succeeded")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages accepted", n)
	}
}

func TestNewSMTPRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://host:25", "smtp://", "://x"} {
		if _, err := mail.NewSMTP(u, from); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestQueueRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failures  int
		delivered int
		sleeps    []time.Duration
		logHas    string
	}{
		{"succeeds on third attempt", 2, 1, []time.Duration{time.Second, 2 * time.Second}, "mail sent"},
		{"gives up after three attempts", 5, 0, []time.Duration{time.Second, 2 * time.Second}, "giving up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t)
			srv.FailNext(tc.failures)
			m, err := mail.NewSMTP(srv.URL(), from)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var slept []time.Duration
			var log testserver.LogBuffer
			q := mail.NewQueue(m, mail.QueueOptions{
				Attempts: 3, Backoff: time.Second, Log: newLogger(&log),
				Sleep: func(_ context.Context, d time.Duration) error {
					mu.Lock()
					slept = append(slept, d)
					mu.Unlock()
					return nil
				},
			})
			defer q.Close(context.Background())
			const link = "https://app.test/reset?token=SECRET-TOKEN-VALUE"
			if !q.Enqueue(resetMsg(t, link)) {
				t.Fatal("enqueue refused")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := q.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.Messages()); n != tc.delivered {
				t.Fatalf("delivered %d, want %d", n, tc.delivered)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(slept) != len(tc.sleeps) || slept[0] != tc.sleeps[0] || slept[1] != tc.sleeps[1] {
				t.Fatalf("slept %v, want %v", slept, tc.sleeps)
			}
			out := log.String()
			if !strings.Contains(out, tc.logHas) {
				t.Fatalf("log lacks %q:\n%s", tc.logHas, out)
			}
			if strings.Contains(out, "SECRET-TOKEN-VALUE") || strings.Contains(out, "ann@example.test") {
				t.Fatalf("log leaks the link or the address:\n%s", out)
			}
		})
	}
}

func TestOutboxWritesPrivateEML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	q := mail.NewQueue(mail.NewOutbox(dir, from), mail.QueueOptions{})
	for i := 0; i < 3; i++ {
		if !q.Enqueue(resetMsg(t, "https://app.test/r?token=tok")) {
			t.Fatal("enqueue refused")
		}
	}
	// Close drains what was queued before it returns.
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if q.Enqueue(resetMsg(t, "https://app.test/r?token=late")) {
		t.Fatal("enqueue after close accepted")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d files in outbox, want 3", len(entries))
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".tmp") {
			t.Fatalf("unexpected file %s", e.Name())
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if p := smtptest.Parse(t, raw); !strings.Contains(p.Text, "https://app.test/r?token=tok") {
			t.Fatalf("eml text: %q", p.Text)
		}
	}
}

func TestComposeRefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	m := mail.Message{To: "a@b.test", Subject: "hi\r\nBcc: evil@x.test"}
	if _, err := mail.Compose(from, m); err == nil {
		t.Fatal("subject with CRLF accepted")
	}
	m = mail.Message{To: "a@b.test\r\nBcc: evil@x.test", Subject: "hi"}
	if _, err := mail.Compose(from, m); err == nil {
		t.Fatal("recipient with CRLF accepted")
	}
}

func TestSMTPUsesTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode smtptest.Mode
	}{
		{"STARTTLS when offered", smtptest.StartTLS},
		{"smtps implicit TLS", smtptest.Implicit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.StartMode(t, tc.mode)
			m, err := mail.NewSMTP(srv.URL(), from)
			if err != nil {
				t.Fatal(err)
			}
			// Without trusting the test CA the certificate is refused.
			if err := m.Send(context.Background(), resetMsg(t, "https://x.test/?token=t")); err == nil {
				t.Fatal("untrusted certificate accepted")
			}
			m = m.WithTLSConfig(&tls.Config{RootCAs: srv.CertPool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
			if err := m.Send(context.Background(), resetMsg(t, "https://x.test/?token=t")); err != nil {
				t.Fatalf("send: %v", err)
			}
			if got := srv.Wait(t, 0); !got.TLS {
				t.Fatal("message delivered over an unencrypted session")
			}
		})
	}
}

func TestSMTPPlainDeliveryIsUnencrypted(t *testing.T) {
	t.Parallel()
	// The control for TestSMTPUsesTLS: the TLS flag is not always true.
	srv := smtptest.Start(t)
	m, err := mail.NewSMTP(srv.URL(), from)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), resetMsg(t, "https://x.test/?token=t")); err != nil {
		t.Fatal(err)
	}
	if srv.Wait(t, 0).TLS {
		t.Fatal("plain session reported as TLS")
	}
}

func TestQueueSubmitRunsBuildOnWorker(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	var log testserver.LogBuffer
	q := mail.NewQueue(mail.NewOutbox(dir, from), mail.QueueOptions{Log: newLogger(&log)})
	builds := []mail.Build{
		func(context.Context) (mail.Message, bool, error) {
			return resetMsg(t, "https://a.test/?token=one"), true, nil
		},
		func(context.Context) (mail.Message, bool, error) { return mail.Message{}, false, nil },
		func(context.Context) (mail.Message, bool, error) {
			return mail.Message{}, false, errors.New("db is down")
		},
	}
	for _, b := range builds {
		if !q.Submit(mail.KindPasswordReset, b) {
			t.Fatal("submit refused")
		}
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %v, %v; want one message", entries, err)
	}
	if !strings.Contains(log.String(), `"msg":"mail not prepared"`) || !strings.Contains(log.String(), "db is down") {
		t.Fatalf("build error not logged:\n%s", log.String())
	}
}
