package httpapi

import "strings"

// etagMatch reports whether an If-None-Match header matches etag, using the
// weak comparison RFC 9110 prescribes for If-None-Match.
func etagMatch(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// Header names echo does not define.
const (
	headerETag        = "ETag"
	headerIfNoneMatch = "If-None-Match"
)
