package djangoimport

import "testing"

func TestConvertHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		usable   bool
	}{
		{"pbkdf2_sha256$1000$salt$aGFzaA==", "pbkdf2_sha256$1000$salt$aGFzaA==", true},
		// Django 5.2's default count is the most checked here; above it a
		// hash would pad every failed login to its cost, so it is unusable.
		{"pbkdf2_sha256$1000000$salt$aGFzaA==", "pbkdf2_sha256$1000000$salt$aGFzaA==", true},
		{"pbkdf2_sha256$1000001$salt$aGFzaA==", "!pbkdf2_sha256$1000001$salt$aGFzaA==", false},
		{"pbkdf2_sha256$10000000$salt$aGFzaA==", "!pbkdf2_sha256$10000000$salt$aGFzaA==", false},
		{"pbkdf2_sha256$0$salt$aGFzaA==", "!pbkdf2_sha256$0$salt$aGFzaA==", false},
		{"argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA", "$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA", true},
		{"argon2$argon2id$v=19$m=4194304,t=2,p=8$c2FsdA$aGFzaA", "!argon2$argon2id$v=19$m=4194304,t=2,p=8$c2FsdA$aGFzaA", false},
		{"argon2$argon2id$v=19$m=1024,t=99,p=8$c2FsdA$aGFzaA", "!argon2$argon2id$v=19$m=1024,t=99,p=8$c2FsdA$aGFzaA", false},
		{"!XyZunusable", "!XyZunusable", false},
		{"bcrypt_sha256$$2b$12$abc", "bcrypt_sha256$$2b$12$abc", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, unusable := convertHash(tc.in)
		if usable := unusable == ""; got != tc.want || usable != tc.usable {
			t.Errorf("convertHash(%q) = %q, %v; want %q, %v", tc.in, got, usable, tc.want, tc.usable)
		}
	}
}
