package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"

	"github.com/gin-gonic/gin"
)

// bareHandler is the baseline: the same Gin version as the service, no
// middleware, one route answering a small JSON object. Every scenario is
// reported as a fraction of its throughput in the same run.
func bareHandler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/api/auth/profile/", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"id": 1, "username": "bare"})
	})
	return r
}

// startBare serves the baseline on a loopback port in this process.
func startBare(addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen for bare gin: %w", err)
	}
	srv := &http.Server{Handler: bareHandler()}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// spawnBare serves the baseline from a child process of this tool (authload
// -serve-bare), and returns its URL and a function that stops it. The
// service under test is a process of its own, so the baseline is too: served
// in this process, it would share the load generator's scheduler, where a
// request wakes its handler without crossing processes, and look about a
// third faster than any real server could (measured on the 2-core machine).
func spawnBare() (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("find own executable for the bare gin child: %w", err)
	}
	cmd := exec.Command(exe, "-serve-bare", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, fmt.Errorf("bare gin child stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start bare gin child: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	// Its first line is "bare gin on URL".
	line, err := bufio.NewReader(out).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "bare gin on ")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("bare gin child did not report its address (got %q): %v", line, err)
	}
	return url, stop, nil
}
