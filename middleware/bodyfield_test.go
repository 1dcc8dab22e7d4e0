package middleware

import "testing"

func TestFieldOf(t *testing.T) {
	t.Parallel()
	mp := "--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nmulti\r\n--B--\r\n"
	for _, tc := range []struct{ ct, body, want string }{
		{"application/json", `{"username":"alice"}`, "alice"},
		{"application/json; charset=utf-8", `{"username":"al\u0069ce"}`, "alice"},
		{"application/vnd.api+json", `{"username":"alice"}`, "alice"},
		{"application/json", `{"username":5}`, ""},
		{"application/json", `{"user":"alice"}`, ""},
		{"application/json", `{"username":"alice"`, ""},
		{"application/x-www-form-urlencoded", "username=b%C3%B6b&password=x", "böb"},
		{"multipart/form-data; boundary=B", mp, "multi"},
		{"multipart/form-data", mp, ""},
		{"text/plain", "username=alice", ""},
		{"", `{"username":"alice"}`, ""},
	} {
		if got := fieldOf(tc.ct, []byte(tc.body), "username"); got != tc.want {
			t.Errorf("fieldOf(%q, %q) = %q, want %q", tc.ct, tc.body, got, tc.want)
		}
	}
}
