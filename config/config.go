// Package config reads the service's settings from the environment, applies the
// contract's defaults and validates them once at start, so a bad value stops the
// program with one line naming the variable.
package config

import "time"

// Config is every setting the service reads. Field comments name the variable.
type Config struct {
	Addr        string // AUTH_ADDR
	DatabaseURL string // AUTH_DATABASE_URL: sqlite://PATH or postgres://...
	DataDir     string // AUTH_DATA_DIR

	SecretKey      string // AUTH_SECRET_KEY; empty: generated once under DataDir
	SigningAlg     string // AUTH_SIGNING_ALG
	SigningKeyFile string // AUTH_SIGNING_KEY_FILE
	// KeyPublishDelay is how long "signing-keys rotate" publishes a new key
	// before it signs, so every instance's poller has loaded it first.
	KeyPublishDelay time.Duration // AUTH_KEY_PUBLISH_DELAY

	AccessTTL  time.Duration // AUTH_ACCESS_TTL
	RefreshTTL time.Duration // AUTH_REFRESH_TTL
	ReuseGrace time.Duration // AUTH_REFRESH_REUSE_GRACE
	Issuer     string        // AUTH_ISSUER
	// PublicURL is the service's own external base URL (scheme, host, any
	// path prefix), used for the discovery document's URLs instead of the
	// request's Host header.
	PublicURL    string        // AUTH_PUBLIC_URL
	Audience     string        // AUTH_AUDIENCE
	Leeway       time.Duration // AUTH_LEEWAY
	ResetTTL     time.Duration // AUTH_RESET_TTL
	ShutdownWait time.Duration // AUTH_SHUTDOWN_TIMEOUT
	// RequestTimeout bounds the work of one request (database waits
	// included), so a stalled database answers 503 instead of hanging.
	RequestTimeout time.Duration // AUTH_REQUEST_TIMEOUT

	Throttle    bool   // AUTH_THROTTLE (on|off)
	RedisURL    string // AUTH_REDIS_URL
	RedisPrefix string // AUTH_REDIS_PREFIX: namespace of the throttle keys
	// The limits below are N per window, written N/window (5/1m); what each
	// is for is in SECURITY.md.
	PasswordFailures Rate // AUTH_THROTTLE_PASSWORD: failed password checks per account
	DeviceFailures   Rate // AUTH_THROTTLE_DEVICE: failed logins per device cookie
	RefreshRate      Rate // AUTH_THROTTLE_REFRESH: refreshes per session
	UploadRate       Rate // AUTH_THROTTLE_UPLOADS: profile picture uploads per user
	// DeviceCookieTTL is how long a device cookie (set by a successful
	// login) lets its browser past a lock-out of its user.
	DeviceCookieTTL time.Duration // AUTH_DEVICE_COOKIE_TTL
	CORSOrigins     []string      // AUTH_CORS_ORIGINS, comma-separated
	TrustedProxies  []string      // AUTH_TRUSTED_PROXIES, comma-separated IPs or CIDRs

	SMTPURL  string // AUTH_SMTP_URL
	MailFrom string // AUTH_MAIL_FROM
	ResetURL string // AUTH_RESET_URL
	// Email ownership (email.go): verification mode, link lifetime and
	// page, and security notices by mail.
	EmailVerification string        // AUTH_EMAIL_VERIFICATION: off, optional, required
	EmailTokenTTL     time.Duration // AUTH_EMAIL_TOKEN_TTL
	VerifyURL         string        // AUTH_VERIFY_URL
	SecurityMail      bool          // AUTH_SECURITY_MAIL (on|off, default on)

	MetricsToken string // AUTH_METRICS_TOKEN
	// RefreshCookie keeps the refresh token in an HttpOnly cookie instead of
	// the JSON body: the recommended mode for browsers.
	RefreshCookie  bool // AUTH_REFRESH_COOKIE (on|off, default off)
	CookieInsecure bool // AUTH_COOKIE_INSECURE: drop Secure, for http://localhost only
	// AdminRequireMFA makes the staff endpoints refuse staff whose token
	// (or API key) did not come from a login with a second factor.
	AdminRequireMFA bool // AUTH_ADMIN_REQUIRE_MFA (on|off, default off)
	// SQLiteSynchronous is PRAGMA synchronous for SQLite: FULL (default) keeps
	// every acknowledged write across power loss; NORMAL trades that for speed.
	SQLiteSynchronous string // AUTH_SQLITE_SYNCHRONOUS
	LogLevel          string // AUTH_LOG_LEVEL: debug, info, warn, error
	// LogFormat is how stderr log lines are written: "json", "text", or
	// "auto" (text when stderr is a terminal, JSON otherwise).
	LogFormat string // AUTH_LOG_FORMAT: auto, json, text
	// DBMaxConns is the PostgreSQL pool size per instance (0: 4 per CPU).
	// Size it so instances x DBMaxConns stays under the server's
	// max_connections (or the pooler's limit).
	DBMaxConns int // AUTH_DB_MAX_CONNS

	// MaxSessionsPerUser bounds a user's live sessions; a login beyond it
	// ends the oldest (0: no limit).
	MaxSessionsPerUser int // AUTH_MAX_SESSIONS_PER_USER
	// MaxAPIKeysPerUser bounds a user's API keys; one more is refused with
	// 409 (0: no limit).
	MaxAPIKeysPerUser int // AUTH_MAX_API_KEYS_PER_USER
	// APIKeyTTL is a new API key's lifetime and the longest expires_in a
	// request may ask for (0: keys live until deleted).
	APIKeyTTL time.Duration // AUTH_API_KEY_TTL
	// PictureDecodeBudget is how many bytes all picture uploads being
	// decoded at once may take (pixels and re-encoding); an upload that
	// alone needs more is refused.
	PictureDecodeBudget int64 // AUTH_PICTURE_DECODE_BUDGET: bytes, or with KiB/MiB/GiB
}

// Rate is a limit of Limit events per Window.
type Rate struct {
	Limit  int64
	Window time.Duration
}

// DefaultKeyPublishDelay is five key polls (app.KeyPollInterval, 1 s): an
// instance that misses a poll or two still loads a new key before it signs.
const DefaultKeyPublishDelay = 5 * time.Second

// Defaults returns the contract's defaults.
func Defaults() Config {
	return Config{
		Addr:              ":8000",
		DatabaseURL:       "sqlite://data/auth.db",
		DataDir:           "data",
		SigningAlg:        "HS256",
		KeyPublishDelay:   DefaultKeyPublishDelay,
		AccessTTL:         30 * time.Minute,
		RefreshTTL:        24 * time.Hour,
		ReuseGrace:        10 * time.Second,
		ResetTTL:          time.Hour,
		ShutdownWait:      15 * time.Second,
		RequestTimeout:    10 * time.Second,
		Throttle:          true,
		RedisPrefix:       "authsvc:throttle:",
		PasswordFailures:  Rate{Limit: 5, Window: time.Minute},
		DeviceFailures:    Rate{Limit: 5, Window: time.Minute},
		RefreshRate:       Rate{Limit: 60, Window: time.Minute},
		UploadRate:        Rate{Limit: 20, Window: time.Hour},
		DeviceCookieTTL:   90 * 24 * time.Hour,
		MailFrom:          "authsvc <no-reply@localhost>",
		ResetURL:          "http://localhost:8000/reset-password",
		EmailVerification: EmailOptional,
		EmailTokenTTL:     24 * time.Hour,
		VerifyURL:         "http://localhost:8000/verify-email",
		SecurityMail:      true,
		SQLiteSynchronous: "FULL",
		LogLevel:          "info",
		LogFormat:         "auto",

		MaxSessionsPerUser:  100,
		MaxAPIKeysPerUser:   20,
		PictureDecodeBudget: 64 << 20,
	}
}

// Load reads the variables through getenv (os.Getenv in production, a map in
// tests) on top of Defaults and validates the result.
func Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	p := parser{getenv: getenv}
	p.str("AUTH_ADDR", &c.Addr)
	p.str("AUTH_DATABASE_URL", &c.DatabaseURL)
	p.str("AUTH_DATA_DIR", &c.DataDir)
	p.str("AUTH_SECRET_KEY", &c.SecretKey)
	p.str("AUTH_SIGNING_ALG", &c.SigningAlg)
	p.str("AUTH_SIGNING_KEY_FILE", &c.SigningKeyFile)
	p.dur("AUTH_KEY_PUBLISH_DELAY", &c.KeyPublishDelay)
	p.dur("AUTH_ACCESS_TTL", &c.AccessTTL)
	p.dur("AUTH_REFRESH_TTL", &c.RefreshTTL)
	p.dur("AUTH_REFRESH_REUSE_GRACE", &c.ReuseGrace)
	p.str("AUTH_ISSUER", &c.Issuer)
	p.str("AUTH_PUBLIC_URL", &c.PublicURL)
	p.str("AUTH_AUDIENCE", &c.Audience)
	p.dur("AUTH_LEEWAY", &c.Leeway)
	p.dur("AUTH_RESET_TTL", &c.ResetTTL)
	p.dur("AUTH_SHUTDOWN_TIMEOUT", &c.ShutdownWait)
	p.dur("AUTH_REQUEST_TIMEOUT", &c.RequestTimeout)
	p.onOff("AUTH_THROTTLE", &c.Throttle)
	p.str("AUTH_REDIS_URL", &c.RedisURL)
	p.str("AUTH_REDIS_PREFIX", &c.RedisPrefix)
	p.rate("AUTH_THROTTLE_PASSWORD", &c.PasswordFailures)
	p.rate("AUTH_THROTTLE_DEVICE", &c.DeviceFailures)
	p.rate("AUTH_THROTTLE_REFRESH", &c.RefreshRate)
	p.rate("AUTH_THROTTLE_UPLOADS", &c.UploadRate)
	p.dur("AUTH_DEVICE_COOKIE_TTL", &c.DeviceCookieTTL)
	p.list("AUTH_CORS_ORIGINS", &c.CORSOrigins)
	p.list("AUTH_TRUSTED_PROXIES", &c.TrustedProxies)
	p.str("AUTH_SMTP_URL", &c.SMTPURL)
	p.str("AUTH_MAIL_FROM", &c.MailFrom)
	p.str("AUTH_RESET_URL", &c.ResetURL)
	p.str("AUTH_EMAIL_VERIFICATION", &c.EmailVerification)
	p.dur("AUTH_EMAIL_TOKEN_TTL", &c.EmailTokenTTL)
	p.str("AUTH_VERIFY_URL", &c.VerifyURL)
	p.onOff("AUTH_SECURITY_MAIL", &c.SecurityMail)
	p.str("AUTH_METRICS_TOKEN", &c.MetricsToken)
	p.onOff("AUTH_REFRESH_COOKIE", &c.RefreshCookie)
	p.onOff("AUTH_COOKIE_INSECURE", &c.CookieInsecure)
	p.onOff("AUTH_ADMIN_REQUIRE_MFA", &c.AdminRequireMFA)
	p.str("AUTH_SQLITE_SYNCHRONOUS", &c.SQLiteSynchronous)
	p.str("AUTH_LOG_LEVEL", &c.LogLevel)
	p.str("AUTH_LOG_FORMAT", &c.LogFormat)
	p.num("AUTH_DB_MAX_CONNS", &c.DBMaxConns)
	p.num("AUTH_MAX_SESSIONS_PER_USER", &c.MaxSessionsPerUser)
	p.num("AUTH_MAX_API_KEYS_PER_USER", &c.MaxAPIKeysPerUser)
	p.dur("AUTH_API_KEY_TTL", &c.APIKeyTTL)
	p.size("AUTH_PICTURE_DECODE_BUDGET", &c.PictureDecodeBudget)
	if p.err != nil {
		return Config{}, p.err
	}
	return c, c.Validate()
}
