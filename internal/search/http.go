package search

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/httpapi"
	"hetang/internal/intake"
	"hetang/internal/spatial"
	"hetang/internal/store"
)

// Query parameters.
const (
	ParamQ     = "q"
	ParamLimit = "limit"
)

// Limits on limit=.
const (
	DefaultLimit = 10
	MaxLimit     = 50
)

// Answer is the body of GET /api/v1/search.
type Answer struct {
	// LayoutVersion is the layout version searched (Hetang-Layout-Version).
	LayoutVersion int64    `json:"layout_version"`
	Query         string   `json:"query"`
	Results       []Result `json:"results"`
}

// Server serves GET /api/v1/search from the store's current snapshot.
type Server struct {
	store *store.Store
	data  *Data
	err   error
	cache cache
}

// New returns the search endpoint; the aliases and pinyin come from
// geodata (an error reading them makes every search a 500 naming it).
func New(st *store.Store, geodata fs.FS) *Server {
	d, err := ReadData(geodata)
	return &Server{store: st, data: d, err: err}
}

// Mount registers the route.
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.GET("/api/v1/search", s.get, r.Std...)
}

func (s *Server) get(c echo.Context) error {
	if s.err != nil {
		return s.err
	}
	q := c.QueryParams()
	text := q.Get(ParamQ)
	if strings.TrimSpace(text) == "" {
		return apierr.BadRequest("q is required: a name (株洲站, 金山), pinyin or initials (jsxc), or a coordinate (113.17,27.86; 27°51'36\"N 113°10'12\"E; 421200 3082500)")
	}
	if !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxQuery {
		return apierr.BadRequest(fmt.Sprintf("q must be valid UTF-8 text of at most %d characters", MaxQuery))
	}
	limit := DefaultLimit
	if v := q.Get(ParamLimit); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > MaxLimit {
			return apierr.BadRequest(fmt.Sprintf("limit %q must be a whole number from 1 to %d", intake.Truncate(v), MaxLimit))
		}
		limit = n
	}
	crsName := q.Get(httpapi.ParamCRS)
	snap := s.store.SnapshotFor(c.Request().Context())
	a := Answer{LayoutVersion: snap.Version.N, Query: text, Results: []Result{}}
	if p, geo, ok := parsePair(text); ok {
		r, ok, err := coordinateResult(p, geo, crsName)
		if err != nil {
			var ie *intake.InputError
			if errors.As(err, &ie) {
				return apierr.BadRequest("crs: " + ie.EN + " / " + ie.ZH)
			}
			return err
		}
		if ok {
			var hit spatial.PointHit
			snap.Index.Locate(orbPoint(r.Center), &hit)
			if hit.Area != nil {
				r.AreaID = hit.Area.ID
				zh, _ := hit.Area.Properties["name_zh"].(string)
				en, _ := hit.Area.Properties["name_en"].(string)
				r.NameZH += " · " + zh
				r.NameEN += " · " + en
			} else {
				r.NameZH += " · 区外"
				r.NameEN += " · outside the district"
			}
			a.Results = append(a.Results, r)
		}
	}
	ix := s.cache.get(snap.Layout, s.data)
	a.Results = append(a.Results, ix.Search(text, limit-len(a.Results))...)
	return c.JSON(http.StatusOK, a)
}
