// Command verifier is how a resource server checks this service's access
// tokens with nothing but the JWKS URL: fetch the public keys, pick the one
// named by the token's kid, verify with golang-jwt with the algorithms
// pinned, and read the claims. It never talks to the auth service's
// database or shares a secret with it.
//
//	go run ./examples/verifier -jwks http://localhost:8000/.well-known/jwks.json TOKEN
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	jwksURL := flag.String("jwks", "http://localhost:8000/.well-known/jwks.json", "JWKS URL of the auth service")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: verifier -jwks URL ACCESS_TOKEN")
		os.Exit(2)
	}
	v := NewVerifier(*jwksURL, &http.Client{Timeout: 5 * time.Second})
	c, err := v.Verify(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "token refused:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(c)
}
