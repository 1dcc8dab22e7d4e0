package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Validate checks every setting and names the first bad variable. The checks
// run topic by topic in a fixed order, so a config with several bad values
// always reports the same one first.
func (c *Config) Validate() error {
	for _, check := range []func() error{
		c.validateServer,
		c.validateSigning,
		c.validateLifetimes,
		c.validateIssuing,
		c.validatePeers,
		c.validateStorage,
		c.validateLimits,
		c.validateLogging,
		c.validateEmail,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// bad is the one-line error that names the variable at fault.
func bad(name, why string) error { return fmt.Errorf("config: %s: %s", name, why) }

// validateServer checks where the service listens and keeps its data.
func (c *Config) validateServer() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return bad("AUTH_ADDR", "want host:port or :port")
	}
	if _, _, err := c.Database(); err != nil {
		return bad("AUTH_DATABASE_URL", err.Error())
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return bad("AUTH_DATA_DIR", "must not be empty")
	}
	return nil
}

// validateSigning checks the signing algorithm and the secret it needs.
func (c *Config) validateSigning() error {
	switch c.SigningAlg {
	case "HS256", "RS256", "ES256", "EdDSA":
	default:
		return bad("AUTH_SIGNING_ALG", "want HS256, RS256, ES256 or EdDSA")
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		return bad("AUTH_SECRET_KEY", "must be at least 32 characters")
	}
	if driver, _, _ := c.Database(); driver == "postgres" && c.SigningAlg != "HS256" && c.SecretKey == "" {
		// Signing keys live in the shared database, sealed with this secret:
		// instances that generated their own secrets could not open them.
		return bad("AUTH_SECRET_KEY", "required with PostgreSQL and an asymmetric AUTH_SIGNING_ALG: every instance must share it")
	}
	return nil
}

// validateLifetimes checks token, link and request lifetimes.
func (c *Config) validateLifetimes() error {
	for _, d := range []struct {
		name string
		v    time.Duration
		min  time.Duration
	}{
		{"AUTH_ACCESS_TTL", c.AccessTTL, time.Second},
		{"AUTH_REFRESH_TTL", c.RefreshTTL, time.Second},
		{"AUTH_REFRESH_REUSE_GRACE", c.ReuseGrace, 0},
		{"AUTH_LEEWAY", c.Leeway, 0},
		{"AUTH_RESET_TTL", c.ResetTTL, time.Second},
		{"AUTH_SHUTDOWN_TIMEOUT", c.ShutdownWait, 0},
		{"AUTH_REQUEST_TIMEOUT", c.RequestTimeout, 100 * time.Millisecond},
		{"AUTH_DEVICE_COOKIE_TTL", c.DeviceCookieTTL, time.Minute},
	} {
		if d.v < d.min {
			return bad(d.name, fmt.Sprintf("must be at least %s", d.min))
		}
	}
	if c.RefreshTTL < c.AccessTTL {
		return bad("AUTH_REFRESH_TTL", "must not be shorter than AUTH_ACCESS_TTL")
	}
	// The grace interval exists for tabs racing by milliseconds; a long one
	// would turn reuse detection off in practice.
	if c.ReuseGrace > time.Minute {
		return bad("AUTH_REFRESH_REUSE_GRACE", "must be at most 1m")
	}
	return nil
}

// validateIssuing checks how tokens and their keys are presented to the
// outside: the issuer, key publication, the public URL and the key file.
func (c *Config) validateIssuing() error {
	if c.Issuer != "" && strings.HasSuffix(c.Issuer, "/") {
		// iss is compared byte for byte: "https://a/" and "https://a" differ,
		// and discovery clients build URLs from the issuer.
		return bad("AUTH_ISSUER", "must not end with a slash")
	}
	// Below two polls an instance that misses one would meet the key first
	// in a token (it still reloads then, but that is the slow path); past an
	// hour it is a typo, and "signing-keys rotate --now" exists for
	// emergencies.
	if c.KeyPublishDelay < 2*time.Second || c.KeyPublishDelay > time.Hour {
		return bad("AUTH_KEY_PUBLISH_DELAY", "must be between 2s and 1h (use \"signing-keys rotate --now\" for an immediate switch)")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(c.PublicURL, "/") {
			return bad("AUTH_PUBLIC_URL", "want the service's external http(s) base URL, e.g. https://auth.example.com, without a trailing slash")
		}
	}
	if c.SigningKeyFile != "" && c.SigningAlg == "HS256" {
		return bad("AUTH_SIGNING_KEY_FILE", "is for RS256, ES256 or EdDSA; set AUTH_SIGNING_ALG too")
	}
	return nil
}

// validatePeers checks what names another party: the reset page, the mail
// sender, Redis, the browser origins, the proxies and the SMTP server.
func (c *Config) validatePeers() error {
	if u, err := url.Parse(c.ResetURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("AUTH_RESET_URL", "want the http(s) URL of the page that takes ?token=")
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return bad("AUTH_MAIL_FROM", "want an address such as authsvc <no-reply@example.com>")
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			return bad("AUTH_REDIS_URL", "want redis://host:port[/db]")
		}
	}
	for _, o := range c.CORSOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return bad("AUTH_CORS_ORIGINS", fmt.Sprintf("%q is not an origin like https://app.example.com", o))
		}
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return bad("AUTH_TRUSTED_PROXIES", fmt.Sprintf("%q is not an IP or CIDR", p))
			}
		}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return bad("AUTH_SMTP_URL", "want smtp://user:pass@host:port or smtps://...")
		}
	}
	return nil
}

// validateStorage checks the database tuning; it normalises
// SQLiteSynchronous to upper case.
func (c *Config) validateStorage() error {
	switch strings.ToUpper(c.SQLiteSynchronous) {
	case "FULL", "NORMAL", "EXTRA":
		c.SQLiteSynchronous = strings.ToUpper(c.SQLiteSynchronous)
	default:
		return bad("AUTH_SQLITE_SYNCHRONOUS", "want FULL, NORMAL or EXTRA")
	}
	if c.DBMaxConns < 0 || c.DBMaxConns > 10000 {
		return bad("AUTH_DB_MAX_CONNS", "want a number from 0 (automatic) to 10000")
	}
	return nil
}

// validateLimits checks the per-user bounds and the picture decode budget.
func (c *Config) validateLimits() error {
	if c.MaxSessionsPerUser < 0 {
		return bad("AUTH_MAX_SESSIONS_PER_USER", "want a number of sessions, or 0 for no limit")
	}
	if c.MaxAPIKeysPerUser < 0 {
		return bad("AUTH_MAX_API_KEYS_PER_USER", "want a number of keys, or 0 for no limit")
	}
	if c.APIKeyTTL != 0 && c.APIKeyTTL < time.Minute {
		return bad("AUTH_API_KEY_TTL", "want at least 1m, or 0 for keys that do not expire")
	}
	// Below 8 MiB not even a modest photo could be decoded.
	if c.PictureDecodeBudget < 8<<20 {
		return bad("AUTH_PICTURE_DECODE_BUDGET", "want at least 8MiB")
	}
	return nil
}

// validateLogging checks the log level and format; it normalises LogFormat
// to lower case.
func (c *Config) validateLogging() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("AUTH_LOG_LEVEL", "want debug, info, warn or error")
	}
	switch strings.ToLower(c.LogFormat) {
	case "auto", "json", "text":
		c.LogFormat = strings.ToLower(c.LogFormat)
	default:
		return bad("AUTH_LOG_FORMAT", "want auto (text on a terminal, JSON otherwise), json or text")
	}
	return nil
}

// Database splits DatabaseURL into a driver name ("sqlite" or "postgres") and
// the driver's DSN (a file path for SQLite, the URL itself for PostgreSQL).
func (c *Config) Database() (driver, dsn string, err error) {
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite://"):
		path := strings.TrimPrefix(c.DatabaseURL, "sqlite://")
		if path == "" {
			return "", "", fmt.Errorf("sqlite:// needs a file path")
		}
		return "sqlite", path, nil
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if _, err := url.Parse(c.DatabaseURL); err != nil {
			return "", "", fmt.Errorf("not a URL")
		}
		return "postgres", c.DatabaseURL, nil
	}
	return "", "", fmt.Errorf("want sqlite://PATH or postgres://...")
}
