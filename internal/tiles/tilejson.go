package tiles

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"hetang/internal/apierr"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
)

// TileJSONVersion is the TileJSON specification version served.
const TileJSONVersion = "3.0.0"

// TileJSON is a TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec).
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name,omitempty"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer of a vector tileset.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// attribution credits both kinds of data, as the licence asks.
const attribution = layout.Attribution

func (s *Server) getTileJSON(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("tileset"), ".json")
	if !ok {
		return apierr.NotFound("TileJSON documents are at /tiles/{layer}.json and /tiles/all.json")
	}
	snap := s.store.SnapshotFor(c.Request().Context())
	lay := snap.Layout
	layers, err := layersOf(lay, name)
	if err != nil {
		return err
	}
	base := c.Scheme() + "://" + c.Request().Host
	tj := BuildTileJSON(lay, name, layers, base)
	if c.QueryParam(httpapi.ParamVersion) != "" {
		// The document describes an earlier version: so must its tiles.
		for i := range tj.Tiles {
			tj.Tiles[i] += "?" + httpapi.ParamVersion + "=" + strconv.FormatInt(snap.Version.N, 10)
		}
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=60, must-revalidate")
	return c.JSON(http.StatusOK, tj)
}

// BuildTileJSON describes the tileset name made of layers, with tile URLs
// under baseURL (scheme://host).
func BuildTileJSON(lay *layout.Layout, name string, layers []*layout.Layer, baseURL string) *TileJSON {
	tj := &TileJSON{
		TileJSON:    TileJSONVersion,
		Name:        "hetang-" + name,
		Version:     "1.0.0",
		Attribution: attribution,
		Scheme:      "xyz",
		Tiles:       []string{baseURL + links.TileTemplate(name)},
		MinZoom:     TileJSONMinZoom,
		MaxZoom:     TileJSONMaxZoom,
		Description: fmt.Sprintf("Hetang layout vector tiles, data version %s", lay.Version),
	}
	var b orb.Bound
	first := true
	for _, ly := range layers {
		if len(ly.Features) == 0 {
			continue
		}
		lb := ly.Bound()
		if first {
			b, first = lb, false
		} else {
			b = b.Union(lb)
		}
		tj.VectorLayers = append(tj.VectorLayers, VectorLayer{
			ID: ly.ID, Description: ly.TitleEN + " / " + ly.TitleZH,
			MinZoom: TileJSONMinZoom, MaxZoom: TileJSONMaxZoom, Fields: fieldsOf(ly),
		})
	}
	if len(layers) == 1 {
		tj.Description = layers[0].TitleEN + " (" + layers[0].TitleZH + "), data version " + lay.Version
	}
	if !first {
		tj.Bounds = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		// The centre is the district's (the "all" bounds reach into the
		// neighbouring districts), at the zoom that shows the whole district.
		focus := b
		if d, err := lay.Layer(DistrictLayer); err == nil && len(d.Features) > 0 {
			focus = d.Bound()
		}
		cen := focus.Center()
		tj.Center = [3]float64{cen[0], cen[1], float64(fitZoom(focus, centreViewPixels))}
	}
	return tj
}

// DistrictLayer is the layer whose extent the TileJSON centre shows.
const DistrictLayer = "district"

// centreViewPixels is the width, in pixels, of the view the centre zoom fits
// the district into (a typical map window).
const centreViewPixels = 1024

// fitZoom is the highest zoom, within the served range, at which b fits in
// a square view px pixels wide (256-pixel Web Mercator tiles).
func fitZoom(b orb.Bound, px float64) int {
	for z := TileJSONMaxZoom; z > TileJSONMinZoom; z-- {
		nw := maptile.Fraction(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
		se := maptile.Fraction(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
		if (se[0]-nw[0])*256 <= px && (se[1]-nw[1])*256 <= px {
			return z
		}
	}
	return TileJSONMinZoom
}

// fieldsOf lists the tile properties a layer's features carry, with their
// MVT-style type names.
func fieldsOf(ly *layout.Layer) map[string]string {
	out := map[string]string{}
	types := map[string]layout.FieldType{}
	for _, f := range ly.Fields() {
		types[f.Name] = f.Type
	}
	for _, p := range tileProperties {
		t, ok := types[p]
		if !ok && p != layout.PropID {
			continue
		}
		switch t {
		case layout.FieldBoolean:
			out[p] = "Boolean"
		case layout.FieldInteger, layout.FieldReal:
			out[p] = "Number"
		default:
			out[p] = "String"
		}
	}
	return out
}
