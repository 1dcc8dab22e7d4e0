package handlers_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"authsvc/internal/testserver"
)

// hangingSMTP is a mail server that accepts connections and never says a
// word: the service's mail worker, once connected, waits in its delivery
// attempt until the attempt's timeout or shutdown. It notes whether the
// client gave up on a connection.
type hangingSMTP struct {
	ln      net.Listener
	arrived chan struct{}

	mu       sync.Mutex
	conns    []net.Conn
	accepted int
	dropped  int // connections the client closed
}

func startHangingSMTP(t *testing.T) *hangingSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hangingSMTP{ln: ln, arrived: make(chan struct{}, 64)}
	go h.serve()
	t.Cleanup(h.close)
	return h
}

// URL is an AUTH_SMTP_URL for the server.
func (h *hangingSMTP) URL() string { return "smtp://mailer:pass@" + h.ln.Addr().String() }

func (h *hangingSMTP) serve() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.conns = append(h.conns, c)
		h.accepted++
		h.mu.Unlock()
		h.arrived <- struct{}{}
		go func() {
			// Read returns only when the client closes (or close below).
			var b [512]byte
			for {
				if _, err := c.Read(b[:]); err != nil {
					h.mu.Lock()
					h.dropped++
					h.mu.Unlock()
					return
				}
			}
		}()
	}
}

// hangFailsafe turns a worker that never connects into a failure instead
// of a hung test; it is not a timing assumption.
const hangFailsafe = 60 * time.Second

// awaitConnection returns once the mail worker is connected and waiting
// on the server (its delivery is in progress).
func (h *hangingSMTP) awaitConnection(t *testing.T) {
	t.Helper()
	select {
	case <-h.arrived:
	case <-time.After(hangFailsafe):
		t.Fatalf("the mail worker did not connect within %s", hangFailsafe)
	}
}

// state reports the connections accepted and those the client dropped.
func (h *hangingSMTP) state() (accepted, dropped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted, h.dropped
}

func (h *hangingSMTP) close() {
	h.ln.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
}

// hungServer starts the service with its mail going to a hanging server;
// shutdown gives up on the hung delivery after a second.
func hungServer(t *testing.T, h *hangingSMTP, env map[string]string) *testserver.Server {
	t.Helper()
	all := map[string]string{"AUTH_SMTP_URL": h.URL(), "AUTH_SHUTDOWN_TIMEOUT": "1s", "AUTH_VERIFY_URL": verifyPage}
	for k, v := range env {
		all[k] = v
	}
	return testserver.New(t, testserver.Options{Env: all})
}
