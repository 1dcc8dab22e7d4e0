package mail

// TEMP stand-in until h18-notices lands; dropped at merge.

import (
	"time"
)

const (
	KindVerifyEmail          = "verify_email"
	KindPasswordChanged      = "password_changed"
	KindEmailChangeRequested = "email_change_requested"
	KindMFAEnabled           = "mfa_enabled"
	KindMFADisabled          = "mfa_disabled"
	KindNewDevice            = "new_device"
)

type VerifyData struct {
	Username, Link string
	Valid          time.Duration
	Change         bool
}

func VerifyMessage(to string, d VerifyData, now time.Time) (Message, error) {
	return Message{To: to, Subject: "verify", Text: d.Link, Date: now, Kind: KindVerifyEmail}, nil
}

type NoticeData struct {
	Username, Kind, NewEmail, UserAgent, IP string
	At                                      time.Time
}

func NoticeMessage(to string, d NoticeData, now time.Time) (Message, error) {
	return Message{To: to, Subject: d.Kind, Text: d.Kind, Date: now, Kind: d.Kind}, nil
}
