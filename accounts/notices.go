package accounts

import (
	"context"
	"fmt"

	"authsvc/mail"
	"authsvc/models"
)

// Notice is a security event to tell a user about by mail (API.md,
// "Email ownership"; kinds are mail's Kind* constants).
type Notice struct {
	Kind string
	// NewEmail is the address a change was asked to (email_change_requested).
	NewEmail string
	// UserAgent and IP describe the device (new_device); IP is the prefix
	// that identifies it, never more.
	UserAgent, IP string
}

// notify mails n to u's address, when notices are on and u has one. The
// message is rendered and sent on the mail worker, with its retries: a
// notice is never on the request path, and its failure never fails the
// action it reports (it is logged).
func (s *Service) notify(ctx context.Context, u *models.User, n Notice) {
	if !s.o.Email.SecurityMail || u.Email == "" || s.o.Reset.Outbox == nil {
		return
	}
	to, username, id, now := u.Email, u.Username, u.ID, s.now()
	d := mail.NoticeData{Username: username, Kind: n.Kind, NewEmail: n.NewEmail, UserAgent: n.UserAgent, IP: n.IP, At: now}
	s.o.Reset.Outbox.Submit(n.Kind, func(context.Context) (mail.Message, bool, error) {
		m, err := mail.NoticeMessage(to, d, now)
		if err != nil {
			return mail.Message{}, false, fmt.Errorf("%s notice for user %d: %w", n.Kind, id, err)
		}
		return m, true, nil
	})
}
