package ogcapi

import (
	"errors"
	"testing"

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
