package mail_test

import (
	"strings"
	"testing"
	"time"

	"authsvc/internal/smtptest"
	"authsvc/mail"
)

var noticeAt = time.Date(2026, 12, 2, 15, 4, 0, 0, time.UTC)

// composed renders m as it goes out and parses it back, so the checks see
// what a mail client sees (both parts, quoted-printable decoded).
func composed(t *testing.T, m mail.Message) smtptest.Parsed {
	t.Helper()
	raw, err := mail.Compose(from, m)
	if err != nil {
		t.Fatalf("compose %s: %v", m.Kind, err)
	}
	return smtptest.Parse(t, raw)
}

// TestNoticeMessages renders every notice kind: its subject, the facts it
// must state in both parts, and no link (a notice has nothing to click).
func TestNoticeMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, subject string
		says          []string
	}{
		{mail.KindPasswordChanged, "Your password was changed", []string{"password of your account was changed"}},
		{mail.KindEmailChangeRequested, "Your email address is being changed", []string{"new@example.test", "link sent to that address"}},
		{mail.KindMFAEnabled, "Two-step verification was turned on", []string{"turned on"}},
		{mail.KindMFADisabled, "Two-step verification was turned off", []string{"turned off", "administrator"}},
		{mail.KindNewDevice, "New sign-in to your account", []string{"curl/8.5", "203.0.113.0/24"}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			d := mail.NoticeData{
				Username: "ann", Kind: tc.kind, NewEmail: "new@example.test",
				UserAgent: "curl/8.5", IP: "203.0.113.0/24", At: noticeAt,
			}
			m, err := mail.NoticeMessage("ann@example.test", d, noticeAt.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tc.kind || m.To != "ann@example.test" || !m.Date.Equal(noticeAt.Add(time.Minute)) {
				t.Fatalf("message %+v", m)
			}
			p := composed(t, m)
			if got := p.Header.Get("Subject"); got != tc.subject {
				t.Errorf("subject %q, want %q", got, tc.subject)
			}
			for part, body := range map[string]string{"text": p.Text, "html": p.HTML} {
				for _, s := range append([]string{"Hello ann", "2 December 2026 at 15:04 UTC"}, tc.says...) {
					if !strings.Contains(body, s) {
						t.Errorf("%s part lacks %q:\n%s", part, s, body)
					}
				}
				for _, s := range []string{"http", "href", "token"} {
					if strings.Contains(strings.ToLower(body), s) {
						t.Errorf("%s part holds %q:\n%s", part, s, body)
					}
				}
			}
		})
	}
}

// TestNoticeEscapesClientText feeds a hostile user agent, username and
// address: the HTML part carries them escaped, the text part cannot be
// given forged lines, and a very long value is cut.
func TestNoticeEscapesClientText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kind string
		d          mail.NoticeData
		htmlHas    []string
	}{
		{"user agent", mail.KindNewDevice,
			mail.NoticeData{Username: "ann", UserAgent: "<script>alert(1)</script>\r\nBcc: evil@x.test", IP: "203.0.113.0/24"},
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;"}},
		{"new address", mail.KindEmailChangeRequested,
			mail.NoticeData{Username: "ann", NewEmail: `"><img src=x onerror=alert(1)>@x.test`},
			[]string{"&#34;&gt;&lt;img src=x onerror=alert(1)&gt;@x.test"}},
		{"username", mail.KindPasswordChanged,
			mail.NoticeData{Username: "<b>ann</b>"},
			[]string{"Hello &lt;b&gt;ann&lt;/b&gt;"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.d.Kind = tc.kind
			m, err := mail.NoticeMessage("ann@example.test", tc.d, noticeAt)
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range []string{"<script", "<img", "<b>ann"} {
				if strings.Contains(m.HTML, raw) {
					t.Errorf("html holds %q unescaped:\n%s", raw, m.HTML)
				}
			}
			for _, s := range tc.htmlHas {
				if !strings.Contains(m.HTML, s) {
					t.Errorf("html lacks %q:\n%s", s, m.HTML)
				}
			}
			for _, line := range strings.Split(m.Text, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "Bcc:") || strings.ContainsRune(line, '\r') {
					t.Errorf("text has a forged line %q", line)
				}
			}
		})
	}
	long := strings.Repeat("A", 5000)
	m, err := mail.NoticeMessage("ann@example.test", mail.NoticeData{Kind: mail.KindNewDevice, UserAgent: long}, noticeAt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, strings.Repeat("A", 201)) || !strings.Contains(m.Text, strings.Repeat("A", 199)+"…") {
		t.Errorf("a 5000-character user agent was not cut to 200:\n%s", m.Text)
	}
}

// TestVerifyMessage renders both verification messages: the link is the
// only secret in them, once per part, escaped in the HTML attribute.
func TestVerifyMessage(t *testing.T) {
	t.Parallel()
	const token = "tok_ABC-123"
	link := "https://app.example.test/verify?token=" + token + "&x=<y>"
	tests := []struct {
		change  bool
		subject string
		says    string
	}{
		{false, "Confirm your email address", "confirm that this address is yours"},
		{true, "Confirm your new email address", "keeps its current address"},
	}
	for _, tc := range tests {
		t.Run(tc.subject, func(t *testing.T) {
			t.Parallel()
			m, err := mail.VerifyMessage("ann@example.test", mail.VerifyData{Username: "ann", Link: link, Valid: 24 * time.Hour, Change: tc.change}, noticeAt)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != mail.KindVerifyEmail {
				t.Errorf("kind %q", m.Kind)
			}
			p := composed(t, m)
			if got := p.Header.Get("Subject"); got != tc.subject {
				t.Errorf("subject %q, want %q", got, tc.subject)
			}
			if !strings.Contains(p.Text, link) || !strings.Contains(p.Text, "within 24 hours") || !strings.Contains(p.Text, tc.says) {
				t.Errorf("text part:\n%s", p.Text)
			}
			if !strings.Contains(p.HTML, `href="https://app.example.test/verify?token=tok_ABC-123&amp;x=%3cy%3e"`) || !strings.Contains(p.HTML, tc.says) {
				t.Errorf("html part:\n%s", p.HTML)
			}
			for part, body := range map[string]string{"text": p.Text, "html": p.HTML} {
				if n := strings.Count(body, token); n != 1 {
					t.Errorf("%s part holds the token %d times, want once (the link)", part, n)
				}
			}
		})
	}
}

// TestNoticeRefusals: an unknown kind is an error, not an empty message, and
// a recipient Compose would refuse (a header injected with CR/LF, or no
// address at all) is refused when the message is built.
func TestNoticeRefusals(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"", "nope", mail.KindVerifyEmail, mail.KindPasswordReset, "Password_Changed"} {
		if _, err := mail.NoticeMessage("ann@example.test", mail.NoticeData{Kind: kind}, noticeAt); err == nil {
			t.Errorf("kind %q accepted", kind)
		}
	}
	for _, to := range []string{"ann@example.test\r\nBcc: evil@x.test", "ann@example.test\nBcc: evil@x.test", "not an address", ""} {
		if _, err := mail.NoticeMessage(to, mail.NoticeData{Kind: mail.KindPasswordChanged}, noticeAt); err == nil {
			t.Errorf("notice to %q accepted", to)
		}
		if _, err := mail.VerifyMessage(to, mail.VerifyData{Link: "https://x.test/?token=t", Valid: time.Hour}, noticeAt); err == nil {
			t.Errorf("verification to %q accepted", to)
		}
		if _, err := mail.Compose(from, mail.Message{To: to, Subject: "s"}); err == nil {
			t.Errorf("Compose accepted %q, the control for the two above", to)
		}
	}
}
