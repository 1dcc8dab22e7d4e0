package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/mattn/go-sqlite3"

	"authsvc/apierr"
	"authsvc/middleware"
	"authsvc/models"
)

// TestRenderErrorUnavailable: whatever handler returns it, an error chain
// that means "the database cannot serve now" or "the request was cancelled
// or ran out of time" is answered with the catalogue's 503 and Retry-After;
// other errors keep their answer.
func TestRenderErrorUnavailable(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.TestMode)
	full := sqlite3.Error{Code: sqlite3.ErrFull}
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"canceled", context.Canceled, 503, apierr.CodeServiceUnavailable},
		{"deadline wrapped", fmt.Errorf("load user: %w", context.DeadlineExceeded), 503, apierr.CodeServiceUnavailable},
		{"sqlite full", fmt.Errorf("save: %w", full), 503, apierr.CodeServiceUnavailable},
		{"internal with canceled cause", apierr.Internal.WithCause(context.Canceled), 503, apierr.CodeServiceUnavailable},
		{"internal with unavailable cause", apierr.Internal.WithCause(full), 503, apierr.CodeServiceUnavailable},
		{"plain error", errors.New("boom"), 500, apierr.CodeServerError},
		{"internal", apierr.Internal.WithCause(errors.New("boom")), 500, apierr.CodeServerError},
		{"catalogue 4xx keeps its answer", apierr.NotFound.WithCause(context.Canceled), 404, apierr.CodeNotFound},
		{"unavailable", apierr.Unavailable, 503, apierr.CodeServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Through RequestID, as in the service: it hands the renderer
			// the storage layer's classifier.
			r := gin.New()
			r.Use(middleware.RequestID(slog.New(slog.DiscardHandler), models.IsUnavailable))
			r.GET("/", func(c *gin.Context) { middleware.RenderError(c, tc.err) })
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			var m map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			if m["code"] != tc.code {
				t.Errorf("code %v, want %q", m["code"], tc.code)
			}
			wantRA := ""
			if tc.status == 503 {
				wantRA = "1"
				if m["detail"] != apierr.Unavailable.Detail {
					t.Errorf("detail %v", m["detail"])
				}
			}
			if ra := w.Header().Get("Retry-After"); ra != wantRA {
				t.Errorf("Retry-After %q, want %q", ra, wantRA)
			}
		})
	}
}
