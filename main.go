// Command authsvc is a JWT access/refresh token service: register, log in,
// refresh with rotation and reuse detection, sessions, and the management
// commands an operator needs. Run "authsvc help" for the commands; they are
// dispatched from the table in package cli.
package main

import (
	"context"
	"fmt"
	"os"

	"authsvc/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	code, err := cli.Run(context.Background(), os.Args[1:], cli.Env{
		Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: version,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "authsvc:", err)
	}
	os.Exit(code)
}
