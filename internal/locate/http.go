package locate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"hetang/internal/apierr"
	"hetang/internal/budget"
	"hetang/internal/crs"
	"hetang/internal/httpapi"
	"hetang/internal/intake"
	"hetang/internal/jsontext"
	"hetang/internal/mediatype"
	"hetang/internal/spatial"
	"hetang/internal/store"
)

// Query parameter names.
const (
	ParamLon   = "lon"
	ParamLat   = "lat"
	ParamK     = "k"
	ParamLayer = "layer"
	ParamFrom  = "from"
	ParamTo    = "to"
	ParamFmt   = "format"
)

// PathLocate is the point (GET) and parcel (POST) locate endpoint.
const PathLocate = "/api/v1/locate"

// Server serves the query endpoints from the store's current snapshot.
type Server struct {
	store  *store.Store
	log    *slog.Logger
	limits spatial.ParcelLimits
	budget *budget.Budget
}

// New returns the query endpoints' server; limits bound each parcel (zero
// fields: spatial's defaults) and bud admits parcels (POST /locate bodies,
// batch parcel records) by their memory estimates (nil: no budget).
func New(st *store.Store, log *slog.Logger, limits spatial.ParcelLimits, bud *budget.Budget) *Server {
	return &Server{store: st, log: log, limits: limits, budget: bud}
}

// BodyDecodeFactor is the memory reserved per byte of a POST /locate body
// for decoding it: the Go heap peaks at up to 8 times the body while
// encoding/json turns the worst GeoJSON (short coordinates, many tiny
// rings) into geometry.
const BodyDecodeFactor = 10

// Mount registers the routes: ordinary limits for single queries, batch
// limits (size, time) for the batch endpoint.
func (s *Server) Mount(r httpapi.Routes) {
	e := r.Echo
	e.GET(PathLocate, s.getLocate, r.Quick...) // microseconds in memory: no deadline to set up
	e.POST(PathLocate, s.postLocate, r.Std...)
	e.POST("/api/v1/locate/batch", s.postBatch, r.Batch...)
	e.POST("/api/v1/locate/inspect", s.postInspect, r.Batch...)
	e.GET("/api/v1/distance", s.getDistance, r.Std...)
	e.GET("/api/v1/nearest", s.getNearest, r.Std...)
}

// snapshot is the snapshot the request reads (the current version, or the
// one ?version= names).
func (s *Server) snapshot(c echo.Context) *store.Snapshot {
	return s.store.SnapshotFor(c.Request().Context())
}

// For returns a locator on snap's index that names snap's version in its
// answers.
func For(snap *store.Snapshot) *Locator {
	return &Locator{Index: snap.Index, LayoutVersion: snap.Version.N}
}

// ParseK reads k (1..50, default def).
func ParseK(q url.Values, def int) (int, error) {
	v := q.Get(ParamK)
	if v == "" {
		return def, nil
	}
	k, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || k < 1 || k > MaxK {
		return 0, apierr.BadRequest(fmt.Sprintf("k %s must be a whole number from 1 to %d", apierr.Quote(v), MaxK))
	}
	return k, nil
}

// ParsePoint reads lon and lat (x and y for projected frames) and checks
// them against the crs.
func ParsePoint(q url.Values, c crs.CRS) (orb.Point, error) {
	var p orb.Point
	for i, name := range []string{ParamLon, ParamLat} {
		v, ok := q[name]
		if !ok || len(v) == 0 || strings.TrimSpace(v[0]) == "" {
			return p, apierr.BadRequest(fmt.Sprintf("%s is required: %s", name, axisHelp(c)))
		}
		x, err := parseCoord(name, v[0])
		if err != nil {
			return p, apierr.BadRequest(err.Error() + "; " + axisHelp(c))
		}
		p[i] = x
	}
	if err := checkXY(c, p); err != nil {
		return p, err
	}
	return p, nil
}

func axisHelp(c crs.CRS) string {
	if c.Projected {
		return fmt.Sprintf("in %s give lon=easting and lat=northing in metres", c.Code)
	}
	return fmt.Sprintf("in %s give lon in [-180, 180] and lat in [-90, 90] decimal degrees", c.Code)
}

// ParsePair reads "x,y" (from=, to=).
func ParsePair(q url.Values, name string, c crs.CRS) (orb.Point, error) {
	v := q.Get(name)
	if strings.TrimSpace(v) == "" {
		return orb.Point{}, apierr.BadRequest(fmt.Sprintf("%s is required as lon,lat (x-first): %s", name, axisHelp(c)))
	}
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return orb.Point{}, apierr.BadRequest(fmt.Sprintf("%s %s must be two numbers lon,lat separated by a comma", name, apierr.Quote(v)))
	}
	var p orb.Point
	for i, part := range parts {
		x, err := parseCoord(name, part)
		if err != nil {
			return p, apierr.BadRequest(err.Error() + "; " + axisHelp(c))
		}
		p[i] = x
	}
	if err := checkXY(c, p); err != nil {
		return p, apierr.Errorf(apierr.KindInvalid, "%s: %s", name, apierr.Message(err))
	}
	return p, nil
}

func (s *Server) locator(c echo.Context, q url.Values) (*Locator, error) {
	cr, err := httpapi.ParseCRSParam(q, httpapi.ParamCRS, nil)
	if err != nil {
		return nil, err
	}
	k, err := ParseK(q, DefaultK)
	if err != nil {
		return nil, err
	}
	l := For(s.snapshot(c))
	l.CRS, l.K, l.Limits, l.Budget = cr, k, s.limits, s.budget
	return l, nil
}

func (s *Server) getLocate(c echo.Context) error {
	q := c.QueryParams()
	l, err := s.locator(c, q)
	if err != nil {
		return err
	}
	p, err := ParsePoint(q, l.CRS)
	if err != nil {
		return err
	}
	a, err := l.Point(p)
	if err != nil {
		return err
	}
	return writePointAnswer(c, a)
}

// ParseParcel decodes a POST /locate body: a GeoJSON Feature, Polygon or
// MultiPolygon. The body is held to strict JSON (jsontext.Check: one value,
// UTF-8, no key twice at any depth); errors say what is wrong where, without
// Go type names.
func ParseParcel(b []byte) (orb.Geometry, error) {
	b = jsontext.TrimBOM(b)
	if err := jsontext.Check(b); err != nil {
		return nil, invalidf(reasonInvalid, "the body must be one GeoJSON Feature, Polygon or MultiPolygon: %v", err)
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, invalidf(reasonInvalid, "the body must be a GeoJSON Feature, Polygon or MultiPolygon: %v", jsontext.Describe(err))
	}
	var g orb.Geometry
	switch probe.Type {
	case "Feature":
		var rerr *intake.RowError
		if g, rerr = intake.FeatureGeometry(b); rerr != nil {
			return nil, invalidf(reasonInvalid, "%s", rerr.EN)
		}
	case "Polygon", "MultiPolygon":
		var rerr *intake.RowError
		if g, rerr = intake.GeometryFromJSON(b); rerr != nil {
			return nil, invalidf(reasonInvalid, "%s", rerr.EN)
		}
	case "":
		return nil, invalidf(reasonInvalid, `the body must be a GeoJSON Feature, Polygon or MultiPolygon (no "type" member)`)
	default:
		return nil, invalidf(reasonInvalid, "a GeoJSON %s has no area: POST a Feature, Polygon or MultiPolygon (use GET /api/v1/locate?lon=&lat= for a point)", apierr.Quote(probe.Type))
	}
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return g, nil
	case nil:
		return nil, invalidf(reasonInvalid, "the geometry is empty")
	}
	return nil, invalidf(reasonInvalid, "a %s has no area: POST a Polygon or MultiPolygon (use GET /api/v1/locate?lon=&lat= for a point)", g.GeoJSONType())
}

// parcelMediaTypes are the media types a parcel body is read as.
var parcelMediaTypes = []string{mediatype.GeoJSON, mediatype.JSON}

// CheckParcelMediaType refuses a parcel body (POST /api/v1/locate, POST
// /api/v1/report) sent as anything but GeoJSON with a 415 that lists what
// is read: a body without Content-Type, as text/plain or as XML is not
// taken for GeoJSON on a guess.
func CheckParcelMediaType(r *http.Request) error {
	ct := r.Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && slices.Contains(parcelMediaTypes, mt) {
		return nil
	}
	got := "no Content-Type"
	if ct != "" {
		got = "Content-Type " + apierr.Quote(ct)
	}
	return apierr.Errorf(apierr.KindUnsupportedMediaType, "POST %s reads a GeoJSON Feature, Polygon or MultiPolygon sent as %s; got %s",
		r.URL.Path, strings.Join(parcelMediaTypes, " or "), got)
}

func (s *Server) postLocate(c echo.Context) error {
	q := c.QueryParams()
	l, err := s.locator(c, q)
	if err != nil {
		return err
	}
	if err := CheckParcelMediaType(c.Request()); err != nil {
		return err
	}
	a, _, _, err := l.ParcelBody(c.Request().Context(), c.Request().Body, c.Request().ContentLength)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// ParcelBody reads a request body holding a parcel (see ParseParcel) and
// answers for it within the locator's memory budget: the body's decoding
// is reserved as it arrives (size is its Content-Length, or -1), the
// parcel's overlay once its size is known; a small parcel stays light and
// never waits. It returns the answer, the parcel as given and the body.
func (l *Locator) ParcelBody(ctx context.Context, body io.Reader, size int64) (*PolygonAnswer, orb.Geometry, []byte, error) {
	res, err := l.Budget.Reserve(ctx, "this parcel", 0)
	if err != nil {
		return nil, nil, nil, err
	}
	defer res.Release()
	b, err := res.ReadAll(ctx, body, size, BodyDecodeFactor)
	if err != nil {
		return nil, nil, nil, err // *http.MaxBytesError → 413 in apierr; budget errors 413/503
	}
	var g orb.Geometry
	var p *spatial.Parcel
	prepare := func() {
		if g, err = ParseParcel(b); err == nil {
			p, err = l.PrepareParcel(ctx, g)
		}
	}
	if int64(len(b))*BodyDecodeFactor > spatial.LightParcelCost {
		// Decoding and preparing a large parcel is heavy work too.
		if herr := l.Index.HeavyWork(ctx, prepare); herr != nil {
			return nil, nil, nil, herr
		}
	} else {
		prepare()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if err := res.Grow(ctx, p.Cost()); err != nil {
		return nil, nil, nil, err
	}
	a, err := l.AnswerParcel(ctx, p)
	return a, g, b, err
}

// Batch and inspect parameters (besides crs).
const (
	ParamFilename = "filename"
	ParamX        = "x"
	ParamY        = "y"
	ParamWKT      = "wkt"
	ParamSheet    = "sheet"
	ParamLayerIn  = "layer"
)

// Response headers saying what a batch assumed about its input.
const (
	HeaderInputCRS       = "Hetang-Input-Crs"
	HeaderInputCRSSource = "Hetang-Input-Crs-Source"
	HeaderInputEncoding  = "Hetang-Input-Encoding"
	HeaderInputFormat    = "Hetang-Input-Format"
)

// inputOptions reads how to decode an upload from the request: format=
// (or the file name's extension, or Content-Type), crs=, x=/y=, wkt=,
// sheet=, layer=.
func (s *Server) inputOptions(c echo.Context) (intake.Options, error) {
	q := c.QueryParams()
	req := c.Request()
	opt := intake.Options{
		Filename: q.Get(ParamFilename), ContentType: req.Header.Get(echo.HeaderContentType),
		CRS: q.Get(httpapi.ParamCRS), X: q.Get(ParamX), Y: q.Get(ParamY), WKT: q.Get(ParamWKT),
		Sheet: q.Get(ParamSheet), Layer: q.Get(ParamLayerIn),
	}
	if opt.Filename == "" {
		if _, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentDisposition)); err == nil {
			opt.Filename = params["filename"]
		}
	}
	if f := q.Get(ParamFmt); f != "" {
		in, ok := intake.ParseFormat(f)
		if !ok {
			return opt, apierr.BadRequest(fmt.Sprintf("format %q must be geojson, csv, ndjson, xlsx, zip (Shapefile) or gpkg", truncate(f)))
		}
		opt.Format = in
	}
	if opt.CRS != "" {
		if _, err := intake.CRSNameDef(opt.CRS); err != nil {
			return opt, inputProblem(err, "")
		}
	}
	return opt, nil
}

// inputProblem turns an intake error into a 400 whose detail is in English
// and Chinese; other errors (body limit → 413, cancellation) pass through.
func inputProblem(err error, format intake.Format) error {
	var ie *intake.InputError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &ie):
		where := ""
		if ie.Record > 0 {
			where = fmt.Sprintf("record %d: ", ie.Record)
		}
		read := ""
		if format != "" {
			read = fmt.Sprintf(" (read as %s; say format= or ?filename= if that is wrong)", format)
		}
		return apierr.BadRequest(where + ie.EN + read + " / " + ie.ZH)
	}
	return err
}

// DefaultOut is the batch output format for an input format: tables give
// CSV, NDJSON gives NDJSON, the rest GeoJSON.
func DefaultOut(f intake.Format) Format {
	switch f {
	case intake.FormatCSV, intake.FormatXLSX:
		return FormatCSV
	case intake.FormatNDJSON:
		return FormatNDJSON
	}
	return FormatGeoJSON
}

func (s *Server) postBatch(c echo.Context) error {
	req := c.Request()
	q := c.QueryParams()
	k, err := ParseK(q, DefaultK)
	if err != nil {
		return err
	}
	l := For(s.snapshot(c))
	l.K, l.Limits, l.Budget = k, s.limits, s.budget
	opt, err := s.inputOptions(c)
	if err != nil {
		return err
	}
	var out Format
	if acc := req.Header.Get(echo.HeaderAccept); acc != "" {
		for _, part := range strings.Split(acc, ",") {
			if f, ok := ParseFormat(part); ok && strings.TrimSpace(part) != "text/plain" {
				out = f
				break
			}
		}
	}
	resp := c.Response()
	w := &lazyWriter{c: c, log: s.log}
	var opened *intake.Input
	b := &Batch{Locator: l, Input: opt, Out: out}
	b.Opened = func(in *intake.Input) {
		opened = in
		if b.Out == "" {
			b.Out = DefaultOut(in.Format)
		}
		w.ctype = b.Out.MediaType()
		w.crs = crs.CRS84.Code
		if in.Frame.IsKnown {
			w.crs = in.Frame.Known.Code
		}
		w.in = in
	}
	b.Flush = func() {
		if w.wrote {
			resp.Flush()
		}
	}
	n, _, err := b.Run(req.Context(), req.Body, w)
	if err != nil {
		if w.wrote {
			s.log.Info("batch stopped", "records", n, "err", err.Error())
			return nil
		}
		f := opt.Format
		if opened != nil {
			f = opened.Format
		}
		return inputProblem(err, f)
	}
	return nil
}

// lazyWriter writes the status line only with the first output bytes, so an
// error found before them can still become a 4xx.
//
// Answers stream out while the body is still being read: HTTP/1.x needs full
// duplex for that, or the server discards unread body bytes when the response
// starts. Full duplex is switched on only with the first output bytes: a
// batch refused before them leaves the connection to net/http's ordinary
// handling of an unread body (discard a little, else close), which is safe
// to reuse.
type lazyWriter struct {
	c          echo.Context
	ctype, crs string
	in         *intake.Input
	log        *slog.Logger
	wrote      bool
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
		if err := http.NewResponseController(w.c.Response()).EnableFullDuplex(); err != nil {
			w.log.Warn("batch: full duplex unavailable; records after the first response bytes may be lost", "err", err.Error())
		}
		h := w.c.Response().Header()
		h.Set(echo.HeaderContentType, w.ctype)
		h.Set(httpapi.HeaderContentCRS, w.crs)
		if w.in != nil {
			h.Set(HeaderInputCRS, w.in.CRS.Code)
			h.Set(HeaderInputCRSSource, w.in.CRS.Source)
			h.Set(HeaderInputEncoding, w.in.Encoding)
			h.Set(HeaderInputFormat, string(w.in.Format))
		}
		w.c.Response().WriteHeader(http.StatusOK)
	}
	return w.c.Response().Write(p)
}

// DistanceAnswer is the body of GET /api/v1/distance.
type DistanceAnswer struct {
	LayoutVersion int64      `json:"layout_version"`
	From          [2]float64 `json:"from"`
	To            [2]float64 `json:"to"`
	CRS           string     `json:"crs"`
	DistanceM     float64    `json:"distance_m"`
	AzimuthFwd    float64    `json:"azimuth_fwd_deg"`
	AzimuthBack   float64    `json:"azimuth_back_deg"`
	Ellipsoid     string     `json:"ellipsoid"`
	Method        string     `json:"method"`
	FromWGS84     [2]float64 `json:"from_wgs84"`
	ToWGS84       [2]float64 `json:"to_wgs84"`
}

func (s *Server) getDistance(c echo.Context) error {
	q := c.QueryParams()
	cr, err := httpapi.ParseCRSParam(q, httpapi.ParamCRS, nil)
	if err != nil {
		return err
	}
	l := &Locator{CRS: cr}
	from, err := ParsePair(q, ParamFrom, cr)
	if err != nil {
		return err
	}
	to, err := ParsePair(q, ParamTo, cr)
	if err != nil {
		return err
	}
	a, err := l.ToWGS84(from)
	if err != nil {
		return apierr.Errorf(apierr.KindInvalid, "%s: %s", ParamFrom, apierr.Message(err))
	}
	b, err := l.ToWGS84(to)
	if err != nil {
		return apierr.Errorf(apierr.KindInvalid, "%s: %s", ParamTo, apierr.Message(err))
	}
	d, az1, az2, err := spatial.Geodesic(a, b)
	if err != nil {
		return err
	}
	// PROJ gives the azimuth at b as the direction of travel; the back
	// azimuth points from b towards a.
	back := az2 + 180
	if back > 180 {
		back -= 360
	}
	return c.JSON(http.StatusOK, DistanceAnswer{
		LayoutVersion: s.snapshot(c).Version.N,
		From:          [2]float64{from[0], from[1]}, To: [2]float64{to[0], to[1]}, CRS: cr.Code,
		DistanceM: round(d, 4), AzimuthFwd: round(az1, 9), AzimuthBack: round(back, 9),
		Ellipsoid: "WGS84", Method: "geodesic (Karney's algorithm, GeographicLib)",
		FromWGS84: [2]float64{a[0], a[1]}, ToWGS84: [2]float64{b[0], b[1]},
	})
}

// NearestAnswer is the body of GET /api/v1/nearest.
type NearestAnswer struct {
	LayoutVersion int64        `json:"layout_version"`
	Query         Query        `json:"query"`
	Layer         string       `json:"layer"`
	Features      []NearestRef `json:"features"`
	Notice        string       `json:"notice"`
}

func (s *Server) getNearest(c echo.Context) error {
	q := c.QueryParams()
	l, err := s.locator(c, q)
	if err != nil {
		return err
	}
	if q.Get(ParamK) == "" {
		l.K = 5
	}
	p, err := ParsePoint(q, l.CRS)
	if err != nil {
		return err
	}
	layer := q.Get(ParamLayer)
	if layer == "" {
		layer = "roads"
	}
	w, err := l.ToWGS84(p)
	if err != nil {
		return err
	}
	ns, err := l.Index.NearestInLayer(layer, w, l.K)
	if err != nil {
		if errors.Is(err, spatial.ErrUnknownLayer) {
			return apierr.BadRequest(fmt.Sprintf("layer %s does not exist; GET /api/v1/layers lists the layer ids", apierr.Quote(layer)))
		}
		return err
	}
	a := NearestAnswer{LayoutVersion: l.LayoutVersion, Query: Query{Lon: p[0], Lat: p[1], CRS: l.CRS.Code}, Layer: layer, Features: []NearestRef{}, Notice: Notice}
	m := newAnswerMem(len(ns))
	for _, n := range ns {
		if nr, ok := l.nearestRef(&m, n); ok {
			a.Features = append(a.Features, nr)
		}
	}
	return c.JSON(http.StatusOK, a)
}
