// Command verifier is how a resource server checks this service's access
// tokens with nothing but the JWKS URL: fetch the public keys, pick the one
// named by the token's kid, verify with golang-jwt with the algorithms
// pinned, and read the claims. It never talks to the auth service's
// database or shares a secret with it.
//
//	go run ./examples/verifier -jwks http://localhost:8000/.well-known/jwks.json TOKEN
//
// # Requiring a second factor or a recent login
//
// Access tokens say how the user logged in: amr (["pwd"], or
// ["pwd", "otp", "mfa"] after a TOTP or recovery code) and auth_time (when
// the credentials were proved; a refresh keeps it). A resource server can
// ask more of the tokens that reach its sensitive routes:
//
//	c, err := v.Verify(raw)
//	if err != nil {
//		// 401: not a valid access token
//	}
//	if !c.HasAMR("mfa") {
//		// 403: this route needs a login with a second factor
//	}
//	if !c.AuthenticatedWithin(10*time.Minute, time.Now()) {
//		// 403: log in again (a refresh does not make auth_time recent)
//	}
//
// Answer 403 there, not 401 (the token is valid; a client that drops its
// tokens on 401 would log the user out), with a code the client can act on,
// as the service itself does with "mfa_required". The flags below apply the
// same checks from the command line:
//
//	verifier -require-mfa -max-auth-age 10m TOKEN
//
// A token issued before the service set these claims has neither: it
// fails both checks, the safe way round.
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
	requireMFA := flag.Bool("require-mfa", false, `refuse a token whose amr lacks "mfa"`)
	maxAuthAge := flag.Duration("max-auth-age", 0, "refuse a token whose auth_time is older than this (0: no limit)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: verifier [-jwks URL] [-require-mfa] [-max-auth-age D] ACCESS_TOKEN")
		os.Exit(2)
	}
	v := NewVerifier(*jwksURL, &http.Client{Timeout: 5 * time.Second})
	c, err := v.Verify(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "token refused:", err)
		os.Exit(1)
	}
	if *requireMFA && !c.HasAMR("mfa") {
		fmt.Fprintln(os.Stderr, `token refused: amr lacks "mfa" (log in with a second factor)`)
		os.Exit(1)
	}
	if *maxAuthAge > 0 && !c.AuthenticatedWithin(*maxAuthAge, time.Now()) {
		fmt.Fprintln(os.Stderr, "token refused: auth_time missing or older than", *maxAuthAge, "(log in again)")
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(c)
}
