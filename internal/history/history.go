// Package history is the HTTP face of the layout's versions:
//
//	GET  /api/v1/versions                  the versions, newest first (public)
//	GET  /api/v1/versions/{n}              one version in full: author, changes (reader-admin)
//	GET  /api/v1/versions/{n}/diff[?from=m] the geometric differences from m (default n-1) to n, GeoJSON (reader-admin)
//	POST /api/v1/versions/{n}/rollback     restore version n as a new version (writer)
//	GET  /api/v1/audit                     the audit log of writes (reader-admin)
//
// Any data endpoint reads an earlier version with ?version=N (httpapi pins
// the request to it); these endpoints are about the history itself.
package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/auth"
	"hetang/internal/config"
	"hetang/internal/diff"
	"hetang/internal/httpapi"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/store"
)

// Query parameters.
const (
	ParamBefore = "before"
	ParamLimit  = "limit"
	ParamFrom   = "from"
)

// Page sizes of the lists.
const (
	DefaultLimit = 20
	MaxLimit     = 500
)

// Server serves the history of a store.
type Server struct {
	st      *store.Store
	tokens  *auth.Tokens
	authErr error
}

// New returns the history endpoints of st; the tokens come from cfg.
func New(cfg config.Config, st *store.Store) *Server {
	tokens, err := auth.FromConfig(cfg)
	return &Server{st: st, tokens: tokens, authErr: err}
}

// Mount adds the routes.
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.GET(links.Versions, s.list, r.Std...)
	r.Echo.GET(links.Versions+"/:n", s.version, r.Std...)
	r.Echo.GET(links.Versions+"/:n/diff", s.diff, r.Std...)
	r.Echo.POST(links.Versions+"/:n/rollback", s.rollback, r.Std...)
	r.Echo.GET(links.Audit, s.audit, r.Std...)
}

func (s *Server) authorize(c echo.Context, role, what string) (auth.Principal, error) {
	if s.authErr != nil {
		return auth.Principal{}, fmt.Errorf("history: token configuration: %w", s.authErr)
	}
	return s.tokens.Authorize(c, role, what)
}

// Summary is a version as the public list shows it (without its author).
type Summary struct {
	N           int64               `json:"version"`
	DataVersion string              `json:"data_version"`
	Created     string              `json:"created_at"`
	Kind        string              `json:"kind"`
	Message     string              `json:"message"`
	Changes     []store.LayerChange `json:"changes"`
	RollbackOf  int64               `json:"rollback_of,omitempty"`
	Links       []links.Link        `json:"links"`
}

// List is the body of GET /api/v1/versions.
type List struct {
	// LayoutVersion is the version this replica serves.
	LayoutVersion int64        `json:"layout_version"`
	DataVersion   string       `json:"data_version"`
	Versions      []Summary    `json:"versions"`
	Links         []links.Link `json:"links"`
}

func intParam(c echo.Context, name string, def, lo, hi int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, apierr.Errorf(apierr.KindInvalid, "%s=%q must be a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func versionParam(c echo.Context) (int64, error) {
	v := c.Param("n")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, apierr.Errorf(apierr.KindInvalid, "%q is not a layout version number (1, 2, …); GET %s lists them", v, links.Versions)
	}
	return n, nil
}

// notFound is the answer when version n cannot be read: 404 when there is
// no such version, 503 while the database cannot be reached.
func notFound(n int64, err error) error {
	switch {
	case errors.Is(err, store.ErrNoVersion):
		return apierr.Errorf(apierr.KindNotFound, "there is no layout version %d; GET %s lists them", n, links.Versions)
	case errors.Is(err, store.ErrUnavailable):
		return apierr.WithCause(apierr.KindUnavailable, fmt.Sprintf("layout version %d cannot be read now: the database cannot be reached; try again", n), err)
	}
	return err
}

func (s *Server) list(c echo.Context) error {
	before, err := intParam(c, ParamBefore, 0, 1, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(c, ParamLimit, DefaultLimit, 1, MaxLimit)
	if err != nil {
		return err
	}
	vs, err := s.st.Versions(c.Request().Context(), before, int(limit))
	if err != nil {
		return apierr.WithCause(apierr.KindUnavailable, "the version history cannot be read now; try again", err)
	}
	snap := s.st.SnapshotFor(c.Request().Context())
	body := List{LayoutVersion: snap.Version.N, DataVersion: snap.Layout.Version, Versions: make([]Summary, len(vs)),
		Links: []links.Link{{Rel: links.RelSelf, Href: links.Versions, Type: mediatype.JSON}}}
	for i, v := range vs {
		body.Versions[i] = Summary{N: v.N, DataVersion: v.DataVersion, Created: v.Created.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Kind: v.Kind,
			Message: v.Message, Changes: v.Changes, RollbackOf: v.RollbackOf,
			Links: []links.Link{
				{Rel: "describedby", Href: links.Version(v.N), Type: mediatype.JSON, Title: "who and what (reader-admin token)"},
				{Rel: links.RelItems, Href: links.Layers + "?" + httpapi.ParamVersion + "=" + strconv.FormatInt(v.N, 10), Type: mediatype.JSON, Title: "the layers as of this version"},
			}}
	}
	if len(vs) == int(limit) && vs[len(vs)-1].N > 1 {
		body.Links = append(body.Links, links.Link{Rel: links.RelNext, Href: fmt.Sprintf("%s?%s=%d&%s=%d", links.Versions, ParamBefore, vs[len(vs)-1].N, ParamLimit, limit), Type: mediatype.JSON})
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) version(c echo.Context) error {
	if _, err := s.authorize(c, auth.RoleReaderAdmin, "version details"); err != nil {
		return err
	}
	n, err := versionParam(c)
	if err != nil {
		return err
	}
	v, err := s.st.Version(c.Request().Context(), n)
	if err != nil {
		return notFound(n, err)
	}
	return c.JSON(http.StatusOK, v)
}

// DiffSummary goes with the differences in the diff's GeoJSON.
type DiffSummary struct {
	From   int64        `json:"from"`
	To     int64        `json:"to"`
	Layers []diff.Layer `json:"layers"`
}

func (s *Server) diff(c echo.Context) error {
	if _, err := s.authorize(c, auth.RoleReaderAdmin, "diffs"); err != nil {
		return err
	}
	to, err := versionParam(c)
	if err != nil {
		return err
	}
	from, err := intParam(c, ParamFrom, to-1, 1, 1<<62)
	if err != nil {
		return err
	}
	if from < 1 {
		return apierr.Errorf(apierr.KindInvalid, "version 1 has no earlier version; give from=N to compare with another")
	}
	ctx := c.Request().Context()
	a, err := s.st.At(ctx, from)
	if err != nil {
		return notFound(from, err)
	}
	b, err := s.st.At(ctx, to)
	if err != nil {
		return notFound(to, err)
	}
	res, err := diff.Layouts(ctx, a.Layout, b.Layout)
	if err != nil {
		return err
	}
	fc := res.GeoJSON()
	fc.ExtraMembers = map[string]any{
		"from": from, "to": to, "from_data_version": a.Layout.Version, "to_data_version": b.Layout.Version,
		"layers": res.Layers,
		"notice": "Areas are ellipsoidal (WGS84, geodesic edges); a changed polygon's geometry is the collection of its gained and lost parts.",
	}
	body, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, mediatype.GeoJSON, body)
}

// RollbackResult is the body of a rollback's answer.
type RollbackResult struct {
	Version     store.Version `json:"version"`
	DataVersion string        `json:"data_version"`
}

func (s *Server) rollback(c echo.Context) error {
	who, err := s.authorize(c, auth.RoleWriter, "rollbacks")
	if err != nil {
		return err
	}
	n, err := versionParam(c)
	if err != nil {
		return err
	}
	if s.st.ReadOnly() {
		return apierr.WithCause(apierr.KindConflict, "this server serves the embedded default data, which is read-only; start it with -data FILE.gpkg or -data postgres://… to allow rollbacks", store.ErrReadOnly)
	}
	message, err := httpapi.WriteMessage(c)
	if err != nil {
		return err
	}
	snap, err := s.st.Rollback(c.Request().Context(), n, store.Change{
		Author: who.Name, Role: who.Role, Message: message,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID), Remote: c.RealIP(),
	})
	if err != nil {
		if errors.Is(err, store.ErrNoVersion) {
			return notFound(n, err)
		}
		return httpapi.WriteError(err, "the rollback")
	}
	h := c.Response().Header()
	h.Set(httpapi.HeaderLayoutVersion, strconv.FormatInt(snap.Version.N, 10))
	h.Set(httpapi.HeaderDataVersion, snap.Layout.Version)
	return c.JSON(http.StatusOK, RollbackResult{Version: snap.Version, DataVersion: snap.Layout.Version})
}

func (s *Server) audit(c echo.Context) error {
	if _, err := s.authorize(c, auth.RoleReaderAdmin, "the audit log"); err != nil {
		return err
	}
	before, err := intParam(c, ParamBefore, 0, 1, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(c, ParamLimit, DefaultLimit, 1, MaxLimit)
	if err != nil {
		return err
	}
	entries, err := s.st.AuditLog(c.Request().Context(), before, int(limit))
	if err != nil {
		return apierr.WithCause(apierr.KindUnavailable, "the audit log cannot be read now; try again", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": entries})
}
