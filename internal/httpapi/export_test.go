package httpapi_test

import "net/url"

// parseQueryRef is the standard library's reading of a query string, the
// reference CheckQuery is fuzzed against.
func parseQueryRef(raw string) (url.Values, error) { return url.ParseQuery(raw) }
