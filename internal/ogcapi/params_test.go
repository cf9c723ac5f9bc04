package ogcapi

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hetang/internal/apierr"
	"hetang/internal/crs"
)

func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"113.2,27.9,113.3,28", "27.9,113.2,28,113.3", "1,2,3", "a,b,c,d", "3,2,1,4", "-180,-90,180,90", "1e308,1,1e309,2", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cr := range supportedCRS {
			b, err := parseBBox(s, cr)
			if err != nil {
				var ae *apierr.Error
				if !errors.As(err, &ae) || ae.Status() != 400 {
					t.Fatalf("parseBBox(%q, %s) error %v is not a 400", s, cr.Code, err)
				}
				continue
			}
			if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
				t.Fatalf("parseBBox(%q) = %v: minimum above maximum", s, b)
			}
			if _, err := fromCRS(b, cr); err != nil && cr.Code == crs.CRS84.Code {
				t.Fatalf("fromCRS(%v, CRS84): %v", b, err)
			}
		}
	})
}

func FuzzCheckDatetime(f *testing.F) {
	for _, s := range []string{"2021-01-01T00:00:00Z", "2021-01-01", "../2021-01-01", "2021-01-01/..", "/2021-01-01", "notadate", "2021-02-30", "../..", "2021-01-01T00:00:00+08:00/2020-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkDatetime(s)
		if err != nil {
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Status() != 400 || len(ae.Detail) > 1300 {
				t.Fatalf("checkDatetime(%q) error %v is not a short 400", s, err)
			}
			return
		}
		// Accepted: every end is a date-time or a date, in order.
		var prev time.Time
		for i, p := range strings.Split(s, "/") {
			if p == ".." || p == "" {
				continue
			}
			tm, perr := parseInstant(p)
			if perr != nil {
				t.Fatalf("checkDatetime(%q) accepted the end %q: %v", s, p, perr)
			}
			if i == 1 && tm.Before(prev) {
				t.Fatalf("checkDatetime(%q) accepted a reversed interval", s)
			}
			prev = tm
		}
	})
}
