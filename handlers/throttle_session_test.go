package handlers_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// Every rotation writes a refresh-token row, so one session refreshing in a
// loop grows the table without bound: refresh is limited per session (the
// sid of a token whose signature checked), every attempt counting.
func TestThrottleRefreshPerSession(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Clock: alignedClock(),
		Env: throttled(map[string]string{"AUTH_THROTTLE_REFRESH": "3/1m"})})
	pair, pw := s.NewUser("looper")
	other := s.Login("looper", pw)
	for i := 0; i < 3; i++ {
		r := refresh(s, pair.Refresh)
		wantStatus(t, r, http.StatusOK)
		pair = pairOf(t, r)
	}
	assertThrottled(t, refresh(s, pair.Refresh), 47)
	// Another session of the same user has its own budget.
	wantStatus(t, refresh(s, other.Refresh), http.StatusOK)
	// A refused refresh rotated nothing: the same token works after the window.
	s.Clock.Advance(47 * time.Second)
	wantStatus(t, refresh(s, pair.Refresh), http.StatusOK)
}

// Picture uploads are limited per user (every attempt counting), so one
// account cannot keep the decoder busy.
func TestThrottlePictureUploadsPerUser(t *testing.T) {
	t.Parallel()
	s := testserver.New(t, testserver.Options{Clock: alignedClock(),
		Env: throttled(map[string]string{"AUTH_THROTTLE_UPLOADS": "2/1h"})})
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	send := func(access string) *testserver.Response {
		return s.Upload(http.MethodPut, "/api/auth/profile/picture/", access,
			testserver.File{Field: "profile_picture", Name: "p.png", ContentType: "image/png", Data: b.Bytes()}, nil)
	}
	a, pw := s.NewUser("uploader")
	wantStatus(t, send(a.Access), http.StatusOK)
	wantStatus(t, send(a.Access), http.StatusOK)
	now := s.Clock.Now()
	left := now.Truncate(time.Hour).Add(time.Hour).Sub(now)
	assertThrottled(t, send(a.Access), int(left/time.Second))
	other, _ := s.NewUser("neighbour")
	wantStatus(t, send(other.Access), http.StatusOK)
	s.Clock.Advance(left)
	// The window can be longer than the access token's lifetime (it ends
	// on the hour): sign in again rather than depend on the time of day.
	wantStatus(t, send(s.Login("uploader", pw).Access), http.StatusOK)
}
