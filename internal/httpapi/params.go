package httpapi

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/crs"
)

// ParamCRS is the query parameter naming the CRS of a response or a query.
const ParamCRS = "crs"

// HeaderContentCRS is the response header naming the CRS of the coordinates
// in the body (OGC API – Features Part 2).
const HeaderContentCRS = "Content-Crs"

// ParseCRS reads the crs query parameter (default CRS84); an unknown one is
// a 400 that lists the supported systems.
func ParseCRS(c echo.Context) (crs.CRS, error) {
	return ParseCRSParam(c.QueryParams(), ParamCRS, nil)
}

// ParseCRSParam reads the CRS query parameter name from q; empty means
// CRS84. With supported, only those systems are accepted and the 400 lists
// their URIs; without, every system of package crs is, and the 400 lists
// their short names.
func ParseCRSParam(q url.Values, name string, supported []crs.CRS) (crs.CRS, error) {
	v := q.Get(name)
	cr, err := crs.Parse(v)
	if supported == nil {
		if err != nil {
			return crs.CRS{}, apierr.BadRequest(err.Error())
		}
		return cr, nil
	}
	if err == nil && slices.ContainsFunc(supported, func(s crs.CRS) bool { return s.Code == cr.Code }) {
		return cr, nil
	}
	uris := make([]string, len(supported))
	for i, s := range supported {
		uris[i] = s.URI()
	}
	return crs.CRS{}, apierr.BadRequest(fmt.Sprintf("unsupported %s %q; use one of %s", name, v, strings.Join(uris, ", ")))
}
