package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"authsvc/openapi"
)

// contract validates answers against the embedded OpenAPI document, so the
// document cannot drift from what the handlers do.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

func newContract() (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json invalid: %w", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	return &contract{doc: doc, router: r}, nil
}

// check validates one answer. The document spells paths with their
// trailing slash (except /healthz and the like); the service serves both
// spellings, so the route is looked up with the slash and then without.
// An unknown path must be a JSON 404 and a known path with an undocumented
// method a JSON 405 with Allow; any other answer from a route the document
// lacks fails, so a new route cannot go undocumented.
func (k *contract) check(req *http.Request, resp *Response) error {
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
		// A CORS preflight is the browser's protocol, not an API operation.
		return nil
	}
	r := req.Clone(context.Background())
	trimmed := strings.TrimRight(r.URL.Path, "/")
	var route *routers.Route
	var params map[string]string
	var err error
	for _, p := range []string{trimmed + "/", trimmed} {
		r.URL.Path, r.URL.RawPath = p, ""
		route, params, err = k.router.FindRoute(r)
		if err == nil || errors.Is(err, routers.ErrMethodNotAllowed) {
			break
		}
	}
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		if resp.Status != http.StatusNotFound {
			return fmt.Errorf("route not in openapi.json but answered %d", resp.Status)
		}
		return k.checkError(resp)
	case errors.Is(err, routers.ErrMethodNotAllowed):
		if resp.Status != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
			return fmt.Errorf("method not in openapi.json but answered %d (Allow %q)", resp.Status, resp.Header.Get("Allow"))
		}
		return k.checkError(resp)
	case err != nil:
		return fmt.Errorf("find route: %w", err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 resp.Status,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(resp.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// checkError validates a body against the general Error schema.
func (k *contract) checkError(resp *Response) error {
	var v any
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		return fmt.Errorf("%d body is not JSON: %w", resp.Status, err)
	}
	return k.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}
