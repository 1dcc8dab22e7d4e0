package app

import (
	"fmt"
	"path/filepath"

	"authsvc/config"
	"authsvc/mail"
)

// newMailQueue picks the mailer: SMTP when AUTH_SMTP_URL is set, else .eml
// files under <AUTH_DATA_DIR>/outbox so development needs no mail server.
func newMailQueue(cfg config.Config, o Options) (*mail.Queue, error) {
	var m mail.Mailer
	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		m = s
	} else {
		dir := filepath.Join(cfg.DataDir, "outbox")
		o.Log.Info("AUTH_SMTP_URL is not set: mail is written as .eml files", "dir", dir)
		m = mail.NewOutbox(dir, cfg.MailFrom)
	}
	return mail.NewQueue(m, mail.QueueOptions{Log: o.Log}), nil
}
