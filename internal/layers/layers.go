// Package layers serves the layer service under /api/v1/layers: the layer
// catalog (ids, titles, geometry types, feature counts, bounding boxes and
// links to every other form of each layer), each layer as a GeoJSON
// FeatureCollection and each feature on its own, in any of the service's
// CRSs (?crs=), with ETags and a response cache keyed by the data version.
package layers

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/httpapi"
	"hetang/internal/layout"
	"hetang/internal/links"
	"hetang/internal/mediatype"
	"hetang/internal/store"
)

// LayerInfo is one entry of the layer catalog.
type LayerInfo struct {
	ID           string       `json:"id"`
	TitleZH      string       `json:"title_zh"`
	TitleEN      string       `json:"title_en"`
	Description  string       `json:"description"`
	GeometryType string       `json:"geometry_type"`
	FeatureCount int          `json:"feature_count"`
	BBox         [4]float64   `json:"bbox"`
	Links        []links.Link `json:"links"`
}

// Catalog is the body of GET /api/v1/layers.
type Catalog struct {
	DataVersion string `json:"data_version"`
	// LayoutVersion is the layout version listed (Hetang-Layout-Version).
	LayoutVersion int64        `json:"layout_version"`
	CRS           string       `json:"crs"`
	Notice        string       `json:"notice"`
	Layers        []LayerInfo  `json:"layers"`
	Links         []links.Link `json:"links"`
}

// cacheBytes caps the encoded layers and features kept for reuse.
const cacheBytes = 32 << 20

// Server serves the layers of a store's current snapshot.
type Server struct {
	store *store.Store
	cache *httpapi.ResponseCache
}

// New returns the layer service on st.
func New(st *store.Store) *Server {
	return &Server{store: st, cache: httpapi.NewResponseCache(cacheBytes, 0)}
}

// Mount adds GET /api/v1/layers, /api/v1/layers/{layer} and
// /api/v1/layers/{layer}/features/{fid}.
func (s *Server) Mount(r httpapi.Routes) {
	// Middleware goes on each route, not on a group: a group with
	// middleware adds a catch-all route that answers every unknown method on
	// /api/v1/... with 404 instead of 405.
	r.Echo.GET(links.Layers, s.listLayers, r.Std...)
	r.Echo.GET(links.Layers+"/:layer", s.getLayer, r.Std...)
	r.Echo.GET(links.Layers+"/:layer/features/:fid", s.getFeature, r.Std...)
}

func (s *Server) listLayers(c echo.Context) error {
	snap := s.store.SnapshotFor(c.Request().Context())
	lay := snap.Layout
	// Absolute links, so that a client that saved the catalog can follow them.
	root := c.Scheme() + "://" + c.Request().Host
	cat := Catalog{DataVersion: lay.Version, LayoutVersion: snap.Version.N, CRS: crs.CRS84URI, Notice: layout.Notice,
		Links: []links.Link{
			{Rel: links.RelSelf, Href: root + links.Layers, Type: mediatype.JSON},
			{Rel: links.RelEnclosure, Href: root + links.GPKG, Type: mediatype.GeoPackage, Title: "The whole layout as one GeoPackage (?crs=EPSG:4490|4547|3857)"},
			{Rel: links.RelEnclosure, Href: root + links.LayerDownload(links.WholeLayout, links.SuffixKML), Type: mediatype.KML, Title: "The whole layout as KML (Google Earth, 奥维互动地图; ?crs=GCJ02 for Chinese map apps)"},
			{Rel: links.RelEnclosure, Href: root + links.LayerDownload(links.WholeLayout, links.SuffixKMZ), Type: mediatype.KMZ, Title: "The whole layout as KMZ (?crs=GCJ02)"},
			{Rel: links.RelEnclosure, Href: root + links.LayerDownload(links.WholeLayout, links.SuffixDXF), Type: mediatype.DXF, Title: "The whole layout as a DXF drawing in EPSG:4547 (CAD)"},
			{Rel: links.RelAlternate, Href: root + links.OGCAPI + "/", Type: mediatype.JSON, Title: "The layers as OGC API – Features"},
			{Rel: links.RelAlternate, Href: root + links.WFS + "?SERVICE=WFS&REQUEST=GetCapabilities", Type: mediatype.XML, Title: "The layers as WFS 2.0"},
			{Rel: links.RelTiles, Href: root + links.TileJSON("all"), Type: mediatype.JSON, Title: "All layers as vector tiles (TileJSON)"},
			{Rel: links.RelLicense, Href: root + links.Licence, Type: mediatype.Markdown, Title: "Data licence"},
		}}
	for _, ly := range lay.Layers {
		b := ly.Bound()
		cat.Layers = append(cat.Layers, LayerInfo{
			ID: ly.ID, TitleZH: ly.TitleZH, TitleEN: ly.TitleEN, Description: ly.Description,
			GeometryType: ly.GeometryType, FeatureCount: len(ly.Features),
			BBox: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
			Links: []links.Link{
				{Rel: links.RelItems, Href: root + links.Layer(ly.ID), Type: mediatype.GeoJSON, Title: ly.TitleEN + " as GeoJSON"},
				{Rel: links.RelAlternate, Href: root + links.Collection(ly.ID) + "/items", Type: mediatype.GeoJSON, Title: ly.TitleEN + " as OGC API Features"},
				{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixGeoJSON), Type: mediatype.GeoJSON, Title: ly.TitleEN + " GeoJSON download (?crs=)"},
				{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixShapeZip), Type: mediatype.Zip, Title: ly.TitleEN + " zipped ESRI Shapefile (?crs=)"},
				{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixKMZ), Type: mediatype.KMZ, Title: ly.TitleEN + " KMZ (?crs=GCJ02 for Chinese map apps)"},
				{Rel: links.RelEnclosure, Href: root + links.LayerDownload(ly.ID, links.SuffixDXF), Type: mediatype.DXF, Title: ly.TitleEN + " DXF drawing (EPSG:4547)"},
				{Rel: links.RelTiles, Href: root + links.TileJSON(ly.ID), Type: mediatype.JSON, Title: ly.TitleEN + " vector tiles (TileJSON)"},
			},
		})
	}
	return c.JSON(http.StatusOK, cat)
}

func (s *Server) layer(c echo.Context) (*layout.Layout, *layout.Layer, error) {
	lay := s.store.SnapshotFor(c.Request().Context()).Layout
	ly, err := lay.Layer(c.Param("layer"))
	if err != nil {
		return nil, nil, apierr.NotFound(fmt.Sprintf("layer %q does not exist; GET %s lists the layers", c.Param("layer"), links.Layers))
	}
	return lay, ly, nil
}

func (s *Server) getLayer(c echo.Context) error {
	lay, ly, err := s.layer(c)
	if err != nil {
		return err
	}
	cr, err := httpapi.ParseCRS(c)
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`W/"%s.%s.%s"`, lay.Version, ly.ID, cr.Code)
	return s.cache.Serve(c, etag, mediatype.GeoJSON, func() ([]byte, error) {
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
			"notice":       layout.Notice,
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
		return apierr.NotFound(fmt.Sprintf("layer %q has no feature %q; GET %s lists its features", ly.ID, c.Param("fid"), links.Layer(ly.ID)))
	}
	cr, err := httpapi.ParseCRS(c)
	if err != nil {
		return err
	}
	etag := fmt.Sprintf(`W/"%s.%s.%s.%s"`, lay.Version, ly.ID, f.ID, cr.Code)
	return s.cache.Serve(c, etag, mediatype.GeoJSON, func() ([]byte, error) {
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
