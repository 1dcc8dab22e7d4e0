package config

import (
	"net/url"
	"strings"
)

// AUTH_EMAIL_VERIFICATION modes (API.md, "Email ownership").
const (
	// EmailOff: addresses are taken as given, and a change applies at once.
	EmailOff = "off"
	// EmailOptional: registration mails a link and a change waits for the
	// new address's link; nothing is blocked while an address is unverified.
	EmailOptional = "optional"
	// EmailRequired: as optional, and registration needs an address, login
	// waits for the link, and reset mail goes only to verified addresses.
	EmailRequired = "required"
)

// validateEmail checks the email ownership settings; it normalises the mode
// to lower case.
func (c *Config) validateEmail() error {
	switch m := strings.ToLower(c.EmailVerification); m {
	case EmailOff, EmailOptional, EmailRequired:
		c.EmailVerification = m
	default:
		return bad("AUTH_EMAIL_VERIFICATION", "want off, optional or required")
	}
	if c.EmailTokenTTL <= 0 {
		return bad("AUTH_EMAIL_TOKEN_TTL", "must be positive")
	}
	if u, err := url.Parse(c.VerifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("AUTH_VERIFY_URL", "want an absolute http(s) URL")
	}
	return nil
}
