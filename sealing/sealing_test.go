package sealing

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	a, err := New([]byte("secret-a"), "label one")
	if err != nil {
		t.Fatal(err)
	}
	otherSecret, _ := New([]byte("secret-b"), "label one")
	otherLabel, _ := New([]byte("secret-a"), "label two")
	sealed := a.Seal([]byte("plain"), []byte("row-1"))
	if bytes.Contains(sealed, []byte("plain")) {
		t.Fatal("sealed value holds the plain text")
	}
	if got, err := a.Open(sealed, []byte("row-1")); err != nil || string(got) != "plain" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	cases := []struct {
		name   string
		box    *Box
		sealed []byte
		ad     string
	}{
		{"another row", a, sealed, "row-2"},
		{"another secret", otherSecret, sealed, "row-1"},
		{"another label", otherLabel, sealed, "row-1"},
		{"truncated", a, sealed[:5], "row-1"},
		{"damaged", a, append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1), "row-1"},
	}
	for _, c := range cases {
		if _, err := c.box.Open(c.sealed, []byte(c.ad)); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", c.name, err)
		}
	}
	if _, err := New(nil, "x"); err == nil {
		t.Error("New with no secret succeeded")
	}
}
