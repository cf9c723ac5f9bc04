package report

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/budget"
	"hetang/internal/crs"
	"hetang/internal/httpapi"
	"hetang/internal/intake"
	"hetang/internal/locate"
	"hetang/internal/spatial"
	"hetang/internal/store"
)

// MediaTypePDF is the media type of the PDF report.
const MediaTypePDF = "application/pdf"

// Query parameters: format=pdf|json (default json); name= a name for the
// subject (a point; a parcel's comes from its properties.name); lang=zh|en
// is accepted and ignored: the report is bilingual.
const (
	ParamFormat = "format"
	ParamName   = "name"
	ParamLang   = "lang"
)

// MaxName is the longest subject name kept, in runes.
const MaxName = 60

// subjectName cleans a name for the report: valid UTF-8, no control
// characters, at most MaxName characters.
func subjectName(s string) string {
	s = strings.TrimSpace(intake.Echo(s))
	if r := []rune(s); len(r) > MaxName {
		s = string(r[:MaxName]) + "…"
	}
	return s
}

// Server serves /api/v1/report.
type Server struct {
	store  *store.Store
	limits spatial.ParcelLimits
	budget *budget.Budget
	now    func() time.Time
	// pdfSlots bounds the PDFs drawn at once (each costs about a quarter
	// of a CPU-second): one per CPU; others wait for a slot until their
	// request's deadline.
	pdfSlots chan struct{}
}

// New returns the report endpoints; parcels are bounded by limits and
// admitted by the memory budget bud (nil: no budget).
func New(st *store.Store, limits spatial.ParcelLimits, bud *budget.Budget) *Server {
	return &Server{store: st, limits: limits, budget: bud, now: time.Now, pdfSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

// Mount registers the routes.
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.GET("/api/v1/report", s.get, r.Std...)
	r.Echo.POST("/api/v1/report", s.post, r.Std...)
}

// wantsPDF reads format= and Accept.
func wantsPDF(c echo.Context) (bool, error) {
	switch strings.ToLower(c.QueryParam(ParamFormat)) {
	case "pdf":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, apierr.BadRequest("format must be json or pdf")
	}
	for _, part := range strings.Split(c.Request().Header.Get(echo.HeaderAccept), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		if mt == MediaTypePDF {
			return true, nil
		}
		if mt == "application/json" {
			return false, nil
		}
	}
	return false, nil
}

// prepare reads what both routes take: the output format and crs=.
func (s *Server) prepare(c echo.Context) (bool, *locate.Locator, error) {
	pdf, err := wantsPDF(c)
	if err != nil {
		return false, nil, err
	}
	cr, err := httpapi.ParseCRSParam(c.QueryParams(), httpapi.ParamCRS, nil)
	if err != nil {
		return false, nil, err
	}
	l := locate.For(s.store.SnapshotFor(c.Request().Context()))
	l.CRS, l.K, l.Limits, l.Budget = cr, locate.DefaultK, s.limits, s.budget
	return pdf, l, nil
}

func (s *Server) get(c echo.Context) error {
	pdf, l, err := s.prepare(c)
	if err != nil {
		return err
	}
	p, err := locate.ParsePoint(c.QueryParams(), l.CRS)
	if err != nil {
		return err
	}
	a, err := l.Point(p)
	if err != nil {
		return err
	}
	snap := s.store.SnapshotFor(c.Request().Context())
	r := ForPoint(snap.Layout, a, s.now())
	r.Subject.Name = subjectName(c.QueryParam(ParamName))
	return s.write(c, r, pdf)
}

func (s *Server) post(c echo.Context) error {
	pdf, l, err := s.prepare(c)
	if err != nil {
		return err
	}
	if err := locate.CheckParcelMediaType(c.Request()); err != nil {
		return err
	}
	a, g, body, err := l.ParcelBody(c.Request().Context(), c.Request().Body, c.Request().ContentLength)
	if err != nil {
		return err
	}
	w := g
	if l.CRS.Code != crs.CRS84.Code && !l.CRS.IsWGS84() {
		if w, err = l.CRS.GeometryToWGS84(g); err != nil {
			return apierr.BadRequest("the parcel cannot be converted to WGS84 from " + l.CRS.Code)
		}
	}
	snap := s.store.SnapshotFor(c.Request().Context())
	r := ForParcel(snap.Layout, a, w, s.now())
	var named struct {
		Properties struct {
			Name any `json:"name"`
		} `json:"properties"`
	}
	if json.Unmarshal(body, &named) == nil {
		if n, ok := named.Properties.Name.(string); ok {
			r.Subject.Name = subjectName(n)
		}
	}
	if n := c.QueryParam(ParamName); n != "" {
		r.Subject.Name = subjectName(n)
	}
	return s.write(c, r, pdf)
}

func (s *Server) write(c echo.Context, r *Report, pdf bool) error {
	if !pdf {
		return c.JSON(http.StatusOK, r)
	}
	ctx := c.Request().Context()
	select {
	case s.pdfSlots <- struct{}{}:
		defer func() { <-s.pdfSlots }()
	case <-ctx.Done():
		return ctx.Err() // deadline → 503, client gone → 499
	}
	b, err := r.PDF(s.store.SnapshotFor(ctx).Layout)
	if errors.Is(err, ErrNoFont) {
		return apierr.WithCause(apierr.KindUnavailable, "the PDF report needs a Chinese font on the server (Debian: apt-get install fonts-droid-fallback); the JSON report (format=json) works without it", err)
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="hetang-site-report-`+r.Date+`.pdf"`)
	return c.Blob(http.StatusOK, MediaTypePDF, b)
}
