package httpapi

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
)

// singleHeaders are the request headers that must come once: two values
// would leave the request ambiguous (which credentials, which media type).
var singleHeaders = []string{echo.HeaderAuthorization, echo.HeaderContentType}

// repeatable lists, per route path (as registered, e.g. "/api/v1/locate"),
// the query parameters that may be given more than once. Every other
// parameter of every route must come at most once. A route mapped to
// ownRules checks its query itself.
type repeatable map[string]map[string]bool

// ownRules marks a route that checks its own query string (ChecksOwnQuery).
const ownRules = "\x00own"

// AllowRepeated lets the query parameters names be given more than once on
// the route path (as registered with echo). Call it from Mount; by default
// every parameter of every route may come only once, and a second value is
// a 400 that names the parameter.
func (r Routes) AllowRepeated(path string, names ...string) {
	if r.repeat == nil {
		panic("httpapi: Routes.AllowRepeated on Routes not made by httpapi.New")
	}
	m := r.repeat[path]
	if m == nil {
		m = map[string]bool{}
		r.repeat[path] = m
	}
	for _, n := range names {
		m[n] = true
	}
}

// ChecksOwnQuery tells the server that the route path reads its query with
// its own rules and answers their errors in its own format (the WFS: KVP
// names are case-insensitive and errors are OWS exception reports). The
// route must call CheckQuery itself; the server then leaves its query alone
// (single-valued headers are still checked).
func (r Routes) ChecksOwnQuery(path string) { r.AllowRepeated(path, ownRules) }

// checkInput refuses ambiguous requests before any handler reads them: a
// query string that does not parse, or is not UTF-8, or gives a parameter
// twice (unless the route allows it), and a single-valued header given
// twice. It is the one place the rule lives, so every endpoint, present and
// future, follows it.
func checkInput(c echo.Context, rep repeatable) error {
	req := c.Request()
	for _, h := range singleHeaders {
		if vs := req.Header[h]; len(vs) > 1 {
			return apierr.BadRequest(fmt.Sprintf("the %s header is given %d times; send it once", h, len(vs)))
		}
	}
	if allow := rep[c.Path()]; req.URL.RawQuery != "" && !allow[ownRules] {
		return CheckQuery(req.URL.RawQuery, allow)
	}
	return nil
}

// maxSmallQuery is how many parameters CheckQuery compares pairwise before
// it switches to a map.
const maxSmallQuery = 16

// CheckQuery checks a raw query string: pairs separated by '&', valid
// percent-escapes, UTF-8 once unescaped, and no parameter twice unless
// allow[name]. The error is a 400 that names the parameter. It allocates
// only for escaped names and for long queries.
func CheckQuery(raw string, allow map[string]bool) error {
	var small [maxSmallQuery]string
	names := small[:0]
	var seen map[string]bool
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return apierr.BadRequest(fmt.Sprintf("the query string separates parameters with ';' (in %s); use '&'", apierr.Quote(pair)))
		}
		key, value, _ := strings.Cut(pair, "=")
		name, err := queryText(key)
		if err != nil {
			return apierr.BadRequest(fmt.Sprintf("query parameter name %s %s", apierr.Quote(key), err))
		}
		if _, err := queryText(value); err != nil {
			return apierr.BadRequest(fmt.Sprintf("query parameter %s: its value %s", apierr.Quote(name), err))
		}
		if allow[name] {
			continue
		}
		dup := false
		switch {
		case seen != nil:
			dup = seen[name]
			seen[name] = true
		case len(names) < maxSmallQuery:
			for _, n := range names {
				if n == name {
					dup = true
					break
				}
			}
			names = append(names, name)
		default:
			seen = make(map[string]bool, 2*len(names))
			for _, n := range names {
				seen[n] = true
			}
			dup = seen[name]
			seen[name] = true
		}
		if dup {
			return apierr.BadRequest(fmt.Sprintf("query parameter %s is given more than once; give it once", apierr.Quote(name)))
		}
	}
	return nil
}

// queryText unescapes one name or value of a query string ('+' is a space)
// and checks it is UTF-8; without escapes it returns s itself.
func queryText(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		if !utf8.ValidString(s) {
			return "", errNotUTF8
		}
		return s, nil
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return "", errBadEscape
	}
	if !utf8.ValidString(u) {
		return "", errNotUTF8
	}
	return u, nil
}

type queryError string

func (e queryError) Error() string { return string(e) }

const (
	errNotUTF8   queryError = "is not UTF-8 once unescaped; percent-encode the UTF-8 bytes of the text"
	errBadEscape queryError = "has a '%' that is not followed by two hex digits; write a literal % as %25"
)
