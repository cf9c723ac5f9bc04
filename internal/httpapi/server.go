// Package httpapi is the service's shared HTTP server: the echo instance
// with its production middleware (request ids, access logs, CORS, body and
// time limits, gzip, panic recovery), the error handler, the health
// endpoints, and what every feature's handlers share (the ETag response
// cache, reading the crs parameter). The features — layers, queries,
// downloads, imports, OGC API, tiles, the web page — plug in through Mounter.
package httpapi

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"hetang/internal/apierr"
	"hetang/internal/config"
	"hetang/internal/links"
	"hetang/internal/metrics"
	"hetang/internal/store"
)

// Routes is what a Mounter gets: the echo instance and the middleware for
// ordinary and for batch (large, long) requests.
type Routes struct {
	Echo *echo.Echo
	// Std limits the body to Config.MaxBodyBytes and the work to Config.RequestTimeout.
	Std []echo.MiddlewareFunc
	// Quick limits the body like Std, without a deadline: for handlers whose
	// work is bounded and short (microseconds, in memory, no waiting), where
	// setting up a deadline would cost more than the work it could stop.
	Quick []echo.MiddlewareFunc
	// Batch limits the body to Config.BatchMaxBytes and the work to Config.BatchTimeout.
	Batch []echo.MiddlewareFunc
	// Metrics is the registry /metrics writes: features add their gauges.
	Metrics *metrics.Registry

	repeat repeatable
}

// Mounter adds routes to the server.
type Mounter interface {
	Mount(r Routes)
}

// MounterFunc is a function that is a Mounter.
type MounterFunc func(r Routes)

// Mount calls f.
func (f MounterFunc) Mount(r Routes) { f(r) }

// Server is the HTTP service.
type Server struct {
	cfg     config.Config
	store   *store.Store
	log     *slog.Logger
	echo    *echo.Echo
	version string
	metrics *metrics.Registry
}

// Headers every answer carries: the layout version (the number ?version=
// takes) and the data version (the content version in ETags and
// data_version fields) of the snapshot it was answered from.
const (
	HeaderLayoutVersion = "Hetang-Layout-Version"
	HeaderDataVersion   = "Hetang-Data-Version"
)

// headKey marks, in a request's context, a HEAD routed as GET.
const headKey = "hetang.head"

// ParamVersion asks any data endpoint for an earlier layout version:
// ?version=N (GET /api/v1/versions lists them).
const ParamVersion = "version"

// New builds the server with the health endpoints and the routes of mounts.
// version is the program's build version.
func New(cfg config.Config, st *store.Store, log *slog.Logger, version string, mounts ...Mounter) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = apierr.Handler(log)
	// The client's address (access log, audit log) is the peer's, unless the
	// peer is a proxy on loopback, a private or a link-local network: then the
	// nearest address in X-Forwarded-For that is not such a proxy. Anything in
	// the header that is not an IP address is ignored (the peer's address is
	// used), so a client cannot write what it likes into the logs.
	e.IPExtractor = echo.ExtractIPFromXFFHeader()
	s := &Server{cfg: cfg, store: st, log: log, echo: e, version: version, metrics: metrics.New()}
	s.registerGauges()

	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{
		Skipper: func(c echo.Context) bool { p := c.Request().URL.Path; return p == "/" || p == links.OGCAPI+"/" },
	}))
	// HEAD is routed as GET (echo routes by the request's method before
	// route middleware runs), then turned back into HEAD for the handler by
	// edge, so that net/http sends the headers and drops the body.
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if req := c.Request(); req.Method == http.MethodHead {
				req.Method = http.MethodGet
				c.Set(headKey, true)
			}
			return next(c)
		}
	})
	rep := repeatable{}
	e.Use(s.edge(rep)) // HEAD back, request id, input checks, panics, errors, access log
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  cfg.CORSOrigins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodOptions},
		AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, headerIfNoneMatch, echo.HeaderAccept, "Range"},
		ExposeHeaders: []string{headerETag, HeaderContentCRS, echo.HeaderXRequestID, echo.HeaderContentLength, "Content-Range", "Accept-Ranges", echo.HeaderContentDisposition, HeaderLayoutVersion, HeaderDataVersion},
	}))
	// Small answers (a point locate is about 2 KB) are not worth compressing;
	// layers and batches are, at the fastest level, when the client accepts
	// gzip (q-values honoured: "gzip;q=0" refuses it).
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		Level:     gzip.BestSpeed,
		MinLength: 8 << 10,
		Skipper: func(c echo.Context) bool {
			return !AcceptsGzip(c.Request().Header[echo.HeaderAcceptEncoding]) || servesWhole(c)
		},
	}))

	r := Routes{
		Echo:    e,
		Std:     []echo.MiddlewareFunc{limitBody(cfg.MaxBodyBytes), middleware.ContextTimeout(cfg.RequestTimeout.D())},
		Quick:   []echo.MiddlewareFunc{limitBody(cfg.MaxBodyBytes)},
		Batch:   []echo.MiddlewareFunc{limitBody(cfg.BatchMaxBytes), middleware.ContextTimeout(cfg.BatchTimeout.D())},
		Metrics: s.metrics,
		repeat:  rep,
	}
	e.Use(s.pin)
	e.GET(PathHealthz, s.healthz)
	e.GET(PathReadyz, s.readyz)
	e.GET(PathMetrics, s.serveMetrics)
	for _, m := range mounts {
		m.Mount(r)
	}
	return s
}

// Handler returns the server as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.echo }

// Serve listens on addr and serves until ctx is cancelled, then drains
// in-flight requests for up to the configured shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout.D(),
		ReadTimeout:       s.cfg.ReadTimeout.D(),
		WriteTimeout:      s.cfg.WriteTimeout.D(),
		IdleTimeout:       s.cfg.IdleTimeout.D(),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining in-flight requests", "timeout", s.cfg.ShutdownTimeout.D().String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout.D())
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// limitBody refuses bodies larger than n bytes with 413: at once when the
// Content-Length says so, and while reading otherwise (handlers see an
// *http.MaxBytesError, which the error handler maps to 413).
func limitBody(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > n {
				return apierr.Errorf(apierr.KindTooLarge, "request body of %d bytes exceeds the limit of %d bytes; split the input or raise the configured limit", req.ContentLength, n)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, n)
			}
			return next(c)
		}
	}
}

// Paths of the operational endpoints.
const (
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathMetrics = "/metrics"
)

// pin resolves the snapshot a request reads — the version ?version=N names,
// else the current one — once, names it in the response headers, and puts
// it in the request's context, where handlers get it with
// store.SnapshotFor: every part of an answer comes from that one version.
func (s *Server) pin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		var snap *store.Snapshot
		if v := c.QueryParam(ParamVersion); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return apierr.Errorf(apierr.KindInvalid, "version=%q must be a layout version number (1, 2, …); GET %s lists them", v, links.Versions)
			}
			if snap, err = s.store.At(req.Context(), n); errors.Is(err, store.ErrNoVersion) {
				return apierr.Errorf(apierr.KindNotFound, "there is no layout version %d; GET %s lists them", n, links.Versions)
			} else if err != nil {
				return apierr.WithCause(apierr.KindUnavailable, fmt.Sprintf("layout version %d cannot be loaded now; try again", n), err)
			}
		} else if snap = s.store.Current(); snap == nil {
			return next(c)
		}
		h := c.Response().Header()
		h.Set(HeaderLayoutVersion, strconv.FormatInt(snap.Version.N, 10))
		h.Set(HeaderDataVersion, snap.Layout.Version)
		c.SetRequest(req.WithContext(store.WithSnapshot(req.Context(), snap)))
		return next(c)
	}
}

func (s *Server) healthz(c echo.Context) error {
	snap := s.store.SnapshotFor(c.Request().Context())
	return c.JSON(http.StatusOK, map[string]any{
		"status":         "ok",
		"version":        s.version,
		"data_version":   snap.Layout.Version,
		"layout_version": snap.Version.N,
		"layers":         len(snap.Layout.Layers),
		"loaded_at":      snap.LoadedAt.UTC().Format(time.RFC3339),
	})
}

// readyz fails (503) while the replica has no data, cannot reach its
// database, or serves an older version than the newest committed one for
// longer than the configured bound.
func (s *Server) readyz(c echo.Context) error {
	if err := s.store.Ready(c.Request().Context()); err != nil {
		reason := err.Error()
		if errors.Is(err, store.ErrUnavailable) {
			// The cause names hosts, users, sockets: for the log only.
			reason = "the database cannot be reached or its schema read; the server log has the cause under this request id"
		}
		return apierr.WithCause(apierr.KindUnavailable, "not ready: "+reason, err)
	}
	snap := s.store.Current()
	st := s.store.Status()
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "data_version": snap.Layout.Version, "layout_version": snap.Version.N,
		"newest_version": st.Head, "lag_seconds": st.Lag.Seconds()})
}

// registerGauges adds the store's position to the metrics.
func (s *Server) registerGauges() {
	m, st := s.metrics, s.store
	m.Gauge("hetang_build_info", "The program's build version (always 1).", metrics.Label("version", s.version), func() float64 { return 1 })
	m.Gauge("hetang_layout_version", "The layout version this replica serves.", "", func() float64 { return float64(st.Status().Version) })
	m.Gauge("hetang_layout_newest_version", "The newest layout version the database announced.", "", func() float64 { return float64(st.Status().Head) })
	m.Gauge("hetang_snapshot_age_seconds", "Time since this replica loaded the snapshot it serves.", "", func() float64 { return st.Status().SnapshotAge.Seconds() })
	m.Gauge("hetang_replica_lag_seconds", "How long a newer committed version than the served one has been known (0 when up to date).", "", func() float64 { return st.Status().Lag.Seconds() })
	m.Gauge("hetang_database_contact_age_seconds", "Time since the database was last reached.", "", func() float64 { return st.Status().SinceContact.Seconds() })
	m.Gauge("hetang_snapshot_swap_seconds", "Time the last followed version took to load and index.", "", func() float64 { return st.Status().LastSwap.Seconds() })
	m.Counter("hetang_snapshot_swaps_total", "Snapshots this replica has installed.", func() float64 { return float64(st.Status().Swaps) })
}

func (s *Server) serveMetrics(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentType, metrics.ContentType)
	c.Response().WriteHeader(http.StatusOK)
	return s.metrics.Write(c.Response())
}
