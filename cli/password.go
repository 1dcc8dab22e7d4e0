package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxPasswordLine bounds the line read from a pipe; the policy refuses
// anything over 1024 bytes anyway.
const maxPasswordLine = 4096

// readPassword returns the password from PasswordEnv, else from a no-echo
// prompt (asked twice when confirm is set) when stdin is a terminal, else
// from the first line of stdin, so "echo pw | authsvc ..." works.
func readPassword(e *Env, confirm bool) (string, error) {
	if pw := e.Getenv(PasswordEnv); pw != "" {
		return pw, nil
	}
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return prompt(int(f.Fd()), e.Stderr, confirm)
	}
	r := bufio.NewReaderSize(io.LimitReader(e.Stdin, maxPasswordLine), maxPasswordLine)
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password: set %s or write it on standard input", PasswordEnv)
	}
	return line, nil
}

func prompt(fd int, w io.Writer, confirm bool) (string, error) {
	fmt.Fprint(w, "Password: ")
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(w)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if len(pw) == 0 {
		return "", errors.New("blank password")
	}
	if confirm {
		fmt.Fprint(w, "Password (again): ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(w)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(again) != string(pw) {
			return "", errors.New("the two passwords did not match")
		}
	}
	return string(pw), nil
}
