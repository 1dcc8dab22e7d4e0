package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parser reads variables into a Config; the first bad value stops it and
// is kept in err.
type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) lookup(name string) (string, bool) {
	v := strings.TrimSpace(p.getenv(name))
	return v, v != "" && p.err == nil
}

func (p *parser) str(name string, dst *string) {
	if v, ok := p.lookup(name); ok {
		*dst = v
	}
}

func (p *parser) dur(name string, dst *time.Duration) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.err = fmt.Errorf("config: %s: %q is not a Go duration such as 30m or 10s", name, v)
		return
	}
	*dst = d
}

func (p *parser) num(name string, dst *int) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.err = fmt.Errorf("config: %s: %q is not a whole number", name, v)
		return
	}
	*dst = n
}

// size reads a byte count: a whole number, optionally followed by KiB, MiB
// or GiB.
func (p *parser) size(name string, dst *int64) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	num, unit := v, int64(1)
	for suffix, u := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if n, found := strings.CutSuffix(v, suffix); found {
			num, unit = strings.TrimSpace(n), u
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		p.err = fmt.Errorf("config: %s: %q is not a size such as 64MiB or 67108864", name, v)
		return
	}
	*dst = n * unit
}

// rate reads N/window, such as 5/1m or 20/1h.
func (p *parser) rate(name string, dst *Rate) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	n, w, _ := strings.Cut(v, "/")
	limit, err1 := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
	window, err2 := time.ParseDuration(strings.TrimSpace(w))
	// Below a second the fixed windows and Retry-After (whole seconds)
	// stop meaning anything; a zero limit would refuse every request.
	if err1 != nil || err2 != nil || limit < 1 || window < time.Second {
		p.err = fmt.Errorf("config: %s: %q: want a limit per window such as 5/1m (at least 1, window at least 1s)", name, v)
		return
	}
	*dst = Rate{Limit: limit, Window: window}
}

func (p *parser) onOff(name string, dst *bool) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "on", "true", "1", "yes":
		*dst = true
	case "off", "false", "0", "no":
		*dst = false
	default:
		p.err = fmt.Errorf("config: %s: %q: want on or off", name, v)
	}
}

func (p *parser) list(name string, dst *[]string) {
	v, ok := p.lookup(name)
	if !ok {
		return
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, strings.TrimSuffix(s, "/"))
		}
	}
	*dst = out
}
