package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/auth"
	"hetang/internal/budget"
	"hetang/internal/config"
	"hetang/internal/httpapi"
	"hetang/internal/intake"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/plandata"
	"hetang/internal/spatial"
	"hetang/internal/store"
)

// Query parameters of the import endpoints.
const (
	ParamSRS      = "srs"
	ParamAccuracy = "accuracy"
	ParamTable    = "table"
	ParamFilename = "filename"
)

// Server is the HTTP front of the importer:
//
//	PUT  /api/v1/layers/{layer}
//	POST /api/v1/layers/{layer}/import
//
// both behind Authorization: Bearer <writer token>, with the batch body limit
// and timeout. Reads of the layers stay public.
type Server struct {
	im      *Importer
	tokens  *auth.Tokens
	authErr error
	gazErr  error
	limits  spatial.ParcelLimits
	budget  *budget.Budget
}

// NewServer returns the import endpoints for st. The writer tokens come from
// cfg (auth.FromConfig; none: writes disabled); the reference gazetteer for
// the data checks is read from geodata (see plandata.ReadGazetteer); lim
// bounds each feature's geometry and bud admits imports by their memory
// estimates (nil: no budget).
func NewServer(cfg config.Config, st *store.Store, geodata fs.FS, lim spatial.ParcelLimits, bud *budget.Budget) *Server {
	gaz, err := plandata.ReadGazetteer(geodata)
	tokens, aerr := auth.FromConfig(cfg)
	return &Server{im: New(st, gaz), tokens: tokens, authErr: aerr, gazErr: err, limits: lim, budget: bud}
}

// Memory an import may take: ImportFactor bytes per byte of decoded input
// (the body, or what a zip declares its files expand to) — measured at 13
// to 14 times the GeoJSON's size in the Go heap with the collector off,
// decoding and checking the would-be layout — and a fixed part for the
// checks of the current layout.
const (
	ImportFactor = 20
	importFixed  = 16 << 20
)

// zipDeclaredSize is what the files of a zip archive say they expand to,
// read from its central directory by intake.OpenZip (which also refuses
// bombs) without expanding anything; 0 when intake refuses the archive (the
// import then says why).
func zipDeclaredSize(b []byte) int64 {
	zr, err := intake.OpenZip(b, "zip", intake.Limits{})
	if err != nil {
		return 0
	}
	var n uint64
	for _, f := range zr.File {
		n += f.UncompressedSize64
	}
	return int64(n)
}

// Mount adds the import routes.
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.PUT(links.Layers+"/:layer", s.importLayer, r.Batch...)
	r.Echo.POST(links.Layers+"/:layer/import", s.importLayer, r.Batch...)
}

// formatOfMediaType maps a Content-Type to an input format.
func formatOfMediaType(ct string) (Format, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", false
	}
	switch mt {
	case mediatype.GeoJSON, mediatype.JSON, "application/vnd.geo+json":
		return FormatGeoJSON, true
	case mediatype.GeoPackage, "application/x-sqlite3", "application/vnd.sqlite3":
		return FormatGeoPackage, true
	case mediatype.Zip, "application/x-zip-compressed", "application/x-zip":
		return FormatShapeZip, true
	}
	return "", false
}

var extOf = map[Format]string{FormatGeoJSON: ".geojson", FormatGeoPackage: ".gpkg", FormatShapeZip: ".zip"}

func (s *Server) importLayer(c echo.Context) error {
	if s.authErr != nil {
		return fmt.Errorf("importer: token configuration: %w", s.authErr)
	}
	who, err := s.tokens.Authorize(c, auth.RoleWriter, "imports")
	if err != nil {
		return err
	}
	if s.im.store.ReadOnly() {
		return apierr.WithCause(apierr.KindConflict, "this server serves the embedded default data, which is read-only; start it with -data FILE.gpkg (build one with `hetang build -o FILE.gpkg`) to allow imports", store.ErrReadOnly)
	}
	if s.gazErr != nil {
		return fmt.Errorf("importer: reference gazetteer: %w", s.gazErr)
	}
	layerID := c.Param("layer")
	if _, err := s.im.store.Current().Layout.Layer(layerID); err != nil {
		return apierr.NotFound(fmt.Sprintf("layer %q does not exist; GET %s lists the layers", layerID, links.Layers))
	}
	format, ok := formatOfMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if !ok {
		return apierr.Errorf(apierr.KindUnsupportedMediaType, "send the data as application/geo+json (GeoJSON), application/geopackage+sqlite3 (GeoPackage) or application/zip (zipped shapefile)")
	}
	message, err := httpapi.WriteMessage(c)
	if err != nil {
		return err
	}
	// The memory an import takes is reserved before the work: for its body
	// as it arrives, then for what it decodes to (a zip's files as their
	// central directory declares them, before anything is expanded).
	ctx := c.Request().Context()
	res, err := s.budget.Reserve(ctx, "this import", importFixed)
	if err != nil {
		return err
	}
	defer res.Release()
	perByte := int64(ImportFactor)
	if format == FormatShapeZip {
		perByte = 1
	}
	body, err := res.ReadAll(ctx, c.Request().Body, c.Request().ContentLength, perByte)
	if err != nil {
		return err // a *http.MaxBytesError becomes 413, the budget's errors 413 or 503
	}
	if len(body) == 0 {
		return apierr.BadRequest("the request body is empty; send the layer's data")
	}
	if format == FormatShapeZip {
		if err := res.Grow(ctx, ImportFactor*zipDeclaredSize(body)); err != nil {
			return err
		}
	}
	filename := c.QueryParam(ParamFilename)
	if filename == "" {
		if _, params, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentDisposition)); err == nil {
			filename = params["filename"]
		}
	}
	if filename == "" {
		filename = "upload" + extOf[format]
	}
	out, err := s.im.Import(ctx, Request{
		Layer: layerID, Format: format, Data: body, Filename: filename,
		SRS: c.QueryParam(ParamSRS), Table: c.QueryParam(ParamTable),
		Accuracy: c.QueryParam(ParamAccuracy), Agent: who.Name,
		Author: who.Name, Role: who.Role, Message: message,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID), Remote: c.RealIP(), Limits: s.limits,
	})
	var rej *RejectedError
	switch {
	case err == nil:
		// The answer comes from the version the import made.
		h := c.Response().Header()
		h.Set(httpapi.HeaderLayoutVersion, strconv.FormatInt(out.Version, 10))
		h.Set(httpapi.HeaderDataVersion, out.DataVersion)
		return c.JSON(http.StatusOK, out)
	case errors.As(err, &rej):
		return &apierr.Error{Kind: apierr.KindUnprocessable, Findings: rej.Findings,
			Detail: rej.Detail() + ". Nothing changed; the previous data is still served."}
	case errors.Is(err, ErrInput):
		return err // of kind apierr.KindInvalid, with what to fix
	case errors.Is(err, layout.ErrNotFound):
		return apierr.NotFound(fmt.Sprintf("layer %q does not exist", layerID))
	}
	return httpapi.WriteError(err, "the import")
}
