package config_test

import (
	"strings"
	"testing"
	"time"

	"authsvc/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]any{
		"AUTH_ADDR":                {c.Addr, ":8000"},
		"AUTH_DATABASE_URL":        {c.DatabaseURL, "sqlite://data/auth.db"},
		"AUTH_DATA_DIR":            {c.DataDir, "data"},
		"AUTH_SECRET_KEY":          {c.SecretKey, ""},
		"AUTH_SIGNING_ALG":         {c.SigningAlg, "HS256"},
		"AUTH_ACCESS_TTL":          {c.AccessTTL, 30 * time.Minute},
		"AUTH_REFRESH_TTL":         {c.RefreshTTL, 24 * time.Hour},
		"AUTH_REFRESH_REUSE_GRACE": {c.ReuseGrace, 10 * time.Second},
		"AUTH_ISSUER":              {c.Issuer, ""},
		"AUTH_AUDIENCE":            {c.Audience, ""},
		"AUTH_LEEWAY":              {c.Leeway, time.Duration(0)},
		"AUTH_THROTTLE":            {c.Throttle, true},
		"AUTH_THROTTLE_PASSWORD":   {c.PasswordFailures, config.Rate{Limit: 5, Window: time.Minute}},
		"AUTH_THROTTLE_DEVICE":     {c.DeviceFailures, config.Rate{Limit: 5, Window: time.Minute}},
		"AUTH_THROTTLE_REFRESH":    {c.RefreshRate, config.Rate{Limit: 60, Window: time.Minute}},
		"AUTH_THROTTLE_UPLOADS":    {c.UploadRate, config.Rate{Limit: 20, Window: time.Hour}},
		"AUTH_DEVICE_COOKIE_TTL":   {c.DeviceCookieTTL, 90 * 24 * time.Hour},
		"AUTH_LOG_FORMAT":          {c.LogFormat, "auto"},
	}
	for name, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s default %v, want %v", name, v[0], v[1])
		}
	}
	if len(c.TrustedProxies) != 0 {
		t.Errorf("trusted proxies by default: %v", c.TrustedProxies)
	}
	if d, dsn, err := c.Database(); err != nil || d != "sqlite" || dsn != "data/auth.db" {
		t.Errorf("Database() = %q %q %v", d, dsn, err)
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{
		"AUTH_ADDR": "127.0.0.1:9000", "AUTH_ACCESS_TTL": "5m", "AUTH_REFRESH_TTL": "2h",
		"AUTH_REFRESH_REUSE_GRACE": "0s", "AUTH_ISSUER": "https://auth.example", "AUTH_AUDIENCE": "api",
		"AUTH_LEEWAY": " 30s ", "AUTH_THROTTLE": "off", "AUTH_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
		"AUTH_DATABASE_URL": "postgres://u@localhost/db", "AUTH_THROTTLE_REFRESH": " 30 / 2m ",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.AccessTTL != 5*time.Minute || c.RefreshTTL != 2*time.Hour ||
		c.ReuseGrace != 0 || c.Issuer != "https://auth.example" || c.Audience != "api" ||
		c.Leeway != 30*time.Second || c.Throttle || len(c.TrustedProxies) != 2 ||
		c.RefreshRate != (config.Rate{Limit: 30, Window: 2 * time.Minute}) {
		t.Errorf("values not applied: %+v", c)
	}
	if d, _, _ := c.Database(); d != "postgres" {
		t.Errorf("driver %q", d)
	}
}

func TestLoadBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, value string }{
		{"AUTH_ADDR", "8000"},
		{"AUTH_DATABASE_URL", "mysql://x"},
		{"AUTH_DATABASE_URL", "sqlite://"},
		{"AUTH_SECRET_KEY", "too-short"},
		{"AUTH_SIGNING_ALG", "none"},
		{"AUTH_SIGNING_ALG", "HS512"},
		{"AUTH_ACCESS_TTL", "ten minutes"},
		{"AUTH_ACCESS_TTL", "0s"},
		{"AUTH_ACCESS_TTL", "-5m"},
		{"AUTH_REFRESH_TTL", "soon"},
		{"AUTH_REFRESH_TTL", "10s"}, // shorter than the 30m access TTL
		{"AUTH_REFRESH_REUSE_GRACE", "-1s"},
		{"AUTH_REFRESH_REUSE_GRACE", "10"},
		{"AUTH_LEEWAY", "-1s"},
		{"AUTH_LEEWAY", "x"},
		{"AUTH_THROTTLE", "maybe"},
		{"AUTH_TRUSTED_PROXIES", "not-an-ip"},
		{"AUTH_REDIS_URL", "http://localhost:6379"},
		{"AUTH_CORS_ORIGINS", "example.com"},
		{"AUTH_SMTP_URL", "mail.example.com"},
		{"AUTH_LOG_LEVEL", "loud"},
		{"AUTH_LOG_FORMAT", "pretty"},
		{"AUTH_LOG_FORMAT", "logfmt"},
		{"AUTH_REFRESH_REUSE_GRACE", "48h"},
		{"AUTH_ISSUER", "https://auth.example.com/"},
		{"AUTH_SIGNING_KEY_FILE", "/etc/authsvc/key.pem"}, // with the default HS256
		{"AUTH_RESET_URL", "javascript:alert(1)"},
		{"AUTH_MAIL_FROM", "not an address"},
		{"AUTH_THROTTLE_PASSWORD", "5"},
		{"AUTH_THROTTLE_PASSWORD", "0/1m"},
		{"AUTH_THROTTLE_REFRESH", "60/1ms"},
		{"AUTH_THROTTLE_UPLOADS", "many/1h"},
		{"AUTH_THROTTLE_DEVICE", "-1/1m"},
		{"AUTH_DEVICE_COOKIE_TTL", "1s"},
		{"AUTH_PUBLIC_URL", "auth.example.com"},
		{"AUTH_PUBLIC_URL", "https://auth.example.com/"},
		{"AUTH_PUBLIC_URL", "https://auth.example.com?x=1"},
		{"AUTH_PUBLIC_URL", "ftp://auth.example.com"},
		{"AUTH_KEY_PUBLISH_DELAY", "1s"}, // under two polls
		{"AUTH_KEY_PUBLISH_DELAY", "2h"},
		{"AUTH_KEY_PUBLISH_DELAY", "soon"},
	}
	for _, c := range cases {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{c.name: c.value}))
			if err == nil {
				t.Fatalf("accepted")
			}
			if !strings.Contains(err.Error(), c.name) {
				t.Errorf("error does not name %s: %v", c.name, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestLoadLogFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "auto", "auto": "auto", "json": "json", "text": "text", " TEXT ": "text", "Json": "json"} {
		c, err := config.Load(env(map[string]string{"AUTH_LOG_FORMAT": in}))
		if err != nil || c.LogFormat != want {
			t.Errorf("AUTH_LOG_FORMAT=%q: got %q, %v; want %q", in, c.LogFormat, err, want)
		}
	}
}

func TestLoadSecretNotInError(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{"AUTH_SECRET_KEY": "short-secret"}))
	if err == nil || strings.Contains(err.Error(), "short-secret") {
		t.Errorf("error %v", err)
	}
}

// The advice names the command by its current name ("keys" is a deprecated
// alias of "signing-keys").
func TestLoadKeyPublishDelayAdvice(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{"AUTH_KEY_PUBLISH_DELAY": "2h"}))
	if err == nil || !strings.Contains(err.Error(), `"signing-keys rotate --now"`) {
		t.Errorf("error %v does not advise \"signing-keys rotate --now\"", err)
	}
}

// With several bad values the same one is reported first, whatever topic
// the others belong to.
func TestLoadReportsFirstBadValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env   map[string]string
		first string
	}{
		{map[string]string{"AUTH_LOG_LEVEL": "loud", "AUTH_ADDR": "8000"}, "AUTH_ADDR"},
		{map[string]string{"AUTH_SIGNING_ALG": "none", "AUTH_DATABASE_URL": "mysql://x"}, "AUTH_DATABASE_URL"},
		{map[string]string{"AUTH_ISSUER": "https://a/", "AUTH_LEEWAY": "-1s"}, "AUTH_LEEWAY"},
		{map[string]string{"AUTH_SMTP_URL": "x", "AUTH_SIGNING_KEY_FILE": "/k.pem"}, "AUTH_SIGNING_KEY_FILE"},
		{map[string]string{"AUTH_DB_MAX_CONNS": "-1", "AUTH_CORS_ORIGINS": "example.com"}, "AUTH_CORS_ORIGINS"},
		{map[string]string{"AUTH_LOG_FORMAT": "pretty", "AUTH_API_KEY_TTL": "1s"}, "AUTH_API_KEY_TTL"},
	}
	for _, c := range cases {
		_, err := config.Load(env(c.env))
		if err == nil || !strings.HasPrefix(err.Error(), "config: "+c.first+":") {
			t.Errorf("%v: error %v, want %s first", c.env, err, c.first)
		}
	}
}
