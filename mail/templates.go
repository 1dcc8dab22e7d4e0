package mail

import (
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

// The templates are parsed once at start; a syntax error is a build bug.
var (
	resetText = texttemplate.Must(texttemplate.New("reset.txt").Parse(`Hello {{.Username}},

Someone (hopefully you) asked to reset the password of your account.
To choose a new password, open this link within {{.Valid}}:

{{.Link}}

The link works once. If you did not ask for this, ignore this message:
your password stays as it is.
`))
	resetHTML = htmltemplate.Must(htmltemplate.New("reset.html").Parse(`<!DOCTYPE html>
<html><body>
<p>Hello {{.Username}},</p>
<p>Someone (hopefully you) asked to reset the password of your account.
To choose a new password, open this link within {{.Valid}}:</p>
<p><a href="{{.Link}}">Reset your password</a></p>
<p>The link works once. If you did not ask for this, ignore this message:
your password stays as it is.</p>
</body></html>
`))
)

// ResetData fills the password reset message.
type ResetData struct {
	Username string
	Link     string
	Valid    time.Duration
}

// KindPasswordReset names reset messages in logs.
const KindPasswordReset = "password_reset"

// ResetMessage renders the password reset message to address to.
func ResetMessage(to string, d ResetData, now time.Time) (Message, error) {
	data := struct {
		Username, Link, Valid string
	}{d.Username, d.Link, humanDuration(d.Valid)}
	var text, html strings.Builder
	if err := resetText.Execute(&text, data); err != nil {
		return Message{}, err
	}
	if err := resetHTML.Execute(&html, data); err != nil {
		return Message{}, err
	}
	return Message{
		To: to, Subject: "Reset your password", Text: text.String(), HTML: html.String(),
		Date: now, Kind: KindPasswordReset,
	}, nil
}

// humanDuration says "1 hour", "30 minutes", "2 hours".
func humanDuration(d time.Duration) string {
	plural := func(n int64, unit string) string {
		s := strconv.FormatInt(n, 10) + " " + unit
		if n != 1 {
			s += "s"
		}
		return s
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int64(d/time.Minute), "minute")
	}
	return plural(int64(d/time.Second), "second")
}
