// Package cli is authsvc's command line: one table of commands (name,
// arguments, one-line summary, handler), the help generated from it, and one
// way to load the configuration, build the logger and open the application,
// shared by every command that needs the database. The work itself stays in
// the packages that own it (accounts, signingkeys, djangoimport, models).
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"authsvc/config"
)

// Handler runs a command with the arguments after its name and returns the
// exit code: 0 done, 1 failed (the error, if any, is printed by main), 2
// wrong usage.
type Handler func(ctx context.Context, e *Env, args []string) (int, error)

// Command is one row of the table.
type Command struct {
	Name string
	// Args is the synopsis after the name, as in "usage: authsvc NAME ARGS".
	Args string
	// Summary is the one line help shows.
	Summary string
	Run     Handler
	// Bare commands run without the configuration (help, version): they
	// must work when the environment is wrong.
	Bare bool
	// OldNames still run the command, after a line on stderr naming the new
	// one, so operators' scripts keep working across a rename.
	OldNames []string
}

// Env is what a command gets from the process, plus what Run prepares for
// it before a command that is not Bare.
type Env struct {
	Getenv func(string) string
	// Stdin is read for passwords (createsuperuser, changepassword).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Version is what "authsvc version" prints and serve logs.
	Version string

	// cfg and log are set by setup: the configuration and the logger.
	cfg config.Config
	log *slog.Logger
	// logFormat is the resolved AUTH_LOG_FORMAT ("text" or "json").
	logFormat string
	// cmd is the command running, for its usage line.
	cmd Command
}

// Commands is the table, in the order help lists it.
func Commands() []Command {
	return []Command{
		{Name: "serve", Summary: "run the HTTP service (the default)", Run: serve},
		{Name: "migrate", Summary: "create or upgrade the database schema, then exit", Run: migrate},
		{Name: "backup", Args: "PATH", Summary: "write a consistent copy of the SQLite database to PATH, safe while serving", Run: backup},
		{Name: "signing-keys", Args: "list|rotate [--now]|retire KID",
			Summary: "the asymmetric signing keys (RS256, ES256, EdDSA)", Run: signingKeys, OldNames: []string{"keys"}},
		{Name: "createsuperuser", Args: "--username NAME [--email ADDR]",
			Summary: "create a staff superuser; password from " + PasswordEnv + ", a prompt or stdin",
			Run:     createSuperuser},
		{Name: "changepassword", Args: "NAME",
			Summary: "set NAME's password (same sources) and end all their sessions and API keys", Run: changePassword},
		{Name: "import-django", Args: "--from PATH_OR_DSN", Summary: "import users from a Django auth_user table", Run: importDjango},
		{Name: "version", Summary: "print the version", Run: version, Bare: true},
		{Name: "help", Summary: "show this text", Run: help, Bare: true},
	}
}

// Run dispatches args (without the program name; none means serve) and
// returns the exit code and the error main prints.
func Run(ctx context.Context, args []string, e Env) (int, error) {
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "-h" || name == "--help" {
		name = "help"
	}
	c, old, ok := lookup(name)
	if !ok {
		fmt.Fprintf(e.Stderr, "authsvc: unknown command %q\n\n", name)
		writeHelp(e.Stderr)
		return 2, nil
	}
	if old {
		fmt.Fprintf(e.Stderr, "authsvc: %q is deprecated, use %q\n", name, c.Name)
	}
	e.cmd = c
	if !c.Bare {
		if err := e.setup(); err != nil {
			return 1, err
		}
	}
	return c.Run(ctx, &e, args)
}

// lookup finds name in the table; old reports one of its OldNames.
func lookup(name string) (c Command, old, ok bool) {
	for _, c := range Commands() {
		if c.Name == name {
			return c, false, true
		}
		for _, o := range c.OldNames {
			if o == name {
				return c, true, true
			}
		}
	}
	return Command{}, false, false
}

// synopsis is the command as typed: name and arguments.
func (c Command) synopsis() string {
	return strings.TrimSpace(c.Name + " " + c.Args)
}

// usage prints the running command's usage line and returns exit code 2.
func (e *Env) usage() (int, error) {
	fmt.Fprintln(e.Stderr, "usage: authsvc", e.cmd.synopsis())
	return 2, nil
}

// helpColumn is where summaries start; a longer synopsis puts its summary
// on the next line.
const helpColumn = 24

// writeHelp writes the help text, generated from the table.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, "usage: authsvc [command]\n\ncommands:\n")
	var old []string
	for _, c := range Commands() {
		if s := c.synopsis(); len(s) < helpColumn-3 {
			fmt.Fprintf(w, "  %-*s%s\n", helpColumn-2, s, c.Summary)
		} else {
			fmt.Fprintf(w, "  %s\n%*s%s\n", s, helpColumn, "", c.Summary)
		}
		for _, o := range c.OldNames {
			old = append(old, fmt.Sprintf("%s (now %s)", o, c.Name))
		}
	}
	if len(old) > 0 {
		fmt.Fprintf(w, "\nold names, still accepted with a warning: %s\n", strings.Join(old, ", "))
	}
	fmt.Fprint(w, "\nConfiguration comes from AUTH_* environment variables; see README.md.\n")
}

func help(_ context.Context, e *Env, _ []string) (int, error) {
	writeHelp(e.Stdout)
	return 0, nil
}

func version(_ context.Context, e *Env, _ []string) (int, error) {
	fmt.Fprintln(e.Stdout, "authsvc", e.Version)
	return 0, nil
}
