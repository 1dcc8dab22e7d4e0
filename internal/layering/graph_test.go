package layering_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// pkg is the part of `go list -json` the rules need.
type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
	Module     *struct {
		Main bool
		Dir  string
	}
}

// graph is the import graph of the module's packages and of everything they
// import, test files left out: a test may import whatever it sets up with.
type graph struct {
	pkgs map[string]*pkg
	// own are the module's packages, sorted.
	own []string
}

// loadGraph runs `go list -deps` over the module. It reads only the module
// cache, which building the tests has filled, so it needs no network.
//
// It also walks the module's folders itself: `go test` caches a result until
// a file or folder the test opened changes, and it cannot see what the go
// command it started read, so without the walk a new import in some other
// package would leave the cached pass in place.
func loadGraph() (*graph, error) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Standard,Module", "authsvc/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.String())
	}
	g := &graph{pkgs: map[string]*pkg{}}
	var root string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := &pkg{}
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		g.pkgs[p.ImportPath] = p
		if p.Module != nil && p.Module.Main {
			g.own = append(g.own, p.ImportPath)
			root = p.Module.Dir
		}
	}
	sort.Strings(g.own)
	if root == "" {
		return nil, errors.New("go list named no package of the main module")
	}
	if err := watchSources(root); err != nil {
		return nil, err
	}
	return g, nil
}

// watchSources opens every folder the go command would look for packages
// in, which records them, with their files' sizes and times, as inputs of
// the test result.
func watchSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk module sources: %w", err)
		}
		name := d.Name()
		if d.IsDir() && path != root && (name == "testdata" || name == "node_modules" ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		return nil
	})
}

// match reports whether path is pattern, or lies under it when pattern ends
// in "/..." (as in the go command, "x/..." matches x itself too).
func match(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if match(p, path) {
			return true
		}
	}
	return false
}

// exists reports whether some package of the graph matches pattern.
func (g *graph) exists(pattern string) bool {
	for path := range g.pkgs {
		if match(pattern, path) {
			return true
		}
	}
	return false
}

// reach returns, for every package from imports (directly, or through any
// chain when direct is false), the shortest import chain that leads to it,
// from first.
func (g *graph) reach(from string, direct bool) map[string][]string {
	via := map[string][]string{from: {from}}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := g.pkgs[cur]
		// The standard library imports nothing outside itself.
		if p == nil || (p.Standard && cur != from) {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := via[imp]; seen {
				continue
			}
			via[imp] = append(append([]string(nil), via[cur]...), imp)
			if !direct {
				queue = append(queue, imp)
			}
		}
		if direct {
			break
		}
	}
	delete(via, from)
	return via
}
