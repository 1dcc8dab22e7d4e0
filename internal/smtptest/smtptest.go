// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// loopback inside the test process. It requires AUTH PLAIN with fixed
// credentials, stores every message it accepts, and can refuse the next
// deliveries to exercise retries.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Credentials the server accepts.
const (
	User = "mailer"
	Pass = "s3cret-pass"
)

// Received is one accepted message.
type Received struct {
	From string
	To   []string
	Raw  []byte
	TLS  bool // the session was encrypted
}

// Server is a running SMTP server.
type Server struct {
	Addr string // 127.0.0.1:port
	// CertPool trusts the server's certificate (TLS modes).
	CertPool *x509.CertPool
	mode     Mode

	mu       sync.Mutex
	msgs     []Received
	failNext int
	arrived  chan struct{}
}

// Mode is how the server uses TLS.
type Mode int

const (
	Plain    Mode = iota // no TLS (AUTH allowed anyway: loopback only)
	StartTLS             // offers STARTTLS
	Implicit             // TLS from the first byte (smtps)
)

// Start listens on 127.0.0.1 without TLS and stops when the test ends.
func Start(t testing.TB) *Server { return StartMode(t, Plain) }

// StartMode starts a server in the given TLS mode; TLS modes use a fresh
// self-signed certificate for 127.0.0.1 that CertPool trusts.
func StartMode(t testing.TB, mode Mode) *Server {
	t.Helper()
	s := &Server{arrived: make(chan struct{}, 1024), mode: mode}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only, no TLS in the test server
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	if mode != Plain {
		var cfg *tls.Config
		cfg, s.CertPool = selfSigned(t)
		switch mode {
		case StartTLS:
			srv.TLSConfig = cfg
		case Implicit:
			ln = tls.NewListener(ln, cfg)
		}
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the AUTH_SMTP_URL for this server.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.mode == Implicit {
		scheme = "smtps"
	}
	return scheme + "://" + User + ":" + Pass + "@" + s.Addr
}

// FailNext makes the next n deliveries fail with a temporary error (451).
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait returns the next message not yet returned by Wait, failing the test
// if none arrives within 10 seconds.
func (s *Server) Wait(t testing.TB, seen int) Received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if msgs := s.Messages(); len(msgs) > seen {
			return msgs[seen]
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("no mail arrived at the test SMTP server")
		}
	}
}

type session struct {
	s     *Server
	conn  *smtp.Conn
	authd bool
	from  string
	to    []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Pass {
			return errors.New("invalid credentials")
		}
		x.authd = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authd {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.failNext > 0 {
		x.s.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	_, tlsOn := x.conn.TLSConnectionState()
	x.s.msgs = append(x.s.msgs, Received{From: x.from, To: x.to, Raw: raw, TLS: tlsOn})
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// Parsed is a decoded multipart/alternative message.
type Parsed struct {
	Header     mail.Header
	Text, HTML string
}

// Parse decodes a raw message and its text/html parts (quoted-printable).
func Parse(t testing.TB, raw []byte) Parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: want multipart/alternative", m.Header.Get("Content-Type"))
	}
	out := Parsed{Header: m.Header}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("mail part: %v", err)
		}
		// NextPart decodes quoted-printable itself.
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("read mail part: %v", err)
		}
		switch {
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain"):
			out.Text = string(b)
		case strings.HasPrefix(p.Header.Get("Content-Type"), "text/html"):
			out.HTML = string(b)
		}
	}
	return out
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	return cfg, pool
}
