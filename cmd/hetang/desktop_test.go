package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"hetang/geodata"
	"hetang/internal/gdaltest"
	"hetang/internal/layout"
	"hetang/internal/plandata"
)

// TestDesktopClients runs the real binary and opens what it serves the way
// desktop GIS clients do: every download and tile by URL (HEAD, byte ranges,
// GDAL's /vsicurl/), and the layers in QGIS (PyQGIS, offscreen) through OGC
// API – Features, WFS, the GeoPackage, KML and DXF.
func TestDesktopClients(t *testing.T) {
	gdaltest.Require(t, "ogrinfo")
	srv := startServer(t, buildBinary(t), nil)
	lay, err := plandata.Build(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	district, _ := lay.Layer("district")
	cen := district.Bound().Center()
	tile := maptile.At(orb.Point{cen[0], cen[1]}, 12)
	files := []string{
		"/api/v1/download/places.geojson",
		"/api/v1/download/areas.shp.zip",
		"/api/v1/download/hetang.gpkg",
		"/api/v1/download/hetang.gpkg?crs=EPSG:4547",
		"/api/v1/download/hetang.kml",
		"/api/v1/download/roads.kmz?crs=GCJ02",
		"/api/v1/download/hetang.dxf",
		fmt.Sprintf("/tiles/all/%d/%d/%d.mvt", tile.Z, tile.X, tile.Y),
		"/licence",
	}
	t.Run("HEAD and ranges", func(t *testing.T) {
		for _, p := range files {
			checkFileSemantics(t, srv.base+p)
		}
	})
	t.Run("vsicurl", func(t *testing.T) {
		env := []string{"GDAL_HTTP_TIMEOUT=30", "NO_PROXY=127.0.0.1", "GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR"}
		for _, tc := range []struct {
			src, layer string
			count      int
		}{
			{"/vsicurl/" + srv.base + "/api/v1/download/places.geojson", "", layerCount(lay, "places")},
			{"/vsizip//vsicurl/" + srv.base + "/api/v1/download/areas.shp.zip", "areas", layerCount(lay, "areas")},
			{"/vsicurl/" + srv.base + "/api/v1/download/hetang.gpkg", "roads", layerCount(lay, "roads")},
			{"/vsicurl/" + srv.base + "/api/v1/download/hetang.dxf", "entities", -1},
			{"/vsicurl/" + srv.base + files[7], "areas", -1},
		} {
			fc := gdaltest.ReadLayer(t, env, tc.src, tc.layer)
			if tc.count >= 0 && len(fc.Features) != tc.count {
				t.Errorf("%s %s: %d features, want %d", tc.src, tc.layer, len(fc.Features), tc.count)
			}
			if len(fc.Features) == 0 {
				t.Errorf("%s %s: no features", tc.src, tc.layer)
			}
		}
	})
	t.Run("QGIS", func(t *testing.T) {
		py := qgisPython(t)
		dir := t.TempDir()
		for _, f := range []string{"hetang.gpkg", "hetang.kml", "hetang.dxf"} {
			download(t, srv.base+"/api/v1/download/"+f, filepath.Join(dir, f))
		}
		var want strings.Builder
		for _, ly := range lay.Layers {
			fmt.Fprintf(&want, "%s\t%s\t%s\t%d\t%s\n", ly.ID, ly.TitleZH, ly.TitleEN, len(ly.Features), strings.Join(fieldNames(ly.Fields()), ","))
		}
		wantPath := filepath.Join(dir, "layers.tsv")
		if err := os.WriteFile(wantPath, []byte(want.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		// Each layer's features straight from the layout (WGS84), for the
		// script to compare every value and vertex QGIS reads against.
		for _, ly := range lay.Layers {
			fc := geojson.NewFeatureCollection()
			for _, f := range ly.Features {
				gf := geojson.NewFeature(f.Geometry)
				gf.Properties = geojson.Properties(f.Properties)
				fc.Append(gf)
			}
			b, err := fc.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "want-"+ly.ID+".geojson"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(py, "testdata/qgis_clients.py", srv.base, dir, wantPath)
		cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "XDG_RUNTIME_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		t.Logf("PyQGIS:\n%s", lastLines(string(out), 40))
		if err != nil {
			t.Fatalf("PyQGIS check failed: %v", err)
		}
	})
}

func fieldNames(fs []layout.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// checkFileSemantics asks for u as a file reader does: HEAD gives the size
// a GET gives, a range gives 206 with those bytes, a range past the end 416.
func checkFileSemantics(t *testing.T, u string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	do := func(method string, hdr ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, u, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	full, body := do("GET")
	if full.StatusCode != 200 || len(body) == 0 {
		t.Fatalf("GET %s: %d, %d bytes", u, full.StatusCode, len(body))
	}
	if cl := full.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("GET %s: Content-Length %q for %d bytes", u, cl, len(body))
	}
	if full.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("GET %s: Accept-Ranges %q", u, full.Header.Get("Accept-Ranges"))
	}
	head, hb := do("HEAD")
	if head.StatusCode != 200 || len(hb) != 0 || head.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("HEAD %s: %d, Content-Length %q, %d body bytes; want 200, %d, none", u, head.StatusCode, head.Header.Get("Content-Length"), len(hb), len(body))
	}
	n := min(100, len(body))
	part, pb := do("GET", "Range", fmt.Sprintf("bytes=0-%d", n-1))
	if part.StatusCode != 206 || !bytes.Equal(pb, body[:n]) || part.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-%d/%d", n-1, len(body)) {
		t.Errorf("Range %s: %d, Content-Range %q, %d bytes", u, part.StatusCode, part.Header.Get("Content-Range"), len(pb))
	}
	tail, tb := do("GET", "Range", fmt.Sprintf("bytes=%d-", len(body)-10))
	if tail.StatusCode != 206 || !bytes.Equal(tb, body[len(body)-10:]) {
		t.Errorf("Range tail %s: %d, %d bytes", u, tail.StatusCode, len(tb))
	}
	past, _ := do("GET", "Range", fmt.Sprintf("bytes=%d-", len(body)+10))
	if past.StatusCode != 416 {
		t.Errorf("Range past the end %s: %d, want 416", u, past.StatusCode)
	}
	gz, gb := do("GET", "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Length") != strconv.Itoa(len(gb)) {
		t.Errorf("GET %s with gzip: Content-Length %q for %d bytes", u, gz.Header.Get("Content-Length"), len(gb))
	}
}

func layerCount(lay *layout.Layout, id string) int {
	ly, err := lay.Layer(id)
	if err != nil {
		return -1
	}
	return len(ly.Features)
}

func download(t *testing.T, u, path string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// qgisPython is the Python interpreter that has PyQGIS (Debian's
// python3-qgis); without it the QGIS check is skipped with a message, also
// under CI: QGIS is a large install that `make test` does not make.
func qgisPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import qgis.core").Run() == nil {
			return py
		}
	}
	t.Skip("PyQGIS not found (Debian: apt-get install python3-qgis qgis-providers); the QGIS client check did not run")
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
