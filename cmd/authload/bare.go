package main

import (
	"fmt"
	"net"
	"net/http"

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
