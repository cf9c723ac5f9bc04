package locate

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// needTools skips when a command-line tool is missing, except under CI,
// where scripts/deps.sh installs it and its absence is a failure.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (scripts/deps.sh installs it)", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
}

// samplePoint is a test point with the area the plain WGS84 file puts it in.
type samplePoint struct {
	name     string
	lon, lat float64
	area     string // "" outside the district
}

var samplePoints = []samplePoint{
	{"株洲站附近", 113.14, 27.86, "area-cbd"},
	{"区政府附近", 113.175, 27.87, "area-shuizhuhu"},
	{"太阳村附近", 113.2, 27.85, "area-taiyang"},
	{"金山附近", 113.21, 27.9, "area-jinshan"},
	{"仙庾岭附近", 113.27, 27.9, "area-hetang-moonlight"},
	{"区外一点", 113.05, 27.85, ""},
}

// cs2cs converts WGS84 lon/lat to target with PROJ's command-line tool (an
// independent conversion from the server's) and returns easting, northing.
func cs2cs(t *testing.T, target string, pts []samplePoint) [][2]float64 {
	t.Helper()
	var in strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&in, "%.9f %.9f\n", p.lat, p.lon) // EPSG:4326 is latitude first
	}
	cmd := exec.Command("cs2cs", "-f", "%.4f", "EPSG:4326", target)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cs2cs: %v", err)
	}
	var res [][2]float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		n, _ := strconv.ParseFloat(f[0], 64) // EPSG:4547/4526 are northing first
		e, _ := strconv.ParseFloat(f[1], 64)
		res = append(res, [2]float64{e, n})
	}
	return res
}

func ogr(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ogr2ogr", args...).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
	}
}

// batchCSV posts body to the batch endpoint and returns the CSV answer's
// rows as maps, and the response.
func batchCSV(t *testing.T, url, ctype string, body []byte) ([]map[string]string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b := new(bytes.Buffer)
		b.ReadFrom(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out, resp
}

// TestSameAnswersAcrossFormats: the files planners have — a GBK CSV with
// Chinese survey headers (X = northing), an EPSG:4547 GeoJSON with a crs
// member (written by GDAL), an .xlsx with zone-38 eastings, a zipped
// EPSG:4547 Shapefile (written by GDAL) — give the same answers as the
// plain WGS84 CSV of the same points. The projected coordinates come from
// PROJ's cs2cs, not from the server.
func TestSameAnswersAcrossFormats(t *testing.T) {
	needTools(t, "cs2cs", "ogr2ogr")
	srv := newTestServer(t, nil)
	dir := t.TempDir()
	gk := cs2cs(t, "EPSG:4547", samplePoints)
	gk38 := cs2cs(t, "EPSG:4526", samplePoints)

	var plain, survey strings.Builder
	plain.WriteString("name,lon,lat\n")
	survey.WriteString("序号,名称,X坐标,Y坐标\n")
	fc := map[string]any{"type": "FeatureCollection"}
	var feats []any
	for i, p := range samplePoints {
		fmt.Fprintf(&plain, "%s,%.9f,%.9f\n", p.name, p.lon, p.lat)
		fmt.Fprintf(&survey, "%d,%s,%.4f,%.4f\n", i+1, p.name, gk[i][1], gk[i][0])
		feats = append(feats, map[string]any{"type": "Feature", "properties": map[string]any{"name": p.name},
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{p.lon, p.lat}}})
	}
	fc["features"] = feats
	wgsJSON, _ := json.Marshal(fc)
	wgsPath := filepath.Join(dir, "pts.geojson")
	os.WriteFile(wgsPath, wgsJSON, 0o644)

	gbkCSV, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(survey.String()))
	if err != nil {
		t.Fatal(err)
	}
	// GeoJSON in EPSG:4547 with a crs member, by GDAL.
	gkPath := filepath.Join(dir, "pts4547.geojson")
	ogr(t, "-f", "GeoJSON", "-t_srs", "EPSG:4547", gkPath, wgsPath)
	gkJSON, _ := os.ReadFile(gkPath)
	if !bytes.Contains(gkJSON, []byte(`"crs"`)) || !bytes.Contains(gkJSON, []byte("4547")) {
		t.Fatalf("GDAL wrote no crs member:\n%s", gkJSON)
	}
	// Zipped Shapefile in EPSG:4547 (.prj, .cpg), by GDAL.
	shpDir := filepath.Join(dir, "shp")
	ogr(t, "-f", "ESRI Shapefile", "-t_srs", "EPSG:4547", "-lco", "ENCODING=UTF-8", shpDir, wgsPath)
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	ents, _ := os.ReadDir(shpDir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(shpDir, e.Name()))
		w, _ := zw.Create("pts/" + e.Name())
		w.Write(b)
	}
	zw.Close()
	// .xlsx with 东坐标 (zone-38 prefix) and 北坐标, by excelize.
	xf := excelize.NewFile()
	xf.SetSheetRow("Sheet1", "A1", &[]any{"名称", "东坐标", "北坐标"})
	for i, p := range samplePoints {
		xf.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &[]any{p.name, gk38[i][0], gk38[i][1]})
	}
	var xbuf bytes.Buffer
	if err := xf.Write(&xbuf); err != nil {
		t.Fatal(err)
	}

	want, _ := batchCSV(t, srv.URL+"/api/v1/locate/batch", "text/csv", []byte(plain.String()))
	for i, p := range samplePoints {
		if want[i]["area_id"] != p.area {
			t.Fatalf("plain CSV: %s in %q, want %q", p.name, want[i]["area_id"], p.area)
		}
		status := StatusInside
		if p.area == "" {
			status = StatusOutside
		}
		if want[i]["district_status_zh"] != status {
			t.Errorf("plain CSV: %s status %q, want %q", p.name, want[i]["district_status_zh"], status)
		}
	}
	cases := []struct {
		name, query, ctype string
		body               []byte
		crs, enc, nameCol  string
	}{
		{"gbk csv, survey X/Y", "?filename=测量点.csv", "text/csv", gbkCSV, "EPSG:4547", "GB18030", "名称"},
		{"geojson 4547 crs member", "?filename=pts.geojson", "application/geo+json", gkJSON, "EPSG:4547", "UTF-8", "name"},
		{"xlsx zone 38", "?filename=pts.xlsx", "application/octet-stream", xbuf.Bytes(), "EPSG:4526", "binary", "名称"},
		{"shapefile zip 4547", "?filename=pts.zip", "application/zip", zbuf.Bytes(), "EPSG:4547", "binary", "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, resp := batchCSV(t, srv.URL+"/api/v1/locate/batch"+tc.query, tc.ctype, tc.body)
			if h := resp.Header.Get(HeaderInputCRS); h != tc.crs {
				t.Errorf("%s %q, want %q", HeaderInputCRS, h, tc.crs)
			}
			if h := resp.Header.Get(HeaderInputEncoding); h != tc.enc {
				t.Errorf("%s %q, want %q", HeaderInputEncoding, h, tc.enc)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i][tc.nameCol] != samplePoints[i].name {
					t.Errorf("row %d: input column %s = %q, want %q", i+1, tc.nameCol, got[i][tc.nameCol], samplePoints[i].name)
				}
				for _, col := range []string{"inside_district", "district_status_zh", "area_id", "area_shares", "cities", "bases", "in_corridor", "nearest_road_id", "error_en"} {
					if got[i][col] != want[i][col] {
						t.Errorf("row %d %s: %q, want %q (as the WGS84 CSV)", i+1, col, got[i][col], want[i][col])
					}
				}
				for _, col := range []string{"dist_axis_m", "dist_chain_m", "dist_corridor_m", "nearest_road_m"} {
					g, _ := strconv.ParseFloat(got[i][col], 64)
					w, _ := strconv.ParseFloat(want[i][col], 64)
					if math.Abs(g-w) > 0.01 {
						t.Errorf("row %d %s: %v, want %v within 1 cm", i+1, col, g, w)
					}
				}
				for j, col := range []string{"wgs84_lon", "wgs84_lat"} {
					g, _ := strconv.ParseFloat(got[i][col], 64)
					w := []float64{samplePoints[i].lon, samplePoints[i].lat}[j]
					if math.Abs(g-w) > 1e-7 {
						t.Errorf("row %d %s: %v, want %v", i+1, col, g, w)
					}
				}
			}
			// inspect agrees on what it found
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/locate/inspect"+tc.query, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var a InspectAnswer
			if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 {
				t.Fatalf("inspect: %d %v", resp.StatusCode, err)
			}
			if a.CRS.Code != tc.crs || a.Encoding != tc.enc || a.Rows != len(samplePoints) || a.BBoxWGS84 == nil || len(a.Sample) != min(5, len(samplePoints)) {
				t.Errorf("inspect: %+v", a)
			}
			if a.CRS.ReasonZH == "" || a.Candidates[0] != tc.crs {
				t.Errorf("inspect crs %+v candidates %v", a.CRS, a.Candidates)
			}
			if bb := a.BBoxWGS84; math.Abs(bb[0]-113.05) > 1e-7 || math.Abs(bb[3]-27.9) > 1e-7 {
				t.Errorf("bbox %v", *bb)
			}
		})
	}
}

// TestBatchAmbiguousColumns: two coordinate column sets are a 400 naming
// them (in English and Chinese), and x=/y= resolves it.
func TestBatchAmbiguousColumns(t *testing.T) {
	srv := newTestServer(t, nil)
	body := []byte("lon,lat,X坐标,Y坐标\n113.21,27.9,3087610.802,422221.112\n")
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/locate/batch", bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := new(bytes.Buffer)
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(b.String(), "lon/lat (lon, lat); x/y (X坐标, Y坐标)") || !strings.Contains(b.String(), "两组") {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	// inspect previews the first set and lists both, for a page to offer
	a := inspectOK(t, srv.URL+"/api/v1/locate/inspect", "text/csv", body)
	if len(a.GeometryChoices) != 2 || a.GeometryChoices[1].X != "X坐标" || a.Geometry.X != "lon" || len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0], "two candidate") {
		t.Errorf("inspect: geometry %+v choices %+v warnings %q", a.Geometry, a.GeometryChoices, a.Warnings)
	}
	got, _ := batchCSV(t, srv.URL+"/api/v1/locate/batch?x=Y坐标&y=X坐标&crs=EPSG:4547", "text/csv", body)
	if got[0]["area_id"] != "area-jinshan" || math.Abs(mustFloat(got[0]["wgs84_lon"])-113.21) > 1e-6 {
		t.Errorf("x=/y= choice: %v", got[0])
	}
}

func mustFloat(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// TestGeoPackageLayersInspect: a GeoPackage of two layers (made by
// ogr2ogr): inspect previews the first and lists both, so a page can offer
// the choice; a batch without layer= is a 400 that names them, and with
// layer= reads that layer.
func TestGeoPackageLayersInspect(t *testing.T) {
	needTools(t, "ogr2ogr")
	srv := newTestServer(t, nil)
	dir := t.TempDir()
	src := filepath.Join(dir, "p.geojson")
	if err := os.WriteFile(src, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"金山"},"geometry":{"type":"Point","coordinates":[113.21,27.9]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	gp := filepath.Join(dir, "two.gpkg")
	ogr(t, "-f", "GPKG", gp, src, "-nln", "地块")
	ogr(t, "-f", "GPKG", "-update", gp, src, "-nln", "点位")
	body, err := os.ReadFile(gp)
	if err != nil {
		t.Fatal(err)
	}
	a := inspectOK(t, srv.URL+"/api/v1/locate/inspect?filename=two.gpkg", "", body)
	if strings.Join(a.Layers, ",") != "地块,点位" || a.Layer != "地块" || a.Rows != 1 || len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0], "layer=") {
		t.Errorf("inspect: layers %q layer %q rows %d warnings %q", a.Layers, a.Layer, a.Rows, a.Warnings)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/locate/batch?filename=two.gpkg", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := new(bytes.Buffer)
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(b.String(), "地块, 点位") {
		t.Errorf("batch without layer=: %d %s", resp.StatusCode, b)
	}
	got, _ := batchCSV(t, srv.URL+"/api/v1/locate/batch?filename=two.gpkg&layer=点位", "application/geopackage+sqlite3", body)
	if len(got) != 1 || got[0]["area_id"] != "area-jinshan" || got[0]["名称"] != "金山" {
		t.Errorf("layer=点位: %v", got)
	}
}

// inspectOK posts body to an inspect URL and decodes its 200 answer.
func inspectOK(t *testing.T, url, ctype string, body []byte) InspectAnswer {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a InspectAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 {
		t.Fatalf("inspect: %d %v", resp.StatusCode, err)
	}
	return a
}
