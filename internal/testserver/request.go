package testserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map (failing the test if it is not JSON).
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

// Str returns a string field of the JSON body.
func (r *Response) Str(t testing.TB, key string) string {
	t.Helper()
	v, _ := r.JSON(t)[key].(string)
	return v
}

// Request describes one call.
type Request struct {
	Method, Path string
	// JSON is marshalled as the body unless Body is set.
	JSON        any
	Body        io.Reader
	ContentType string
	Bearer      string
	Header      map[string]string
	// Values adds every value of each header in order (a header sent more
	// than once).
	Values map[string][]string
	// Token sends "Authorization: Token <key>" (an API key).
	Token string
	// NoContract skips the OpenAPI check of the answer; only for requests
	// deliberately outside the contract. CORS preflights are skipped
	// without it.
	NoContract bool
}

// Do sends r and reads the whole answer.
func (s *Server) Do(r Request) *Response {
	s.t.Helper()
	var body io.Reader = r.Body
	ct := r.ContentType
	if body == nil && r.JSON != nil {
		b, err := json.Marshal(r.JSON)
		if err != nil {
			s.t.Fatalf("marshal: %v", err)
		}
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	}
	req, err := http.NewRequest(r.Method, s.URL+r.Path, body)
	if err != nil {
		s.t.Fatalf("request: %v", err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.Bearer)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Token "+r.Token)
	}
	for k, v := range r.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v // net/http sends req.Host, never a Host header field
			continue
		}
		req.Header.Set(k, v)
	}
	for k, vs := range r.Values {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("read body: %v", err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if !r.NoContract {
		if err := s.api.check(req, out); err != nil {
			s.t.Errorf("%s %s: answer %d does not match openapi.json: %v\nbody: %.500s", r.Method, r.Path, out.Status, err, b)
		}
	}
	return out
}

// Post sends a JSON body.
func (s *Server) Post(path string, body any) *Response {
	s.t.Helper()
	return s.Do(Request{Method: http.MethodPost, Path: path, JSON: body})
}

// Pair is a login or refresh answer.
type Pair struct{ Access, Refresh string }

// Register creates a user and fails the test if that does not answer 201.
func (s *Server) Register(username, password string) map[string]any {
	s.t.Helper()
	r := s.Post("/api/auth/register/", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("register %s: %d %s", username, r.Status, r.Body)
	}
	return r.JSON(s.t)
}

// Login logs in and fails the test unless it answers 200 with a pair.
func (s *Server) Login(username, password string) Pair {
	s.t.Helper()
	r := s.Post("/api/auth/token/", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusOK {
		s.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	p := Pair{Access: r.Str(s.t, "access"), Refresh: r.Str(s.t, "refresh")}
	if p.Access == "" || p.Refresh == "" {
		s.t.Fatalf("login %s: no tokens in %s", username, r.Body)
	}
	return p
}

// NewUser registers a user with a unique name and logs in.
func (s *Server) NewUser(name string) (Pair, string) {
	s.t.Helper()
	// Unrelated to the name, so the similarity rule never refuses it.
	const pw = "correct-Horse-battery-9"
	s.Register(name, pw)
	return s.Login(name, pw), pw
}
