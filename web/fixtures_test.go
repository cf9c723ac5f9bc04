package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/gdaltest"
	"hetang/internal/geosorb"
)

// The upload fixtures of the browser test: the files planners have, made
// from known WGS84 points with the tools planners' files come from (GDAL's
// ogr2ogr writes the EPSG:4547 GeoJSON, the zipped Shapefile, the GeoPackage
// and the .xlsx;
// PROJ's cs2cs gives the Gauss–Krüger metres; iconv makes the GBK CSVs).
// The points are GEOS's point-on-surface of each area and of a neighbouring
// district, read from the running server's layers, so every file has one
// record per area and one outside the district. browser.mjs checks that each
// record lands in the area that contains its point (point in polygon on the
// areas layer) and that the page's rows are the batch API's for the file.

// fixturePoint is a known WGS84 point and the name its record carries.
type fixturePoint struct {
	Name  string     `json:"name"`
	WGS84 [2]float64 `json:"wgs84"`
	// GK is the point in EPSG:4547 (easting, northing), from cs2cs (gdaltest.ToGK).
	GK [2]float64 `json:"gk"`
}

// uploadFixture is one file to upload and what the page should show for it.
type uploadFixture struct {
	ID       string `json:"id"`
	Path     string `json:"path"`
	Format   string `json:"format"`   // the inspect answer's format
	Encoding string `json:"encoding"` // and encoding
	CRS      string `json:"crs"`      // the CRS the server should assume
	Source   string `json:"source"`   // file | detected
	Swap     bool   `json:"swap_xy"`  // the file gives northing before easting
	Parcels  bool   `json:"parcels"`  // records are parcels (squares around the points)
	// Points are the records' known points, in file order; a nil entry
	// is a record that cannot be read (BadRows says which).
	Points  []*fixturePoint `json:"points"`
	BadRows []int           `json:"bad_rows"`
	// Layer is the GeoPackage layer the records are in, one of Layers
	// (the second holds the first two records only).
	Layer  string   `json:"layer,omitempty"`
	Layers []string `json:"layers,omitempty"`
	// X and Y are the coordinate columns of a table with two candidate
	// sets (the first, previewed); OtherX is the other set's first column
	// and OtherCRS the system its numbers are detected as.
	X        string `json:"x,omitempty"`
	Y        string `json:"y,omitempty"`
	OtherX   string `json:"other_x,omitempty"`
	OtherCRS string `json:"other_crs,omitempty"`
}

type uploadFixtures struct {
	Points []fixturePoint   `json:"points"`
	Files  []*uploadFixture `json:"files"`
	// Straddle is an uploaded parcel that crosses area boundaries (a thin
	// band between the first two points), for shares and the site report.
	Straddle string `json:"straddle"`
}

// halfSide is half the side of the square parcels, in degrees (~40 m).
const halfSide = 0.0004

// writeUploadFixtures makes the files in dir and writes dir/fixtures.json;
// it returns that file's path. Missing tools skip the test (fail under CI).
func writeUploadFixtures(t *testing.T, base, dir string) string {
	t.Helper()
	for _, tool := range []string{"ogr2ogr", "cs2cs", "iconv"} {
		gdaltest.Require(t, tool)
	}
	pts := knownPoints(t, base)
	wgs := make([]orb.Point, len(pts))
	for i, p := range pts {
		wgs[i] = orb.Point(p.WGS84)
	}
	for i, gk := range gdaltest.ToGK(t, wgs) {
		if gk[0] < 300000 || gk[0] > 700000 || gk[1] < 2.9e6 || gk[1] > 3.2e6 {
			t.Fatalf("cs2cs gave %v for %v: not Gauss–Krüger metres near Zhuzhou", gk, wgs[i])
		}
		pts[i].GK = [2]float64{gk[0], gk[1]}
	}

	var fx uploadFixtures
	for _, p := range pts {
		fx.Points = append(fx.Points, *p)
	}
	path := func(name string) string { return filepath.Join(dir, name) }

	// WGS84 squares around the points, as GeoJSON (RFC 7946), then GDAL
	// writes them in EPSG:4547 with a crs member, and as a Shapefile.
	var squares bytes.Buffer
	squares.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, p := range pts {
		if i > 0 {
			squares.WriteString(",")
		}
		x, y := p.WGS84[0], p.WGS84[1]
		fmt.Fprintf(&squares, `{"type":"Feature","properties":{"名称":%q,"用途":"工业"},"geometry":{"type":"Polygon","coordinates":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]]}}`,
			p.Name, x-halfSide, y-halfSide, x+halfSide, y-halfSide, x+halfSide, y+halfSide, x-halfSide, y+halfSide, x-halfSide, y-halfSide)
	}
	squares.WriteString("]}")
	writeFile(t, path("squares-wgs84.geojson"), squares.Bytes())
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "GeoJSON", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547", "-lco", "RFC7946=NO", "-lco", "COORDINATE_PRECISION=3",
		path("parcels-4547.geojson"), path("squares-wgs84.geojson"))
	if b, _ := os.ReadFile(path("parcels-4547.geojson")); !bytes.Contains(b, []byte("EPSG::4547")) {
		t.Fatalf("ogr2ogr wrote no EPSG:4547 crs member:\n%.400s", b)
	}
	fx.Files = append(fx.Files, &uploadFixture{ID: "geojson-4547", Path: path("parcels-4547.geojson"), Format: "geojson", Encoding: "UTF-8",
		CRS: "EPSG:4547", Source: "file", Parcels: true, Points: pts, BadRows: []int{}})

	shp := path("shp")
	if err := os.MkdirAll(shp, 0o755); err != nil {
		t.Fatal(err)
	}
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "ESRI Shapefile", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547", "-lco", "ENCODING=UTF-8", "-nln", "地块",
		filepath.Join(shp, "地块.shp"), path("squares-wgs84.geojson"))
	zipDir(t, shp, path("parcels-4547-shp.zip"))
	fx.Files = append(fx.Files, &uploadFixture{ID: "shapezip-4547", Path: path("parcels-4547-shp.zip"), Format: "shapezip", Encoding: "binary",
		CRS: "EPSG:4547", Source: "file", Parcels: true, Points: pts, BadRows: []int{}})

	// A GeoPackage in EPSG:4547, its srs from gpkg_spatial_ref_sys, with a
	// second layer (the first two parcels again, as 点位): the page offers
	// the layers and names the one it read to the batch.
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "GPKG", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547", "-nln", "地块",
		path("地块-4547.gpkg"), path("squares-wgs84.geojson"))
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "GPKG", "-update", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547", "-nln", "点位", "-limit", "2",
		path("地块-4547.gpkg"), path("squares-wgs84.geojson"))
	fx.Files = append(fx.Files, &uploadFixture{ID: "gpkg-4547", Path: path("地块-4547.gpkg"), Format: "gpkg", Encoding: "binary",
		CRS: "EPSG:4547", Source: "file", Parcels: true, Points: pts, BadRows: []int{}, Layer: "地块", Layers: []string{"地块", "点位"}})

	// GBK CSV with 经度/纬度 (WGS84), with a row whose longitude is not a number.
	var lonlat strings.Builder
	lonlat.WriteString("序号,名称,经度,纬度,备注\r\n")
	withBad := append([]*fixturePoint{}, pts[:2]...)
	withBad = append(withBad, nil)
	withBad = append(withBad, pts[2:]...)
	for i, p := range withBad {
		if p == nil {
			fmt.Fprintf(&lonlat, "%d,坏行,东经一百一十三度,27.9,经度不是数字\r\n", i+1)
			continue
		}
		fmt.Fprintf(&lonlat, "%d,%s,%.7f,%.7f,测试\r\n", i+1, p.Name, p.WGS84[0], p.WGS84[1])
	}
	writeFile(t, path("points-utf8.csv"), []byte(lonlat.String()))
	iconvGBK(t, path("points-utf8.csv"), path("经纬度-gbk.csv"))
	fx.Files = append(fx.Files, &uploadFixture{ID: "csv-gbk-lonlat", Path: path("经纬度-gbk.csv"), Format: "csv", Encoding: "GB18030",
		CRS: "CRS84", Source: "detected", Points: withBad, BadRows: []int{3}})

	// GBK CSV with 东坐标/北坐标 in Gauss–Krüger metres (EPSG:4547, no zone prefix).
	var en strings.Builder
	en.WriteString("编号,名称,东坐标,北坐标\r\n")
	for i, p := range pts {
		fmt.Fprintf(&en, "G%d,%s,%.3f,%.3f\r\n", i+1, p.Name, p.GK[0], p.GK[1])
	}
	writeFile(t, path("gk-utf8.csv"), []byte(en.String()))
	iconvGBK(t, path("gk-utf8.csv"), path("东北坐标-gbk.csv"))
	fx.Files = append(fx.Files, &uploadFixture{ID: "csv-gbk-gk", Path: path("东北坐标-gbk.csv"), Format: "csv", Encoding: "GB18030",
		CRS: "EPSG:4547", Source: "detected", Points: pts, BadRows: []int{}})

	// GBK CSV with both 经度/纬度 (WGS84) and the surveyors' X坐标/Y坐标
	// (EPSG:4547 northing and easting): the check previews the first set
	// and offers the other; the batch names the set read.
	var both strings.Builder
	both.WriteString("点号,名称,经度,纬度,X坐标,Y坐标\r\n")
	for i, p := range pts {
		fmt.Fprintf(&both, "J%d,%s,%.7f,%.7f,%.3f,%.3f\r\n", i+1, p.Name, p.WGS84[0], p.WGS84[1], p.GK[1], p.GK[0])
	}
	writeFile(t, path("both-utf8.csv"), []byte(both.String()))
	iconvGBK(t, path("both-utf8.csv"), path("两组坐标-gbk.csv"))
	fx.Files = append(fx.Files, &uploadFixture{ID: "csv-gbk-two-sets", Path: path("两组坐标-gbk.csv"), Format: "csv", Encoding: "GB18030",
		CRS: "CRS84", Source: "detected", Points: pts, BadRows: []int{}, X: "经度", Y: "纬度", OtherX: "X坐标", OtherCRS: "EPSG:4547"})

	// Excel: surveyors' X坐标 (northing) and Y坐标 (easting), written by GDAL's
	// XLSX driver as numbers.
	var xy strings.Builder
	xy.WriteString("名称,X坐标,Y坐标\r\n")
	for _, p := range pts {
		fmt.Fprintf(&xy, "%s,%.3f,%.3f\r\n", p.Name, p.GK[1], p.GK[0])
	}
	writeFile(t, path("survey.csv"), []byte(xy.String()))
	gdaltest.Run(t, nil, "ogr2ogr", "-f", "XLSX", "-oo", "AUTODETECT_TYPE=YES", "-nln", "点位", path("测量点.xlsx"), path("survey.csv"))
	fx.Files = append(fx.Files, &uploadFixture{ID: "xlsx-survey", Path: path("测量点.xlsx"), Format: "xlsx", Encoding: "binary",
		CRS: "EPSG:4547", Source: "detected", Swap: true, Points: pts, BadRows: []int{}})

	// A thin band from the first point to the second: it crosses areas.
	a, b := pts[0].WGS84, pts[1].WGS84
	band := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"跨片区地块"},"geometry":{"type":"Polygon","coordinates":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]]}}]}`,
		a[0], a[1]-0.001, b[0], b[1]-0.001, b[0], b[1]+0.001, a[0], a[1]+0.001, a[0], a[1]-0.001)
	writeFile(t, path("跨片区.geojson"), []byte(band))
	fx.Straddle = path("跨片区.geojson")

	out, err := json.MarshalIndent(fx, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path("fixtures.json"), out)
	return path("fixtures.json")
}

// knownPoints are GEOS's point on surface of every area (by id) and of the
// first neighbouring district, from the server's layers.
func knownPoints(t *testing.T, base string) []*fixturePoint {
	t.Helper()
	var pts []*fixturePoint
	for _, ly := range []struct {
		id   string
		max  int
		name string
	}{{"areas", 0, "测试点"}, {"neighbours", 1, "区外点"}} {
		fc := fetchLayer(t, base, ly.id)
		sort.Slice(fc.Features, func(i, j int) bool { return fmt.Sprint(fc.Features[i].ID) < fmt.Sprint(fc.Features[j].ID) })
		if ly.max > 0 && len(fc.Features) > ly.max {
			fc.Features = fc.Features[:ly.max]
		}
		for _, f := range fc.Features {
			g, err := geosorb.ToGEOS(nil, f.Geometry)
			if err != nil {
				t.Fatal(err)
			}
			p := g.PointOnSurface()
			pts = append(pts, &fixturePoint{Name: ly.name + strconv.Itoa(len(pts)+1), WGS84: [2]float64{p.X(), p.Y()}})
		}
	}
	if len(pts) < 4 {
		t.Fatalf("only %d known points", len(pts))
	}
	return pts
}

func fetchLayer(t *testing.T, base, id string) *geojson.FeatureCollection {
	t.Helper()
	client := &http.Client{Timeout: 15 * time.Second}
	res, err := client.Get(base + "/api/v1/layers/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET layer %s: %d %v", id, res.StatusCode, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

func iconvGBK(t *testing.T, from, to string) {
	t.Helper()
	writeFile(t, to, gdaltest.Run(t, nil, "iconv", "-f", "UTF-8", "-t", "GBK", from))
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// zipDir zips the files of dir (not recursive) into dst.
func zipDir(t *testing.T, dir, dst string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, buf.Bytes())
}
