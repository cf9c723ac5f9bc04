// Package tiles serves the layout as Mapbox vector tiles (MVT 2.1) in Web
// Mercator: one tileset per layer at /tiles/{layer}/{z}/{x}/{y}.mvt, an
// all-layers tileset at /tiles/all/{z}/{x}/{y}.mvt, and a TileJSON 3.0.0
// document for each at /tiles/{layer}.json and /tiles/all.json.
//
// A tile is cut from the WGS84 features of the current data snapshot: each
// geometry is clipped to the tile plus a buffer (in longitude/latitude, where
// the tile is an axis-aligned box as it is in Web Mercator), projected to the
// tile's 4096×4096 grid, simplified with Douglas–Peucker at a tolerance of one
// grid unit (so the simplification follows the zoom: one unit is 1/4096 of the
// tile at every zoom), and its polygon rings are oriented the way the MVT
// specification requires (exterior clockwise in screen coordinates).
//
// Features carry a numeric MVT id (position in the layer, from 1) and the
// properties id, name_zh, name_en, kind, class and position where present.
//
// Tiles are cached in memory by data version, tileset and z/x/y in a
// size-capped LRU, and sent gzip-compressed (Content-Encoding: gzip) to
// clients that accept it. The server's gzip middleware skips .mvt paths, so
// compression is done here, once per tile.
//
// A tile with no features is answered 204 No Content, as most tile servers
// do (tegola, Martin, pg_tileserv); map clients treat 204 as an empty tile.
package tiles

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"

	"hetang/internal/apierr"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/lru"
	"hetang/internal/mediatype"
	"hetang/internal/store"
)

// AllLayers is the name of the tileset that holds every layer.
const AllLayers = "all"

// Tile grid and zoom limits.
const (
	// Extent is the size of the tile grid.
	Extent = mvt.DefaultExtent
	// Buffer is how far, in grid units, geometry is kept beyond the tile edge
	// so that lines and polygon outlines join across tiles.
	Buffer = 64
	// MaxZoom is the highest zoom a request may ask for.
	MaxZoom = 22
	// TileJSONMinZoom and TileJSONMaxZoom are the zooms the TileJSON
	// advertises: every zoom a tile is served at.
	TileJSONMinZoom = 0
	TileJSONMaxZoom = MaxZoom
	// DefaultCacheBytes is the default size cap of the tile cache.
	DefaultCacheBytes = 64 << 20
)

// tileProperties are the properties copied into tiles, in this order.
var tileProperties = []string{layout.PropID, layout.PropNameZH, layout.PropNameEN, layout.PropKind, "class", "position"}

// ErrBadTile is wrapped by errors about tile coordinates.
var ErrBadTile = errors.New("tiles: bad tile coordinates")

// Server serves the tilesets of a store. Create it with New.
type Server struct {
	store *store.Store
	cache *lru.Cache[*entry]
}

// New returns a tile server on st whose cache holds at most cacheBytes of
// encoded tiles (DefaultCacheBytes when cacheBytes <= 0).
func New(st *store.Store, cacheBytes int64) *Server {
	if cacheBytes <= 0 {
		cacheBytes = DefaultCacheBytes
	}
	return &Server{store: st, cache: lru.New[*entry](cacheBytes)}
}

// Mount adds the tile and TileJSON routes.
func (s *Server) Mount(r httpapi.Routes) {
	r.Echo.GET(links.Tiles+"/:tileset/:z/:x/:y", s.getTile, r.Std...)
	r.Echo.GET(links.Tiles+"/:tileset", s.getTileJSON, r.Std...)
}

// ParseTile validates z/x/y path segments (y may carry the .mvt suffix
// already removed): z in 0–MaxZoom, x and y in 0–2^z−1.
func ParseTile(zs, xs, ys string) (maptile.Tile, error) {
	z, err := strconv.Atoi(zs)
	if err != nil || z < 0 || z > MaxZoom {
		return maptile.Tile{}, fmt.Errorf("%w: zoom %q must be a whole number from 0 to %d", ErrBadTile, zs, MaxZoom)
	}
	n := int64(1) << z
	x, err := strconv.ParseInt(xs, 10, 64)
	if err != nil || x < 0 || x >= n {
		return maptile.Tile{}, fmt.Errorf("%w: x %q must be a whole number from 0 to %d at zoom %d", ErrBadTile, xs, n-1, z)
	}
	y, err := strconv.ParseInt(ys, 10, 64)
	if err != nil || y < 0 || y >= n {
		return maptile.Tile{}, fmt.Errorf("%w: y %q must be a whole number from 0 to %d at zoom %d", ErrBadTile, ys, n-1, z)
	}
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z)), nil
}

// layersOf returns the layers of the tileset named name.
func layersOf(lay *layout.Layout, name string) ([]*layout.Layer, error) {
	if name == AllLayers {
		return lay.Layers, nil
	}
	ly, err := lay.Layer(name)
	if err != nil {
		return nil, apierr.NotFound(fmt.Sprintf("tileset %q does not exist; use %q or a layer id from GET /api/v1/layers", name, AllLayers))
	}
	return []*layout.Layer{ly}, nil
}

func (s *Server) getTile(c echo.Context) error {
	ys, ok := strings.CutSuffix(c.Param("y"), ".mvt")
	if !ok {
		return apierr.NotFound("tiles are at /tiles/{layer}/{z}/{x}/{y}.mvt")
	}
	lay := s.store.SnapshotFor(c.Request().Context()).Layout
	layers, err := layersOf(lay, c.Param("tileset"))
	if err != nil {
		return err
	}
	t, err := ParseTile(c.Param("z"), c.Param("x"), ys)
	if err != nil {
		return apierr.BadRequest(err.Error())
	}
	key := fmt.Sprintf("%s/%s/%d/%d/%d", lay.Version, c.Param("tileset"), t.Z, t.X, t.Y)
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Add("Vary", echo.HeaderAcceptEncoding)
	// A byte range is served from the uncompressed tile (a range of a gzip
	// stream cannot be decoded on its own); otherwise the gzip form goes to
	// clients that accept it. Each form has its own ETag.
	gz := c.Request().Header.Get("Range") == "" && acceptsGzip(c.Request().Header.Get(echo.HeaderAcceptEncoding))
	etag := `"` + key + `"`
	if gz {
		etag = `"` + key + `.gz"`
	}
	if httpapi.NotModified(c, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	e, ok := s.cache.Get(key)
	if !ok {
		raw, err := Render(layers, t)
		if err != nil {
			return fmt.Errorf("tiles: rendering %s: %w", key, err)
		}
		e = &entry{raw: raw}
		if raw != nil {
			if e.gz, err = gzipBytes(raw); err != nil {
				return fmt.Errorf("tiles: compressing %s: %w", key, err)
			}
		}
		s.cache.Put(key, e, int64(len(e.raw)+len(e.gz)))
	}
	if e.raw == nil {
		return c.NoContent(http.StatusNoContent)
	}
	if gz {
		// Sent whole with its length (net/http's ServeContent leaves
		// Content-Length out when a Content-Encoding is set).
		h.Set(echo.HeaderContentEncoding, "gzip")
		h.Set(echo.HeaderContentLength, strconv.Itoa(len(e.gz)))
		h.Set("ETag", etag)
		return c.Blob(http.StatusOK, mediatype.MVT, e.gz)
	}
	return httpapi.ServeBytes(c, "", mediatype.MVT, etag, e.raw)
}

// Render cuts the tile t from layers and returns it MVT-encoded, not
// compressed, with one MVT layer per layer that has features in the tile;
// nil when no layer has.
func Render(layers []*layout.Layer, t maptile.Tile) ([]byte, error) {
	// The buffer as a fraction of the tile, for the lon/lat pre-clip.
	geoBound := t.Bound(float64(Buffer) / Extent)
	gridBound := orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}
	var out mvt.Layers
	for _, ly := range layers {
		fc := geojson.NewFeatureCollection()
		for i, f := range ly.Features {
			if f.Geometry == nil || !geoBound.Intersects(f.Geometry.Bound()) {
				continue
			}
			g := clip.Geometry(geoBound, orb.Clone(f.Geometry))
			if g == nil {
				continue
			}
			gf := geojson.NewFeature(g)
			gf.ID = i + 1
			for _, p := range tileProperties {
				if v, ok := f.Properties[p]; ok && v != nil {
					gf.Properties[p] = v
				}
			}
			if _, ok := gf.Properties[layout.PropID]; !ok {
				gf.Properties[layout.PropID] = f.ID
			}
			fc.Append(gf)
		}
		if len(fc.Features) == 0 {
			continue
		}
		ml := mvt.NewLayer(ly.ID, fc)
		ml.Version = 2
		ml.Extent = Extent
		ml.ProjectToTile(t)
		ml.Clip(gridBound)
		ml.Simplify(simplify.DouglasPeucker(1))
		ml.RemoveEmpty(1, 1)
		for _, f := range ml.Features {
			f.Geometry = orient(f.Geometry)
		}
		if len(ml.Features) > 0 {
			out = append(out, ml)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	b, err := mvt.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("tiles: encoding: %w", err)
	}
	return b, nil
}

// orient returns g with polygon rings wound as MVT wants in tile
// coordinates (y down): exterior rings with positive shoelace area
// (clockwise on screen), interior rings negative. orb's Orientation computes
// the sign of the shoelace sum, so "CCW" here means positive area.
func orient(g orb.Geometry) orb.Geometry {
	fix := func(p orb.Polygon) {
		for i, r := range p {
			want := orb.CCW
			if i > 0 {
				want = orb.CW
			}
			if o := r.Orientation(); o != 0 && o != want {
				r.Reverse()
			}
		}
	}
	switch x := g.(type) {
	case orb.Polygon:
		fix(x)
	case orb.MultiPolygon:
		for _, p := range x {
			fix(p)
		}
	}
	return g
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip
// (gzip or * with a non-zero quality).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" && name != "x-gzip" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// entry is one cached tile: raw is nil for an empty tile.
type entry struct {
	raw, gz []byte
}
