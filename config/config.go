// Package config reads the service's settings from the environment, applies the
// contract's defaults and validates them once at start, so a bad value stops the
// program with one line naming the variable.
package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the service reads. Field comments name the variable.
type Config struct {
	Addr        string // AUTH_ADDR
	DatabaseURL string // AUTH_DATABASE_URL: sqlite://PATH or postgres://...
	DataDir     string // AUTH_DATA_DIR

	SecretKey      string // AUTH_SECRET_KEY; empty: generated once under DataDir
	SigningAlg     string // AUTH_SIGNING_ALG
	SigningKeyFile string // AUTH_SIGNING_KEY_FILE
	// KeyPublishDelay is how long "keys rotate" publishes a new key before
	// it signs, so every instance's poller has loaded it first.
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

	MetricsToken string // AUTH_METRICS_TOKEN
	// RefreshCookie keeps the refresh token in an HttpOnly cookie instead of
	// the JSON body: the recommended mode for browsers.
	RefreshCookie  bool // AUTH_REFRESH_COOKIE (on|off, default off)
	CookieInsecure bool // AUTH_COOKIE_INSECURE: drop Secure, for http://localhost only
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
	p.str("AUTH_METRICS_TOKEN", &c.MetricsToken)
	p.onOff("AUTH_REFRESH_COOKIE", &c.RefreshCookie)
	p.onOff("AUTH_COOKIE_INSECURE", &c.CookieInsecure)
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

// Validate checks every setting and names the first bad variable.
func (c *Config) Validate() error {
	bad := func(name, why string) error { return fmt.Errorf("config: %s: %s", name, why) }
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return bad("AUTH_ADDR", "want host:port or :port")
	}
	if _, _, err := c.Database(); err != nil {
		return bad("AUTH_DATABASE_URL", err.Error())
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return bad("AUTH_DATA_DIR", "must not be empty")
	}
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
	if c.Issuer != "" && strings.HasSuffix(c.Issuer, "/") {
		// iss is compared byte for byte: "https://a/" and "https://a" differ,
		// and discovery clients build URLs from the issuer.
		return bad("AUTH_ISSUER", "must not end with a slash")
	}
	// Below two polls an instance that misses one would meet the key first
	// in a token (it still reloads then, but that is the slow path); past an
	// hour it is a typo, and "keys rotate --now" exists for emergencies.
	if c.KeyPublishDelay < 2*time.Second || c.KeyPublishDelay > time.Hour {
		return bad("AUTH_KEY_PUBLISH_DELAY", "must be between 2s and 1h (use \"keys rotate --now\" for an immediate switch)")
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
	switch strings.ToUpper(c.SQLiteSynchronous) {
	case "FULL", "NORMAL", "EXTRA":
		c.SQLiteSynchronous = strings.ToUpper(c.SQLiteSynchronous)
	default:
		return bad("AUTH_SQLITE_SYNCHRONOUS", "want FULL, NORMAL or EXTRA")
	}
	if c.DBMaxConns < 0 || c.DBMaxConns > 10000 {
		return bad("AUTH_DB_MAX_CONNS", "want a number from 0 (automatic) to 10000")
	}
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

type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) lookup(name string) (string, bool) {
	v := strings.TrimSpace(p.getenv(name))
	return v, v != "" && p.err == nil
}

func (p *parser) str(name string, dst *string) {
	if v, ok := p.lookup(name); ok {
		*dst = v
	}
}

func (p *parser) dur(name string, dst *time.Duration) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.err = fmt.Errorf("config: %s: %q is not a Go duration such as 30m or 10s", name, v)
		return
	}
	*dst = d
}

func (p *parser) num(name string, dst *int) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.err = fmt.Errorf("config: %s: %q is not a whole number", name, v)
		return
	}
	*dst = n
}

// size reads a byte count: a whole number, optionally followed by KiB, MiB
// or GiB.
func (p *parser) size(name string, dst *int64) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	num, unit := v, int64(1)
	for suffix, u := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, found := strings.CutSuffix(v, suffix); found {
			num, unit = strings.TrimSpace(n), u
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		p.err = fmt.Errorf("config: %s: %q is not a size such as 64MiB or 67108864", name, v)
		return
	}
	*dst = n * unit
}

// rate reads N/window, such as 5/1m or 20/1h.
func (p *parser) rate(name string, dst *Rate) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	n, w, _ := strings.Cut(v, "/")
	limit, err1 := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
	window, err2 := time.ParseDuration(strings.TrimSpace(w))
	// Below a second the fixed windows and Retry-After (whole seconds)
	// stop meaning anything; a zero limit would refuse every request.
	if err1 != nil || err2 != nil || limit < 1 || window < time.Second {
		p.err = fmt.Errorf("config: %s: %q: want a limit per window such as 5/1m (at least 1, window at least 1s)", name, v)
		return
	}
	*dst = Rate{Limit: limit, Window: window}
}

func (p *parser) onOff(name string, dst *bool) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		*dst = true
	case "off", "false", "0", "no":
		*dst = false
	default:
		p.err = fmt.Errorf("config: %s: %q: want on or off", name, v)
	}
}

func (p *parser) list(name string, dst *[]string) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, strings.TrimSuffix(s, "/"))
		}
	}
	*dst = out
}
