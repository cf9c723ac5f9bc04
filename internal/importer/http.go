package importer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/auth"
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
	// ParamMessage says why, in the version history.
	ParamMessage = "message"
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
}

// NewServer returns the import endpoints for st. The writer tokens come from
// cfg (auth.FromConfig; none: writes disabled); the reference gazetteer for
// the data checks is read from geodata (see plandata.ReadGazetteer).
func NewServer(cfg config.Config, st *store.Store, geodata fs.FS) *Server {
	gaz, err := plandata.ReadGazetteer(geodata)
	tokens, aerr := auth.FromConfig(cfg)
	return &Server{im: New(st, gaz), tokens: tokens, authErr: aerr, gazErr: err}
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
	res, err := s.im.Import(c.Request().Context(), Request{
		Layer: layerID, Format: format, Data: body, Filename: filename,
		SRS: c.QueryParam(ParamSRS), Table: c.QueryParam(ParamTable),
		Accuracy: c.QueryParam(ParamAccuracy), Agent: who.Name,
		Author: who.Name, Role: who.Role, Message: c.QueryParam(ParamMessage),
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID), Remote: c.RealIP(),
	})
	var rej *RejectedError
	switch {
	case err == nil:
		// The answer comes from the version the import made.
		h := c.Response().Header()
		h.Set(httpapi.HeaderLayoutVersion, strconv.FormatInt(res.Version, 10))
		h.Set(httpapi.HeaderDataVersion, res.DataVersion)
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
