package importer

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/config"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/plandata"
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
// both behind Authorization: Bearer <admin token>, with the batch body limit
// and timeout. Reads of the layers stay public.
type Server struct {
	im     *Importer
	token  string
	gazErr error
}

// NewServer returns the import endpoints for st. The admin token comes from
// cfg (empty: writes disabled); the reference gazetteer for the data checks
// is read from geodata (see plandata.ReadGazetteer).
func NewServer(cfg config.Config, st *store.Store, geodata fs.FS) *Server {
	gaz, err := plandata.ReadGazetteer(geodata)
	return &Server{im: New(st, gaz), token: cfg.AdminToken, gazErr: err}
}

// Mount adds the import routes.
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.PUT(links.Layers+"/:layer", s.importLayer, r.Batch...)
	r.Echo.POST(links.Layers+"/:layer/import", s.importLayer, r.Batch...)
}

// authorize checks the bearer token in constant time.
func (s *Server) authorize(c echo.Context) error {
	if s.token == "" {
		return apierr.Errorf(apierr.KindForbidden, "imports are disabled on this server; start it with an admin token (HETANG_ADMIN_TOKEN or admin_token in the config file, at least 16 characters) to enable them")
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.token)) != 1 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hetang", error="invalid_token"`)
		return apierr.Errorf(apierr.KindUnauthorized, "imports need the header Authorization: Bearer <admin token>; the token given is missing or wrong")
	}
	return nil
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
	if err := s.authorize(c); err != nil {
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
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err // a *http.MaxBytesError becomes 413
	}
	if len(body) == 0 {
		return apierr.BadRequest("the request body is empty; send the layer's data")
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
	agent := c.Request().UserAgent()
	if agent == "" {
		agent = "an HTTP client"
	}
	res, err := s.im.Import(c.Request().Context(), Request{
		Layer: layerID, Format: format, Data: body, Filename: filename,
		SRS: c.QueryParam(ParamSRS), Table: c.QueryParam(ParamTable),
		Accuracy: c.QueryParam(ParamAccuracy), Agent: agent,
	})
	var rej *RejectedError
	switch {
	case err == nil:
		return c.JSON(http.StatusOK, res)
	case errors.As(err, &rej):
		return &apierr.Error{Kind: apierr.KindUnprocessable, Findings: rej.Findings,
			Detail: rej.Detail() + ". Nothing changed; the previous data is still served."}
	case errors.Is(err, ErrInput):
		return err // of kind apierr.KindInvalid, with what to fix
	case errors.Is(err, store.ErrReadOnly):
		return apierr.WithCause(apierr.KindConflict, "the data is read-only; start the server with -data FILE.gpkg to allow imports", err)
	case errors.Is(err, layout.ErrNotFound):
		return apierr.NotFound(fmt.Sprintf("layer %q does not exist", layerID))
	}
	return apierr.WithCause(apierr.KindInternal, "the import passed its checks but could not be saved; nothing changed, the previous data is still served", err)
}
