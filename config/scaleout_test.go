package config

import (
	"strings"
	"testing"
)

func TestScaleOutSettings(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string
		conns   int
	}{
		{"pool default", nil, "", 0},
		{"pool size", map[string]string{"AUTH_DB_MAX_CONNS": "20"}, "", 20},
		{"pool not a number", map[string]string{"AUTH_DB_MAX_CONNS": "lots"}, "AUTH_DB_MAX_CONNS", 0},
		{"pool negative", map[string]string{"AUTH_DB_MAX_CONNS": "-1"}, "AUTH_DB_MAX_CONNS", 0},
		{"postgres asymmetric needs shared secret", map[string]string{
			"AUTH_DATABASE_URL": "postgres://db/authsvc", "AUTH_SIGNING_ALG": "ES256"}, "AUTH_SECRET_KEY", 0},
		{"postgres asymmetric with secret", map[string]string{
			"AUTH_DATABASE_URL": "postgres://db/authsvc", "AUTH_SIGNING_ALG": "ES256", "AUTH_SECRET_KEY": secret}, "", 0},
		{"sqlite asymmetric may generate its secret", map[string]string{"AUTH_SIGNING_ALG": "EdDSA"}, "", 0},
	} {
		c, err := Load(func(k string) string { return tc.env[k] })
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.wantErr)
		case err == nil && c.DBMaxConns != tc.conns:
			t.Errorf("%s: DBMaxConns %d, want %d", tc.name, c.DBMaxConns, tc.conns)
		}
	}
}
