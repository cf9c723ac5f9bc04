package export

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/dxf"
	"hetang/internal/geosorb"
	"hetang/internal/httpapi"
	"hetang/internal/kml"
	"hetang/internal/layout"
	"hetang/internal/licence"
	"hetang/internal/links"
	"hetang/internal/mediatype"
)

// layoutTitle names the whole layout in documents.
const layoutTitle = "荷塘区“十四五”空间布局 Hetang District spatial layout (14th Five-Year Plan)"

// downloadDesktop serves the KML, KMZ and DXF downloads of a layer or of the
// whole layout; ok is false for other file names.
func (s *Server) downloadDesktop(c echo.Context, file string) (ok bool, err error) {
	var kind string
	for _, k := range []string{links.SuffixKML, links.SuffixKMZ, links.SuffixDXF} {
		if strings.HasSuffix(file, k) {
			kind = k
		}
	}
	if kind == "" {
		return false, nil
	}
	snap := s.store.SnapshotFor(c.Request().Context())
	lay := snap.Layout
	name := strings.TrimSuffix(file, kind)
	layers := lay.Layers
	title := layoutTitle
	if name != links.WholeLayout {
		ly, err := lay.Layer(name)
		if err != nil {
			return true, apierr.NotFound(fmt.Sprintf("layer %q does not exist; GET "+links.Layers+" lists the layers, and %s is the whole layout", name, links.LayerDownload(links.WholeLayout, kind)))
		}
		layers = []*layout.Layer{ly}
		title = ly.TitleZH + " " + ly.TitleEN + " — " + layoutTitle
	}
	cr, err := httpapi.ParseCRS(c)
	if err != nil {
		return true, err
	}
	base := c.Scheme() + "://" + c.Request().Host
	var buf bytes.Buffer
	var mediaType string
	// The documents name the licence by its absolute URL: the key has the
	// address the client used.
	key := lay.Version + "\x00" + file + "\x00" + cr.Code + "\x00" + base
	cached, hit := s.files.Get(key)
	switch kind {
	case links.SuffixKML, links.SuffixKMZ:
		gcj := cr.Code == crs.GCJ02.Code
		if !gcj && !cr.IsWGS84() {
			return true, apierr.BadRequest(fmt.Sprintf("KML is WGS84 longitude/latitude (crs=CRS84, the default) or, for Chinese map apps, crs=GCJ02; not %s", cr.Code))
		}
		opt := kml.Options{Name: title, GCJ02: gcj, DataVersion: lay.Version, Notice: layout.Notice, Attribution: licence.Attribution, LicenceURL: base + licence.Path}
		mediaType = mediatype.KML
		switch {
		case hit:
		case kind == links.SuffixKML:
			err = kml.Write(&buf, layers, opt)
		default:
			err = kml.WriteKMZ(&buf, layers, opt, licence.Text(), s.stamp(snap))
		}
		if kind == links.SuffixKMZ {
			mediaType = mediatype.KMZ
		}
	case links.SuffixDXF:
		if c.QueryParam("crs") != "" && cr.Code != dxf.CRS.Code {
			return true, apierr.BadRequest(fmt.Sprintf("the DXF drawing is in %s (%s), the system CAD survey drawings use; crs=%s is not offered", dxf.CRS.Code, dxf.CRS.Name, cr.Code))
		}
		cr = dxf.CRS
		mediaType = mediatype.DXF
		if !hit {
			err = dxf.Write(&buf, layers, dxf.Options{Title: title, Notice: layout.Notice + " " + licence.Attribution, LabelPoint: pointOnSurface})
		}
	}
	if err != nil {
		return true, fmt.Errorf("export: %s: %w", file, err)
	}
	body := cached
	if !hit {
		body = buf.Bytes()
		s.files.Put(key, body, int64(len(body)+len(key)))
	}
	c.Response().Header().Set(httpapi.HeaderContentCRS, "<"+crsURI(cr)+">")
	etag := fmt.Sprintf(`"%s.%s.%s"`, lay.Version, file, cr.Code)
	return true, httpapi.ServeBytes(c, fileName(name, cr, kind), mediaType, etag, body)
}

// pointOnSurface is GEOS's point guaranteed inside a polygon, for labels.
func pointOnSurface(g orb.Geometry) (orb.Point, error) {
	gg, err := geosorb.ToGEOS(nil, g)
	if err != nil {
		return orb.Point{}, err
	}
	p := gg.PointOnSurface()
	return orb.Point{p.X(), p.Y()}, nil
}
