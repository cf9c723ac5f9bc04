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
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"hetang/internal/apierr"
	"hetang/internal/config"
	"hetang/internal/links"
	"hetang/internal/store"
)

// Routes is what a Mounter gets: the echo instance and the middleware for
// ordinary and for batch (large, long) requests.
type Routes struct {
	Echo *echo.Echo
	// Std limits the body to Config.MaxBodyBytes and the work to Config.RequestTimeout.
	Std []echo.MiddlewareFunc
	// Batch limits the body to Config.BatchMaxBytes and the work to Config.BatchTimeout.
	Batch []echo.MiddlewareFunc
}

// Mounter adds routes to the server.
type Mounter interface {
	Mount(r Routes)
}

// Server is the HTTP service.
type Server struct {
	cfg     config.Config
	store   *store.Store
	log     *slog.Logger
	echo    *echo.Echo
	version string
}

// New builds the server with the health endpoints and the routes of mounts.
// version is the program's build version.
func New(cfg config.Config, st *store.Store, log *slog.Logger, version string, mounts ...Mounter) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = apierr.Handler(log)
	s := &Server{cfg: cfg, store: st, log: log, echo: e, version: version}

	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{
		Skipper: func(c echo.Context) bool { p := c.Request().URL.Path; return p == "/" || p == links.OGCAPI+"/" },
	}))
	// HEAD is routed as GET (echo routes by the request's method before
	// route middleware runs), then turned back into HEAD for the handler, so
	// that net/http sends the headers and drops the body.
	const headKey = "hetang.head"
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if req := c.Request(); req.Method == http.MethodHead {
				req.Method = http.MethodGet
				c.Set(headKey, true)
			}
			return next(c)
		}
	})
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Get(headKey) != nil {
				c.Request().Method = http.MethodHead
			}
			return next(c)
		}
	})
	e.Use(middleware.RequestID())
	e.Use(s.accessLog())
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			log.Error("panic", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
			return apierr.Errorf(apierr.KindInternal, "internal error; the server log has details under this request id")
		},
	}))
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  cfg.CORSOrigins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodOptions},
		AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, headerIfNoneMatch, echo.HeaderAccept, "Range"},
		ExposeHeaders: []string{headerETag, HeaderContentCRS, echo.HeaderXRequestID, echo.HeaderContentLength, "Content-Range", "Accept-Ranges", echo.HeaderContentDisposition},
	}))
	// Small answers (a point locate is about 2 KB) are not worth compressing;
	// layers and batches are, at the fastest level.
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		Level:     gzip.BestSpeed,
		MinLength: 8 << 10,
		Skipper:   servesWhole,
	}))

	r := Routes{
		Echo:  e,
		Std:   []echo.MiddlewareFunc{limitBody(cfg.MaxBodyBytes), middleware.ContextTimeout(cfg.RequestTimeout.D())},
		Batch: []echo.MiddlewareFunc{limitBody(cfg.BatchMaxBytes), middleware.ContextTimeout(cfg.BatchTimeout.D())},
	}
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
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

func (s *Server) accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURI: true, LogStatus: true, LogLatency: true, LogRequestID: true,
		LogRemoteIP: true, LogResponseSize: true, LogError: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("method", v.Method), slog.String("uri", v.URI), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID),
				slog.String("remote_ip", v.RemoteIP), slog.Int64("bytes", v.ResponseSize))
			return nil
		},
	})
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
			if req.Body != nil {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, n)
			}
			return next(c)
		}
	}
}

func (s *Server) healthz(c echo.Context) error {
	snap := s.store.Current()
	return c.JSON(http.StatusOK, map[string]any{
		"status":       "ok",
		"version":      s.version,
		"data_version": snap.Layout.Version,
		"layers":       len(snap.Layout.Layers),
		"loaded_at":    snap.LoadedAt.UTC().Format(time.RFC3339),
	})
}

func (s *Server) readyz(c echo.Context) error {
	snap := s.store.Current()
	if snap == nil || len(snap.Layout.Layers) == 0 {
		return apierr.Errorf(apierr.KindUnavailable, "no data loaded yet")
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "data_version": snap.Layout.Version})
}
