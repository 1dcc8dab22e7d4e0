package layering_test

import (
	"sort"
	"strings"
	"testing"
)

const gin = "github.com/gin-gonic/gin"

// rule forbids the packages matched by from (but not by except) to import
// any package matched by forbid: directly, or through any chain of imports
// unless direct is set. Patterns are import paths; "x/..." is x and
// everything under it.
type rule struct {
	name   string
	from   []string
	except []string
	direct bool
	forbid []string
	why    string
}

var rules = []rule{{
	name:   "apierr is the bottom",
	from:   []string{"authsvc/apierr"},
	forbid: []string{"authsvc/...", gin},
	why:    "the error catalogue is shared by every layer, so it depends on none of them",
}, {
	name:   "middleware is plumbing",
	from:   []string{"authsvc/middleware"},
	forbid: []string{"authsvc/accounts", "authsvc/models", "authsvc/handlers", "authsvc/app"},
	why:    "middleware sees the principal through its own interface (middleware.Principal), not the service's type",
}, {
	name:   "reqbody is plumbing",
	from:   []string{"authsvc/reqbody"},
	forbid: []string{"authsvc/accounts", "authsvc/models", "authsvc/handlers", "authsvc/middleware", "authsvc/app"},
	why:    "the throttle (middleware) and the handlers share the decoded body, so it sits below both",
}, {
	name:   "metrics observes nothing",
	from:   []string{"authsvc/metrics"},
	forbid: []string{"authsvc/middleware", "authsvc/handlers", "authsvc/accounts", "authsvc/models", "authsvc/app"},
	why:    "the layers report to metrics, not the other way; its /metrics refusals are apierr errors the caller renders",
}, {
	name:   "models is storage only",
	from:   []string{"authsvc/models"},
	forbid: []string{"authsvc/accounts", "authsvc/handlers", "authsvc/middleware", "authsvc/app", gin},
	why:    "storage knows neither the business rules nor HTTP",
}, {
	name:   "accounts knows no HTTP",
	from:   []string{"authsvc/accounts"},
	forbid: []string{"authsvc/handlers", "authsvc/middleware", "authsvc/metrics", "authsvc/app", gin},
	why:    "business rules return apierr errors and report outcomes through accounts.Events",
}, {
	name:   "tokens is self-contained",
	from:   []string{"authsvc/tokens"},
	forbid: []string{"authsvc/models", "authsvc/accounts", "authsvc/handlers", "authsvc/middleware", "authsvc/app"},
	why:    "signing and verifying JWTs needs no database and no HTTP",
}, {
	name:   "handlers go through the service",
	from:   []string{"authsvc/handlers"},
	direct: true,
	forbid: []string{"authsvc/models"},
	why:    "the HTTP layer reaches storage only through the service layer (accounts)",
}, {
	name:   "handlers do not wire",
	from:   []string{"authsvc/handlers"},
	forbid: []string{"authsvc/app", "authsvc/cli"},
	why:    "the handler is built by app, never the other way",
}, {
	name:   "only entry points build the app",
	from:   []string{"authsvc/..."},
	except: []string{"authsvc", "authsvc/app", "authsvc/cli", "authsvc/cmd/...", "authsvc/internal/..."},
	direct: true,
	forbid: []string{"authsvc/app"},
	why:    "app wires everything; main, the commands and the test helpers start it, nothing it wires may",
}}

// TestLayering fails when a package reaches one its layer must not,
// naming the import chain that does it.
func TestLayering(t *testing.T) {
	t.Parallel()
	g, err := loadGraph()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			// A rule about a package that is gone (renamed, moved) would
			// pass forever: refuse it.
			for _, p := range append(append([]string(nil), r.from...), r.forbid...) {
				if !g.exists(p) {
					t.Fatalf("rule names %s, which matches no package: update the rule", p)
				}
			}
			verb := "depend on"
			if r.direct {
				verb = "import"
			}
			for _, from := range g.own {
				if !matchAny(r.from, from) || matchAny(r.except, from) {
					continue
				}
				for _, v := range violations(g, r, from) {
					t.Errorf("%s must not %s %s (%s): %s", from, verb, v[len(v)-1], r.why, strings.Join(v, " -> "))
				}
			}
		})
	}
}

// violations are the import chains, one per forbidden package reached, from
// from to a package r forbids.
func violations(g *graph, r rule, from string) [][]string {
	var out [][]string
	for to, chain := range g.reach(from, r.direct) {
		if matchAny(r.forbid, to) {
			out = append(out, chain)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][len(out[i])-1] < out[j][len(out[j])-1] })
	return out
}
