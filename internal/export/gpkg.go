package export

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/gpkg"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
)

// gpkgName is the name the default (EPSG:4326) GeoPackage is saved under.
const gpkgName = "hetang-layout.gpkg"

// GPKGSRS returns the GeoPackage srs_id for c. GCJ-02 and BD-09 are refused:
// they are obfuscated frames, not datums, so no gpkg_spatial_ref_sys entry
// (no EPSG code, no WKT) can describe them.
func GPKGSRS(c crs.CRS) (int, error) {
	if c.IsWGS84() {
		return gpkg.SRSWGS84, nil
	}
	if c.EPSG != 0 && gpkg.SupportedSRS(c.EPSG) {
		return c.EPSG, nil
	}
	return 0, fmt.Errorf("%w: %s has no spatial reference system definition a GeoPackage can record; use CRS84, EPSG:4326, EPSG:4490, EPSG:4547 or EPSG:3857 (for %s coordinates use the per-layer .geojson download)", ErrCRS, c.Code, c.Code)
}

// downloadGPKG serves the whole layout as one GeoPackage, built from the
// snapshot the request reads (never the store's own file, which also holds
// the version history and the audit log): in EPSG:4326 without ?crs (or
// with CRS84 or EPSG:4326), else with every geometry converted and the
// srs_id recorded. Built files are kept in memory per data version and CRS
// (see gpkgCache).
func (s *Server) downloadGPKG(c echo.Context) error {
	cr, err := httpapi.ParseCRS(c)
	if err != nil {
		return err
	}
	srsID, err := GPKGSRS(cr)
	if err != nil {
		return apierr.BadRequest(err.Error())
	}
	snap := s.store.SnapshotFor(c.Request().Context())
	b, err := s.gpkgs.get(c.Request().Context(), snap.Layout, cr, srsID)
	if err != nil {
		return fmt.Errorf("export: GeoPackage in %s: %w", cr.Code, err)
	}
	name := strings.TrimSuffix(gpkgName, ".gpkg") + "-" + strings.ToLower(strings.ReplaceAll(cr.Code, ":", "")) + ".gpkg"
	etag := fmt.Sprintf(`"%s.%s.gpkg"`, snap.Layout.Version, cr.Code)
	h := c.Response().Header()
	if srsID == gpkg.SRSWGS84 {
		name, etag = gpkgName, fmt.Sprintf(`"%s"`, snap.Layout.Version)
	} else {
		h.Set(httpapi.HeaderContentCRS, "<"+crsURI(cr)+">")
	}
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set(echo.HeaderContentType, mediatype.GeoPackage)
	h.Set("ETag", etag)
	http.ServeContent(c.Response(), c.Request(), name, snap.LoadedAt, bytes.NewReader(b))
	return nil
}

// gpkgCache keeps reprojected GeoPackages by data version and CRS. Only the
// newest data version is kept, so it holds at most one file per CRS a
// GeoPackage can record (three). Builds are serialised: concurrent requests
// for the same file build it once.
type gpkgCache struct {
	build   sync.Mutex // held while building
	mu      sync.Mutex // guards version and files
	version string
	files   map[string][]byte // by CRS code
}

func (gc *gpkgCache) lookup(version, code string) ([]byte, bool) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if gc.version != version {
		return nil, false
	}
	b, ok := gc.files[code]
	return b, ok
}

func (gc *gpkgCache) get(ctx context.Context, lay *layout.Layout, cr crs.CRS, srsID int) ([]byte, error) {
	if b, ok := gc.lookup(lay.Version, cr.Code); ok {
		return b, nil
	}
	gc.build.Lock()
	defer gc.build.Unlock()
	if b, ok := gc.lookup(lay.Version, cr.Code); ok {
		return b, nil
	}
	b, err := BuildGPKG(ctx, lay, cr, srsID)
	if err != nil {
		return nil, err
	}
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if gc.version != lay.Version {
		// Versions are content hashes with no order: the latest build's
		// version wins and the files of any other are dropped.
		gc.version, gc.files = lay.Version, map[string][]byte{}
	}
	gc.files[cr.Code] = b
	return b, nil
}

// BuildGPKG returns the bytes of a GeoPackage of lay, whose geometries are
// WGS 84, with every geometry converted to cr and recorded as srsID. The file
// is written under os.TempDir() and removed before BuildGPKG returns.
func BuildGPKG(ctx context.Context, lay *layout.Layout, cr crs.CRS, srsID int) ([]byte, error) {
	out, err := layoutIn(lay, cr)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hetang-gpkg-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, links.GPKGFile)
	if err := gpkg.WriteSRS(ctx, path, out, srsID); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// layoutIn returns a copy of lay with every geometry converted from WGS 84 to
// cr. Properties are shared with lay, not copied.
func layoutIn(lay *layout.Layout, cr crs.CRS) (*layout.Layout, error) {
	out := &layout.Layout{Version: lay.Version, Layers: make([]*layout.Layer, len(lay.Layers))}
	for i, ly := range lay.Layers {
		cp := *ly
		cp.Features = make([]*layout.Feature, len(ly.Features))
		for j, f := range ly.Features {
			nf := *f
			if f.Geometry != nil && !cr.IsWGS84() {
				g, err := cr.GeometryFromWGS84(f.Geometry)
				if err != nil {
					return nil, fmt.Errorf("layer %s, feature %s: %w", ly.ID, f.ID, err)
				}
				nf.Geometry = g
			}
			cp.Features[j] = &nf
		}
		out.Layers[i] = &cp
	}
	return out, nil
}
