package export_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/config"
	"hetang/internal/crs"
	"hetang/internal/export"
	"hetang/internal/fixture"
	"hetang/internal/gdaltest"
	"hetang/internal/store"
)

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

func newServer(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	st := fixture.Store(t)
	return fixture.Server(t, config.Default(), st, export.New(st)), st
}

func needGDAL(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ogrinfo", "gdalsrsinfo", "gdaltransform"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

func run(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestDownloadStatuses(t *testing.T) {
	ts, _ := newServer(t)
	tests := []struct {
		name, path string
		want       int
		ctype      string
	}{
		{"geojson", "/api/v1/download/areas.geojson", 200, "application/geo+json"},
		{"geojson 4547", "/api/v1/download/areas.geojson?crs=EPSG:4547", 200, "application/geo+json"},
		{"geojson gcj02", "/api/v1/download/places.geojson?crs=GCJ02", 200, "application/geo+json"},
		{"shapefile", "/api/v1/download/roads.shp.zip", 200, "application/zip"},
		{"shapefile gcj02 has no prj", "/api/v1/download/roads.shp.zip?crs=GCJ02", 400, ""},
		{"bad crs", "/api/v1/download/roads.shp.zip?crs=EPSG:9999", 400, ""},
		{"unknown layer", "/api/v1/download/nosuch.geojson", 404, ""},
		{"unknown format", "/api/v1/download/roads.gml", 404, ""},
		{"kml", "/api/v1/download/roads.kml", 200, "application/vnd.google-earth.kml+xml"},
		{"kml gcj02", "/api/v1/download/roads.kml?crs=GCJ02", 200, "application/vnd.google-earth.kml+xml"},
		{"kml crs84 by name", "/api/v1/download/roads.kml?crs=EPSG:4326", 200, "application/vnd.google-earth.kml+xml"},
		{"kml projected refused", "/api/v1/download/roads.kml?crs=EPSG:4547", 400, ""},
		{"kml bd09 refused", "/api/v1/download/roads.kml?crs=BD09", 400, ""},
		{"kml unknown layer", "/api/v1/download/nosuch.kml", 404, ""},
		{"kmz whole", "/api/v1/download/hetang.kmz", 200, "application/vnd.google-earth.kmz"},
		{"kmz whole gcj02", "/api/v1/download/hetang.kmz?crs=GCJ02", 200, "application/vnd.google-earth.kmz"},
		{"kml bad crs", "/api/v1/download/hetang.kml?crs=EPSG:9999", 400, ""},
		{"dxf", "/api/v1/download/areas.dxf", 200, "image/vnd.dxf"},
		{"dxf whole", "/api/v1/download/hetang.dxf", 200, "image/vnd.dxf"},
		{"dxf 4547 by name", "/api/v1/download/hetang.dxf?crs=EPSG:4547", 200, "image/vnd.dxf"},
		{"dxf other crs refused", "/api/v1/download/hetang.dxf?crs=CRS84", 400, ""},
		{"dxf unknown layer", "/api/v1/download/nosuch.dxf", 404, ""},
		{"empty name", "/api/v1/download/.dxf", 404, ""},
		{"hostile name", "/api/v1/download/" + strings.Repeat("a", 4000) + ".kmz", 404, ""},
		{"gpkg still served", "/api/v1/download/hetang.gpkg", 200, "application/geopackage+sqlite3"},
		{"gpkg 4547", "/api/v1/download/hetang.gpkg?crs=EPSG:4547", 200, "application/geopackage+sqlite3"},
		{"gpkg gcj02 has no srs", "/api/v1/download/hetang.gpkg?crs=GCJ02", 400, ""},
		{"gpkg bad crs", "/api/v1/download/hetang.gpkg?crs=EPSG:9999", 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := fixture.Get(t, ts.URL+tc.path, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("GET %s = %d, want %d: %s", tc.path, resp.StatusCode, tc.want, body)
			}
			if tc.ctype != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
			}
			if tc.want == 200 && !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=") {
				t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
			}
		})
	}
}

func TestGeoJSONDownloadCRS(t *testing.T) {
	ts, st := newServer(t)
	_, body := fixture.Get(t, ts.URL+"/api/v1/download/chain_nodes.geojson?crs=EPSG:4547", nil)
	var fc struct {
		CRS struct {
			Properties struct{ Name string }
		}
		Features []struct {
			ID       string
			Geometry struct{ Coordinates []float64 }
		}
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatal(err)
	}
	if fc.CRS.Properties.Name != "EPSG:4547" {
		t.Errorf("legacy crs member names %q", fc.CRS.Properties.Name)
	}
	ly, _ := st.Current().Layout.Layer("chain_nodes")
	if len(fc.Features) != len(ly.Features) {
		t.Fatalf("%d features, want %d", len(fc.Features), len(ly.Features))
	}
	want, err := crs.CGCSGK.FromWGS84(ly.Features[0].Geometry.(orb.Point))
	if err != nil {
		t.Fatal(err)
	}
	got := fc.Features[0].Geometry.Coordinates
	if math.Abs(got[0]-want[0]) > 1e-6 || math.Abs(got[1]-want[1]) > 1e-6 {
		t.Errorf("coordinates %v, want %v", got, want)
	}
}

// TestPRJMatchesGDAL checks the embedded .prj strings against GDAL's.
func TestPRJMatchesGDAL(t *testing.T) {
	needGDAL(t)
	for _, c := range []crs.CRS{crs.CRS84, crs.WGS84, crs.CGCS, crs.CGCSGK, crs.WebMerc} {
		epsg := c.EPSG
		if epsg == 0 {
			epsg = 4326
		}
		want := strings.TrimSpace(run(t, "", "gdalsrsinfo", "--single-line", "-o", "wkt_esri", "EPSG:"+strconv.Itoa(epsg)))
		got, err := export.PRJ(c)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.Code, got, want)
		}
	}
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestShapefileWithOGR downloads zipped shapefiles and opens them with GDAL.
func TestShapefileWithOGR(t *testing.T) {
	needGDAL(t)
	ts, st := newServer(t)
	lay := st.Current().Layout
	dir := t.TempDir()
	tests := []struct {
		layer, crs string
		geomType   string
		epsg       string
	}{
		{"areas", "EPSG:4547", "Polygon", "4547"},
		{"areas", "", "Polygon", "4326"},
		{"roads", "EPSG:4490", "Line String", "4490"},
		{"chain_nodes", "EPSG:4547", "Point", "4547"},
		{"places", "EPSG:3857", "Point", "3857"},
	}
	for _, tc := range tests {
		t.Run(tc.layer+" "+tc.crs, func(t *testing.T) {
			resp, body := fixture.Get(t, ts.URL+"/api/v1/download/"+tc.layer+".shp.zip?crs="+tc.crs, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			files := unzip(t, body)
			for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
				if _, ok := files[tc.layer+ext]; !ok {
					t.Errorf("zip lacks %s%s", tc.layer, ext)
				}
			}
			if string(files[tc.layer+".cpg"]) != "UTF-8" {
				t.Errorf(".cpg = %q", files[tc.layer+".cpg"])
			}
			if !strings.Contains(string(files["README.txt"]), "descriptio  description") {
				t.Errorf("README.txt lacks the field mapping:\n%s", files["README.txt"])
			}
			zipPath := filepath.Join(dir, tc.layer+strings.ReplaceAll(tc.crs, ":", "")+".shp.zip")
			if err := os.WriteFile(zipPath, body, 0o644); err != nil {
				t.Fatal(err)
			}
			ly, _ := lay.Layer(tc.layer)
			out := run(t, "", "ogrinfo", "-ro", "-al", "/vsizip/"+zipPath)
			if want := "Feature Count: " + strconv.Itoa(len(ly.Features)); !strings.Contains(out, want) {
				t.Errorf("ogrinfo lacks %q", want)
			}
			if want := "Geometry: " + tc.geomType; !strings.Contains(out, want) {
				t.Errorf("ogrinfo lacks %q", want)
			}
			if want := `ID["EPSG",` + tc.epsg + `]`; !strings.Contains(out, want) {
				t.Errorf("ogrinfo does not identify the SRS as EPSG:%s", tc.epsg)
			}
			for _, f := range ly.Features {
				name, _ := f.Properties["name_zh"].(string)
				if !strings.Contains(out, "name_zh (String) = "+name) {
					t.Errorf("ogrinfo lacks name_zh %q", name)
				}
			}
			if t.Failed() {
				t.Log(out)
			}
		})
	}
}

// TestShapefileCoordinatesMatchPROJ compares a point read by OGR from the
// EPSG:4547 shapefile with gdaltransform's (PROJ's) conversion.
func TestShapefileCoordinatesMatchPROJ(t *testing.T) {
	needGDAL(t)
	_, st := newServer(t)
	ly, _ := st.Current().Layout.Layer("chain_nodes")
	b, err := export.ShapefileZip(ly, crs.CGCSGK, "v", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "nodes.shp.zip")
	if err := os.WriteFile(zipPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, "", "ogrinfo", "-ro", "-al", "/vsizip/"+zipPath)
	re := regexp.MustCompile(`POINT \(([0-9.]+) ([0-9.]+)\)`)
	m := re.FindAllStringSubmatch(out, -1)
	if len(m) != len(ly.Features) {
		t.Fatalf("%d points in ogrinfo output, want %d", len(m), len(ly.Features))
	}
	for i, f := range ly.Features {
		p := f.Geometry.(orb.Point)
		pt := run(t, strconv.FormatFloat(p[0], 'f', -1, 64)+" "+strconv.FormatFloat(p[1], 'f', -1, 64)+"\n",
			"gdaltransform", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547")
		fs := strings.Fields(pt)
		wx, _ := strconv.ParseFloat(fs[0], 64)
		wy, _ := strconv.ParseFloat(fs[1], 64)
		gx, _ := strconv.ParseFloat(m[i][1], 64)
		gy, _ := strconv.ParseFloat(m[i][2], 64)
		if math.Abs(gx-wx) > 0.01 || math.Abs(gy-wy) > 0.01 {
			t.Errorf("%s: shapefile (%.3f, %.3f), PROJ (%.3f, %.3f)", f.ID, gx, gy, wx, wy)
		}
		if wx < 400000 || wx > 600000 {
			t.Errorf("%s: easting %v is not in the CM 114E zone", f.ID, wx)
		}
	}
}

// TestShapefileBooleansAndNames: a boolean every feature carries arrives as T
// or F (never NULL for false), and no DBF field is an SQL keyword that
// breaks GIS filters (the chain nodes' order is chain_order).
func TestShapefileBooleansAndNames(t *testing.T) {
	gdaltest.Require(t, "ogr2ogr")
	ts, _ := newServer(t)
	dir := t.TempDir()
	for _, layer := range []string{"places", "chain_nodes"} {
		resp, body := fixture.Get(t, ts.URL+"/api/v1/download/"+layer+".shp.zip", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", layer, resp.StatusCode)
		}
		path := filepath.Join(dir, layer+".shp.zip")
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		src := "/vsizip/" + path
		for _, f := range gdaltest.Fields(t, nil, src, layer) {
			if strings.EqualFold(f.Name, "order") {
				t.Errorf("%s: a field is named %q", layer, f.Name)
			}
		}
		fc := gdaltest.ReadLayer(t, nil, src, layer)
		counts := map[any]int{}
		for _, f := range fc.Features {
			counts[f.Properties["extends_be"]]++ // GDAL reads a DBF logical as "T"/"F"
		}
		if counts["T"] != 1 || counts[nil] != 0 || counts["F"] != len(fc.Features)-1 {
			t.Errorf("%s: extends_beyond_district values %v, want 1 true and the rest false", layer, counts)
		}
	}
}
