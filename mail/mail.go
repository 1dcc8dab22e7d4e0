// Package mail sends the service's email: a Message composed as
// multipart/alternative (plain text and HTML), delivered by a Mailer (SMTP, or
// .eml files in an outbox folder for development), off the request path
// through a bounded Queue with retries.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Message is one email to one recipient.
type Message struct {
	To      string // bare address
	Subject string
	Text    string // plain-text body
	HTML    string // HTML body
	Date    time.Time
	// Kind names the message for logs ("password_reset"); the body, which may
	// hold a secret link, is never logged.
	Kind string
}

// Mailer delivers one message. Send may be slow; callers use a Queue.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Compose renders m as an RFC 5322 message from the given From header. CR
// and LF in header values are refused so no header can be injected.
func Compose(from string, m Message) ([]byte, error) {
	for _, h := range []string{from, m.To, m.Subject} {
		if strings.ContainsAny(h, "\r\n") {
			return nil, fmt.Errorf("compose mail: header value contains a line break")
		}
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return nil, fmt.Errorf("compose mail: bad recipient: %w", err)
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	hdr := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	hdr("From", from)
	hdr("To", (&mail.Address{Address: m.To}).String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", date.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+randomHex(16)+"@"+domainOf(from)+">")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("compose mail: %w", err)
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(crlf(part.body))); err != nil {
			return nil, fmt.Errorf("compose mail: %w", err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("compose mail: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("compose mail: %w", err)
	}
	return buf.Bytes(), nil
}

// crlf normalises line ends to CRLF, as SMTP requires.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// domainOf is the domain of a From header, for Message-ID.
func domainOf(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 && at < len(a.Address)-1 {
			return a.Address[at+1:]
		}
	}
	return "localhost"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
