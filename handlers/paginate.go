package handlers

import (
	"math"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"authsvc/apierr"
)

const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// page is a parsed ?page=N&page_size=M.
type page struct {
	Number, Size int
}

func (p page) offset() int { return (p.Number - 1) * p.Size }

var errInvalidPage = &apierr.Error{Status: 404, Code: apierr.CodeNotFound, Detail: "Invalid page."}

// parsePage reads the pagination query as DRF's PageNumberPagination does: a
// page that is not a positive integer is 404 "Invalid page.", a page_size
// over the maximum is clamped, a bad page_size falls back to the default.
func parsePage(c *gin.Context) (page, error) {
	p := page{Number: 1, Size: defaultPageSize}
	if v := c.Query("page"); v != "" {
		n, err := strconv.Atoi(v)
		// The bound keeps (n-1)*page_size from overflowing into a
		// negative offset that would serve the first page again.
		if err != nil || n < 1 || n > math.MaxInt32 {
			return p, errInvalidPage
		}
		p.Number = n
	}
	if v := c.Query("page_size"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			p.Size = min(n, maxPageSize)
		}
	}
	return p, nil
}

// paginated is the contract's list body.
type paginated struct {
	Count    int64   `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  any     `json:"results"`
}

// newPage builds the list body; a page past the end (other than an empty
// first page) is 404, as in DRF.
func (a *api) newPage(c *gin.Context, p page, total int64, results any) (paginated, error) {
	if p.Number > 1 && int64(p.offset()) >= total {
		return paginated{}, errInvalidPage
	}
	out := paginated{Count: total, Results: results}
	link := func(n int) *string {
		u := url.URL{Scheme: scheme(c, a.proxies), Host: c.Request.Host, Path: c.Request.URL.Path}
		q := c.Request.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("page_size", strconv.Itoa(p.Size))
		u.RawQuery = q.Encode()
		s := u.String()
		return &s
	}
	if int64(p.Number*p.Size) < total {
		out.Next = link(p.Number + 1)
	}
	if p.Number > 1 {
		out.Previous = link(p.Number - 1)
	}
	return out, nil
}

// scheme is how the client reached us: TLS, or X-Forwarded-Proto when the
// direct peer is one of AUTH_TRUSTED_PROXIES (a TLS-terminating proxy).
// Anyone else's X-Forwarded-Proto is ignored.
func scheme(c *gin.Context, proxies []netip.Prefix) string {
	if c.Request.TLS != nil {
		return "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		if ip, err := netip.ParseAddr(c.RemoteIP()); err == nil {
			for _, px := range proxies {
				if px.Contains(ip.Unmap()) {
					return p
				}
			}
		}
	}
	return "http"
}

// parsePrefixes turns AUTH_TRUSTED_PROXIES (IPs or CIDRs, validated by
// config) into prefixes.
func parsePrefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}
