package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/layout"
)

// Link is a typed hyperlink in API responses.
type Link struct {
	Rel   string `json:"rel"`
	Href  string `json:"href"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// LayerInfo is one entry of the layer catalog.
type LayerInfo struct {
	ID           string     `json:"id"`
	TitleZH      string     `json:"title_zh"`
	TitleEN      string     `json:"title_en"`
	Description  string     `json:"description"`
	GeometryType string     `json:"geometry_type"`
	FeatureCount int        `json:"feature_count"`
	BBox         [4]float64 `json:"bbox"`
	Links        []Link     `json:"links"`
}

// Catalog is the body of GET /api/v1/layers.
type Catalog struct {
	DataVersion string      `json:"data_version"`
	CRS         string      `json:"crs"`
	Notice      string      `json:"notice"`
	Layers      []LayerInfo `json:"layers"`
	Links       []Link      `json:"links"`
}

// Notice is the data-honesty statement carried by catalog responses.
const Notice = "The layout geometry is a schematic digitisation of the Hetang 14th Five-Year Plan's text and schematic maps, not a survey; only the district boundary (generalised web-map data) and a few gazetteer points come from coordinates. Each feature's source and accuracy properties say which."

func (s *Server) listLayers(c echo.Context) error {
	lay := s.store.Current().Layout
	cat := Catalog{DataVersion: lay.Version, CRS: crs.CRS84URI, Notice: Notice,
		Links: []Link{
			{Rel: "self", Href: "/api/v1/layers", Type: MediaTypeJSON},
			{Rel: "enclosure", Href: "/api/v1/download/hetang.gpkg", Type: MediaTypeGPKG, Title: "The whole layout as one GeoPackage (?crs=EPSG:4490|4547|3857)"},
		}}
	for _, ly := range lay.Layers {
		b := ly.Bound()
		cat.Layers = append(cat.Layers, LayerInfo{
			ID: ly.ID, TitleZH: ly.TitleZH, TitleEN: ly.TitleEN, Description: ly.Description,
			GeometryType: ly.GeometryType, FeatureCount: len(ly.Features),
			BBox: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
			Links: []Link{
				{Rel: "items", Href: "/api/v1/layers/" + ly.ID, Type: MediaTypeGeoJSON, Title: ly.TitleEN + " as GeoJSON"},
				{Rel: "alternate", Href: "/ogcapi/collections/" + strings.ReplaceAll(ly.ID, ".", "_") + "/items", Type: MediaTypeGeoJSON, Title: ly.TitleEN + " as OGC API Features"},
				{Rel: "enclosure", Href: "/api/v1/download/" + ly.ID + ".geojson", Type: MediaTypeGeoJSON, Title: ly.TitleEN + " GeoJSON download (?crs=)"},
				{Rel: "enclosure", Href: "/api/v1/download/" + ly.ID + ".shp.zip", Type: "application/zip", Title: ly.TitleEN + " zipped ESRI Shapefile (?crs=)"},
				{Rel: "tiles", Href: "/tiles/" + ly.ID + ".json", Type: MediaTypeJSON, Title: ly.TitleEN + " vector tiles (TileJSON)"},
			},
		})
	}
	return c.JSON(http.StatusOK, cat)
}

// ParseCRS reads the crs query parameter (default CRS84); an unknown one is
// a 400 that lists the supported systems.
func ParseCRS(c echo.Context) (crs.CRS, error) {
	cr, err := crs.Parse(c.QueryParam("crs"))
	if err != nil {
		return crs.CRS{}, apierr.BadRequest(err.Error())
	}
	return cr, nil
}

func (s *Server) layer(c echo.Context) (*layout.Layout, *layout.Layer, error) {
	lay := s.store.Current().Layout
	ly, err := lay.Layer(c.Param("layer"))
	if err != nil {
		return nil, nil, apierr.NotFound(fmt.Sprintf("layer %q does not exist; GET /api/v1/layers lists the layers", c.Param("layer")))
	}
	return lay, ly, nil
}

func (s *Server) getLayer(c echo.Context) error {
	lay, ly, err := s.layer(c)
	if err != nil {
		return err
	}
	cr, err := ParseCRS(c)
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`W/"%s.%s.%s"`, lay.Version, ly.ID, cr.Code)
	return s.cache.Serve(c, etag, MediaTypeGeoJSON, func() ([]byte, error) {
		fc := geojson.NewFeatureCollection()
		for _, f := range ly.Features {
			gf, err := FeatureGeoJSON(f, cr)
			if err != nil {
				return nil, err
			}
			fc.Append(gf)
		}
		fc.ExtraMembers = geojson.Properties{
			"layer":        map[string]string{"id": ly.ID, "title_zh": ly.TitleZH, "title_en": ly.TitleEN, "geometry_type": ly.GeometryType},
			"data_version": lay.Version,
			"crs_code":     cr.Code,
			"notice":       Notice,
		}
		return json.Marshal(fc)
	})
}

func (s *Server) getFeature(c echo.Context) error {
	lay, ly, err := s.layer(c)
	if err != nil {
		return err
	}
	f, err := ly.Feature(c.Param("fid"))
	if err != nil {
		return apierr.NotFound(fmt.Sprintf("layer %q has no feature %q; GET /api/v1/layers/%s lists its features", ly.ID, c.Param("fid"), ly.ID))
	}
	cr, err := ParseCRS(c)
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`W/"%s.%s.%s.%s"`, lay.Version, ly.ID, f.ID, cr.Code)
	return s.cache.Serve(c, etag, MediaTypeGeoJSON, func() ([]byte, error) {
		gf, err := FeatureGeoJSON(f, cr)
		if err != nil {
			return nil, err
		}
		return json.Marshal(gf)
	})
}

// FeatureGeoJSON converts a feature to a GeoJSON feature in the given CRS
// (x-first axis order).
func FeatureGeoJSON(f *layout.Feature, cr crs.CRS) (*geojson.Feature, error) {
	var g orb.Geometry = f.Geometry
	if !cr.IsWGS84() {
		var err error
		if g, err = cr.GeometryFromWGS84(f.Geometry); err != nil {
			return nil, err
		}
	}
	gf := geojson.NewFeature(g)
	gf.ID = f.ID
	gf.Properties = geojson.Properties(f.Properties)
	return gf, nil
}
