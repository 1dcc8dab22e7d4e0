package mail

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
)

// Kinds of the email-ownership messages; each also names its message in logs.
const (
	KindVerifyEmail          = "verify_email"
	KindPasswordChanged      = "password_changed"
	KindEmailChangeRequested = "email_change_requested"
	KindMFAEnabled           = "mfa_enabled"
	KindMFADisabled          = "mfa_disabled"
	KindNewDevice            = "new_device"
)

// The templates are parsed once at start; a syntax error is a build bug.
var (
	verifyText = texttemplate.Must(texttemplate.New("verify").Parse(`Hello {{.Username}},

{{if .Change}}Someone (hopefully you) asked to use this address for your account
instead of its current one. To confirm the change, open this link within {{.Valid}}:
{{else}}Please confirm that this address is yours by opening this link within {{.Valid}}:
{{end}}
{{.Link}}

The link works once. If you did not ask for this, ignore this message:
{{if .Change}}the account keeps its current address.{{else}}the address stays unconfirmed.{{end}}
`))
	verifyHTML = htmltemplate.Must(htmltemplate.New("verify").Parse(`<!DOCTYPE html>
<html><body>
<p>Hello {{.Username}},</p>
{{if .Change}}<p>Someone (hopefully you) asked to use this address for your account
instead of its current one. To confirm the change, open this link within {{.Valid}}:</p>
{{else}}<p>Please confirm that this address is yours by opening this link within {{.Valid}}:</p>
{{end}}<p><a href="{{.Link}}">Confirm your email address</a></p>
<p>The link works once. If you did not ask for this, ignore this message:
{{if .Change}}the account keeps its current address.{{else}}the address stays unconfirmed.{{end}}</p>
</body></html>
`))

	// A notice carries no link at all, so that a forged one (which would
	// need a link to do harm) stands out, and no secret can end up in it.
	noticeText = texttemplate.Must(texttemplate.New("notices").Parse(`
{{define "foot"}}
This message holds no link on purpose: to act on it, open the site or app
yourself. This service never asks for your password by email.
{{end}}
{{define "password_changed"}}Hello {{.Username}},

The password of your account was changed on {{.At}}.

If that was you, there is nothing to do. If it was not, someone else knows
your password: choose a new one with "Forgot password" on the sign-in page,
which also signs out every device.
{{template "foot"}}{{end}}
{{define "email_change_requested"}}Hello {{.Username}},

Someone signed in to your account asked on {{.At}}
to change its email address to {{.NewEmail}}.
The change takes effect only once the link sent to that address is used;
until then this address stays on the account.

If that was you, there is nothing to do. If it was not, change your
password now and set your email address back to this one in your profile,
which cancels the change.
{{template "foot"}}{{end}}
{{define "mfa_enabled"}}Hello {{.Username}},

Two-step verification was turned on for your account on
{{.At}}: signing in now asks for a code from an authenticator app.

If that was you, there is nothing to do. If it was not, someone else can
sign in to your account: contact the administrators of the service.
{{template "foot"}}{{end}}
{{define "mfa_disabled"}}Hello {{.Username}},

Two-step verification was turned off for your account on
{{.At}}, by you or by an administrator: signing in now takes
your password only.

If you did not expect this, change your password and turn two-step
verification back on.
{{template "foot"}}{{end}}
{{define "new_device"}}Hello {{.Username}},

Your account was signed in to from a device not seen before:

  When:    {{.At}}
  Device:  {{.UserAgent}}
  Network: {{.IP}}

If that was you, there is nothing to do. If it was not, change your
password now and end the sessions you do not recognise.
{{template "foot"}}{{end}}
`))
	noticeHTML = htmltemplate.Must(htmltemplate.New("notices").Parse(`
{{define "head"}}<!DOCTYPE html>
<html><body>
<p>Hello {{.Username}},</p>
{{end}}
{{define "foot"}}<p>This message holds no link on purpose: to act on it, open the site or app
yourself. This service never asks for your password by email.</p>
</body></html>
{{end}}
{{define "password_changed"}}{{template "head" .}}<p>The password of your account was changed on {{.At}}.</p>
<p>If that was you, there is nothing to do. If it was not, someone else knows
your password: choose a new one with &ldquo;Forgot password&rdquo; on the sign-in page,
which also signs out every device.</p>
{{template "foot"}}{{end}}
{{define "email_change_requested"}}{{template "head" .}}<p>Someone signed in to your account asked on {{.At}}
to change its email address to <b>{{.NewEmail}}</b>.
The change takes effect only once the link sent to that address is used;
until then this address stays on the account.</p>
<p>If that was you, there is nothing to do. If it was not, change your
password now and set your email address back to this one in your profile,
which cancels the change.</p>
{{template "foot"}}{{end}}
{{define "mfa_enabled"}}{{template "head" .}}<p>Two-step verification was turned on for your account on
{{.At}}: signing in now asks for a code from an authenticator app.</p>
<p>If that was you, there is nothing to do. If it was not, someone else can
sign in to your account: contact the administrators of the service.</p>
{{template "foot"}}{{end}}
{{define "mfa_disabled"}}{{template "head" .}}<p>Two-step verification was turned off for your account on
{{.At}}, by you or by an administrator: signing in now takes
your password only.</p>
<p>If you did not expect this, change your password and turn two-step
verification back on.</p>
{{template "foot"}}{{end}}
{{define "new_device"}}{{template "head" .}}<p>Your account was signed in to from a device not seen before:</p>
<table>
<tr><td>When</td><td>{{.At}}</td></tr>
<tr><td>Device</td><td>{{.UserAgent}}</td></tr>
<tr><td>Network</td><td>{{.IP}}</td></tr>
</table>
<p>If that was you, there is nothing to do. If it was not, change your
password now and end the sessions you do not recognise.</p>
{{template "foot"}}{{end}}
`))
)

// noticeSubjects is the subject of each notice kind; a kind missing here
// has no template either.
var noticeSubjects = map[string]string{
	KindPasswordChanged:      "Your password was changed",
	KindEmailChangeRequested: "Your email address is being changed",
	KindMFAEnabled:           "Two-step verification was turned on",
	KindMFADisabled:          "Two-step verification was turned off",
	KindNewDevice:            "New sign-in to your account",
}

// VerifyData fills the address verification message.
type VerifyData struct {
	Username string
	Link     string
	Valid    time.Duration
	Change   bool // the link confirms a new address for an existing account
}

// VerifyMessage renders the message that carries a verification link to
// address to.
func VerifyMessage(to string, d VerifyData, now time.Time) (Message, error) {
	if err := checkRecipient(to); err != nil {
		return Message{}, err
	}
	data := struct {
		Username, Link, Valid string
		Change                bool
	}{d.Username, d.Link, humanDuration(d.Valid), d.Change}
	text, html, err := render(verifyText, verifyHTML, "verify", data)
	if err != nil {
		return Message{}, err
	}
	subject := "Confirm your email address"
	if d.Change {
		subject = "Confirm your new email address"
	}
	return Message{To: to, Subject: subject, Text: text, HTML: html, Date: now, Kind: KindVerifyEmail}, nil
}

// NoticeData fills a security notice. UserAgent and IP (an IP prefix) are
// for new_device, NewEmail for email_change_requested; At is when it
// happened (zero: now).
type NoticeData struct {
	Username, Kind, NewEmail, UserAgent, IP string
	At                                      time.Time
}

// maxShown bounds a client-chosen value in a notice: a user agent can be
// kilobytes long, and the reader needs only enough to recognise it.
const maxShown = 200

// NoticeMessage renders the security notice of kind d.Kind to address to.
// An unknown kind is an error, never a message without content.
func NoticeMessage(to string, d NoticeData, now time.Time) (Message, error) {
	subject, ok := noticeSubjects[d.Kind]
	if !ok {
		return Message{}, fmt.Errorf("mail: unknown notice kind %q", d.Kind)
	}
	if err := checkRecipient(to); err != nil {
		return Message{}, err
	}
	at := d.At
	if at.IsZero() {
		at = now
	}
	data := struct {
		Username, NewEmail, UserAgent, IP, At string
	}{
		Username:  shown(d.Username, "", maxShown),
		NewEmail:  shown(d.NewEmail, "a new address", maxShown),
		UserAgent: shown(d.UserAgent, "unknown", maxShown),
		IP:        shown(d.IP, "unknown", maxShown),
		At:        at.UTC().Format("2 January 2006 at 15:04 MST"),
	}
	text, html, err := render(noticeText, noticeHTML, d.Kind, data)
	if err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: subject, Text: text, HTML: html, Date: now, Kind: d.Kind}, nil
}

// checkRecipient refuses an address that Compose would refuse, so a bad one
// fails where the message is built (and logged with its kind) rather than
// at each delivery attempt.
func checkRecipient(to string) error {
	if strings.ContainsAny(to, "\r\n") {
		return errors.New("mail: recipient contains a line break")
	}
	if _, err := mail.ParseAddress(to); err != nil {
		return fmt.Errorf("mail: bad recipient: %w", err)
	}
	return nil
}

// render runs the template name of both sets with data.
func render(t *texttemplate.Template, h *htmltemplate.Template, name string, data any) (text, html string, err error) {
	var tb, hb strings.Builder
	if err := t.ExecuteTemplate(&tb, name, data); err != nil {
		return "", "", fmt.Errorf("render %s text: %w", name, err)
	}
	if err := h.ExecuteTemplate(&hb, name, data); err != nil {
		return "", "", fmt.Errorf("render %s html: %w", name, err)
	}
	return tb.String(), hb.String(), nil
}

// shown makes a value the client chose (its user agent) fit to show: in
// the plain-text part a line break or other control character could forge
// lines of the message, and a format character (a bidirectional override)
// could make it read backwards, so each becomes a space. Invalid UTF-8 is
// replaced, an empty value reads empty instead and a long one is cut. The
// HTML template escapes what is left.
func shown(s, empty string, limit int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
	if s == "" {
		return empty
	}
	if r := []rune(s); len(r) > limit {
		return string(r[:limit-1]) + "…"
	}
	return s
}
