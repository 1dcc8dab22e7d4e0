package openapi_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"authsvc/openapi"
)

// TestDocumentValid loads the embedded document and validates it as
// OpenAPI 3.1.
func TestDocumentValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// TestDocumentCoversContract checks that every endpoint in the wire
// contract's table (../shared/API.md beside the repository) has a path item
// with that method, so no endpoint of the contract goes undocumented.
func TestDocumentCoversContract(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range contractEndpoints(t) {
		item, ok := doc.Paths[e.path]
		if !ok {
			t.Errorf("%s %s: no path item", e.method, e.path)
			continue
		}
		if _, ok := item[strings.ToLower(e.method)]; !ok {
			t.Errorf("%s %s: method not documented", e.method, e.path)
		}
	}
}

type endpoint struct{ method, path string }

// contractEndpoints parses the endpoint table of API.md.
func contractEndpoints(t *testing.T) []endpoint {
	// The test runs in openapi/; the contract lives in ../shared beside the
	// repository root.
	b, err := os.ReadFile("../../shared/API.md")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the contract ../shared/API.md is missing in CI: ", err)
		}
		t.Skip("API.md not available: ", err)
	}
	row := regexp.MustCompile("(?m)^\\| ([A-Z, ]+) \\| (/[^ |]*)( \\(alias ([^)]+)\\))?(, \\.\\.\\./([a-z]+)/)? \\|")
	var out []endpoint
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		paths := []string{m[2]}
		if m[4] != "" {
			paths = append(paths, m[4])
		}
		if m[6] != "" {
			paths = append(paths, m[2][:strings.LastIndex(strings.TrimSuffix(m[2], "/"), "/")+1]+m[6]+"/")
		}
		for _, method := range strings.Split(m[1], ", ") {
			for _, p := range paths {
				out = append(out, endpoint{method, p})
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("parsed only %d endpoints from API.md: %v", len(out), out)
	}
	return out
}
