package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// client sends requests over a pool of keep-alive connections, one per
// worker, and reads every body to the end so the connection is reused.
type client struct {
	base string
	hc   *http.Client
}

func newClient(base string, conns int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: base, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// do sends one request; buf receives the body (reused between calls).
func (c *client) do(method, path, bearer string, body []byte, buf *bytes.Buffer) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// Pair is a login or refresh answer.
type Pair struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only ever called with maps of strings
	}
	return b
}

func (c *client) login(user, password string, buf *bytes.Buffer) (Pair, int, error) {
	st, err := c.do(http.MethodPost, "/api/auth/token/", "", jsonBody(map[string]string{"username": user, "password": password}), buf)
	if err != nil || st != http.StatusOK {
		return Pair{}, st, err
	}
	var p Pair
	if err := json.Unmarshal(buf.Bytes(), &p); err != nil || p.Access == "" || p.Refresh == "" {
		return Pair{}, st, fmt.Errorf("login answer without tokens: %q", buf.String())
	}
	return p, st, nil
}

func (c *client) refresh(tok string, buf *bytes.Buffer) (Pair, int, error) {
	st, err := c.do(http.MethodPost, "/api/auth/token/refresh/", "", jsonBody(map[string]string{"refresh": tok}), buf)
	if err != nil || st != http.StatusOK {
		return Pair{}, st, err
	}
	var p Pair
	if err := json.Unmarshal(buf.Bytes(), &p); err != nil || p.Access == "" || p.Refresh == "" {
		return Pair{}, st, fmt.Errorf("refresh answer without tokens: %q", buf.String())
	}
	return p, st, nil
}
