package handlers_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"authsvc/internal/testserver"
)

// zeroPNG is a well-formed, all-zero, non-interlaced PNG of w x h pixels
// with the given bit depth and colour type (6: RGBA, 0: gray). Zeros
// compress about a thousandfold, so a 4096x4096 16-bit RGBA picture (128 MiB
// decoded) is a file of about 130 KB: the upload of issue 15, item 6.
func zeroPNG(t *testing.T, w, h int, depth, colorType byte) []byte {
	t.Helper()
	channels := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[colorType]
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = depth, colorType
	b.Write(pngChunk("IHDR", ihdr))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	row := make([]byte, 1+w*channels*int(depth)/8) // filter byte 0, then the pixels
	for range h {
		if _, err := zw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b.Write(pngChunk("IDAT", z.Bytes()))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

// TestPictureRefusedOverDecodeBudget: a picture whose decoded pixels alone
// would take more than the whole decode budget is refused with a field error
// naming the limit, before a byte of it is decoded.
func TestPictureRefusedOverDecodeBudget(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	pair, _ := newUser(t, s, "heavy")
	r := upload(s, pair.Access, "a.png", "image/png", zeroPNG(t, 4096, 4096, 16, 6))
	wantField(t, r, "profile_picture", "memory")
	if files := storedFiles(t, s); len(files) != 0 {
		t.Fatalf("refused upload left files: %v", files)
	}
}

// TestPictureDecodeBudgetHeldConcurrently uploads pictures from many
// clients at once, under a budget that fits two of them, and checks that the
// bytes reserved for decoding never exceeded the budget while every upload
// still succeeded (the others waited their turn).
func TestPictureDecodeBudgetHeldConcurrently(t *testing.T) {
	t.Parallel()
	const budget = 12 << 20
	// The uploads wait their turn two at a time; under the race detector on
	// a busy machine the last ones waited past the default 10 s request
	// timeout and answered 503. The budget, not the deadline, is under
	// test here, so the deadline is out of the way.
	s := testserver.New(t, testserver.Options{Env: map[string]string{
		"AUTH_PICTURE_DECODE_BUDGET": fmt.Sprint(budget), "AUTH_REQUEST_TIMEOUT": "10m"}})
	img := zeroPNG(t, 1024, 1024, 8, 6) // 4 MiB decoded
	const clients = 8
	pairs := make([]testserver.Pair, clients)
	for i := range pairs {
		pairs[i], _ = newUser(t, s, fmt.Sprintf("budget%d", i))
	}
	var wg sync.WaitGroup
	status := make([]int, clients)
	for i := range clients {
		wg.Go(func() { status[i] = upload(s, pairs[i].Access, "a.png", "image/png", img).Status })
	}
	wg.Wait()
	for i, st := range status {
		if st != http.StatusOK {
			t.Errorf("upload %d: status %d, want 200", i, st)
		}
	}
	peak := s.App.Pictures.PeakDecodeBytes()
	if peak <= 0 || peak > budget {
		t.Fatalf("peak decode reservation %d bytes, want within (0, %d]", peak, budget)
	}
}

// TestSearchTermLimits: ?search= is split into terms, each one a LIKE in
// the query; too many terms (1,001 answered 500 on SQLite, 20,000 cost 2 s
// of CPU) or too long a value is a 400 on the search field, on both lists
// that search.
func TestSearchTermLimits(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{})
	staff, _ := newStaff(t, s, "searcher")
	terms := func(n int) string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("t%d", i%10)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name   string
		search string
		status int
	}{
		{"ten terms", terms(10), http.StatusOK},
		{"eleven terms", terms(11), http.StatusBadRequest},
		{"1001 terms", terms(1001), http.StatusBadRequest},
		{"20000 terms", terms(20000), http.StatusBadRequest},
		{"commas split too", strings.Repeat("a,", 11), http.StatusBadRequest},
		{"150-character term", strings.Repeat("a", 150), http.StatusOK},
		{"151-character term", strings.Repeat("a", 151), http.StatusBadRequest},
		{"over 256 characters in all", strings.Repeat(strings.Repeat("b", 50)+" ", 5) + strings.Repeat("c", 7), http.StatusBadRequest},
	}
	for _, path := range []string{"/api/accounts/profiles/", adminUsersPath} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				r := s.Do(testserver.Request{Method: http.MethodGet, Path: path + "?search=" + url.QueryEscape(tt.search), Bearer: staff.Access})
				if tt.status == http.StatusBadRequest {
					wantField(t, r, "search", "")
					return
				}
				wantStatus(t, r, tt.status)
			})
		}
	}
}
