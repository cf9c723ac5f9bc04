package export_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/crs"
	"hetang/internal/export"
	"hetang/internal/fixture"
	"hetang/internal/gpkg"
)

// TestGPKGDownloadDefault checks that the GeoPackage without ?crs (and with
// CRS84 or EPSG:4326) holds the served layout exactly, with the headers it
// always had, and not the store's history.
func TestGPKGDownloadDefault(t *testing.T) {
	ts, st := newServer(t)
	snap := st.Current()
	for _, q := range []string{"", "?crs=CRS84", "?crs=EPSG:4326", "?crs=" + crs.CRS84URI} {
		t.Run(q, func(t *testing.T) {
			resp, body := fixture.Get(t, ts.URL+"/api/v1/download/hetang.gpkg"+q, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/geopackage+sqlite3" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="hetang-layout.gpkg"` {
				t.Errorf("Content-Disposition %q", cd)
			}
			etag := `"` + snap.Layout.Version + `"`
			if got := resp.Header.Get("ETag"); got != etag {
				t.Errorf("ETag %s, want %s", got, etag)
			}
			path := filepath.Join(t.TempDir(), "download.gpkg")
			if err := os.WriteFile(path, body, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := gpkg.Read(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != snap.Layout.Version || !reflect.DeepEqual(got.Layers, snap.Layout.Layers) {
				t.Error("the download does not hold the served layout")
			}
			if n, _ := gpkg.Tables(context.Background(), path); len(n) != len(snap.Layout.Layers) {
				t.Errorf("%d feature tables, want %d", len(n), len(snap.Layout.Layers))
			}
			if bytes.Contains(body, []byte("hetang_versions")) || bytes.Contains(body, []byte("hetang_audit")) {
				t.Error("the download carries the store's history or audit log")
			}
			if resp, _ := fixture.Get(t, ts.URL+"/api/v1/download/hetang.gpkg"+q, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
			}
		})
	}
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("ogrinfo not installed")
	}
	_, body := fixture.Get(t, ts.URL+"/api/v1/download/hetang.gpkg", nil)
	path := filepath.Join(t.TempDir(), "download.gpkg")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, "", "ogrinfo", "-ro", "-so", "-al", path)
	if strings.Count(out, `ID["EPSG",4326]`) != len(snap.Layout.Layers) {
		t.Errorf("ogrinfo does not report EPSG:4326 for every layer:\n%s", out)
	}
}

func TestGPKGDownloadRefusedCRS(t *testing.T) {
	ts, _ := newServer(t)
	for _, tc := range []struct{ crs, want string }{
		{"GCJ02", "GCJ02 has no spatial reference system definition a GeoPackage can record"},
		{"BD09", "BD09 has no spatial reference system definition a GeoPackage can record"},
		{"EPSG:9999", "unsupported coordinate reference system"},
	} {
		resp, body := fixture.Get(t, ts.URL+"/api/v1/download/hetang.gpkg?crs="+tc.crs, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("crs=%s: status %d, want 400: %s", tc.crs, resp.StatusCode, body)
			continue
		}
		if !strings.Contains(string(body), tc.want) {
			t.Errorf("crs=%s: body %s lacks %q", tc.crs, body, tc.want)
		}
		if tc.crs != "EPSG:9999" && !strings.Contains(string(body), "EPSG:4547") {
			t.Errorf("crs=%s: body %s does not name the CRSs that work", tc.crs, body)
		}
	}
}

// TestGPKGDownloadCRS downloads the GeoPackage in EPSG:4547, opens it with
// GDAL and compares its points with PROJ's (gdaltransform's) conversion.
func TestGPKGDownloadCRS(t *testing.T) {
	needGDAL(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // BuildGPKG's temporary files go here
	ts, st := newServer(t)
	lay := st.Current().Layout

	url := ts.URL + "/api/v1/download/hetang.gpkg?crs=EPSG:4547"
	resp, body := fixture.Get(t, url, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/geopackage+sqlite3" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="hetang-layout-epsg4547.gpkg"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	etag := resp.Header.Get("ETag")
	if etag != `"`+lay.Version+`.EPSG:4547.gpkg"` {
		t.Errorf("ETag %s", etag)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left in %s: %v", tmp, entries)
	}
	// A second request is served from the cache, byte for byte; a
	// conditional one is answered 304.
	if _, again := fixture.Get(t, url, nil); !bytes.Equal(again, body) {
		t.Errorf("second download differs from the first")
	}
	if resp, _ := fixture.Get(t, url, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	path := filepath.Join(t.TempDir(), "hetang-4547.gpkg")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, "", "ogrinfo", "-ro", "-so", "-al", path)
	if strings.Contains(out, "Warning") || strings.Contains(out, "ERROR") {
		t.Errorf("ogrinfo complained:\n%s", out)
	}
	extent := regexp.MustCompile(`Extent: \(([-0-9.]+), ([-0-9.]+)\) - \(([-0-9.]+), ([-0-9.]+)\)`)
	sections := strings.Split(out, "\nLayer name: ")
	// Besides the feature tables, ogrinfo lists the two attribute tables
	// hetang_layers and hetang_metadata, which have no geometry column.
	if n := strings.Count(out, "Geometry Column = geom"); n != len(lay.Layers) {
		t.Errorf("ogrinfo lists %d feature layers, want %d", n, len(lay.Layers))
	}
	if n := strings.Count(out, `ID["EPSG",4547]`); n != len(lay.Layers) {
		t.Errorf("ogrinfo reports EPSG:4547 %d times, want once per layer (%d)", n, len(lay.Layers))
	}
	for _, ly := range lay.Layers {
		var sec string
		for _, s := range sections[1:] {
			if strings.HasPrefix(s, ly.ID+"\n") {
				sec = s
			}
		}
		if sec == "" {
			t.Errorf("ogrinfo does not list layer %s", ly.ID)
			continue
		}
		if want := "Feature Count: " + strconv.Itoa(len(ly.Features)); !strings.Contains(sec, want) {
			t.Errorf("layer %s: ogrinfo lacks %q", ly.ID, want)
		}
		if !strings.Contains(sec, `ID["EPSG",4547]`) {
			t.Errorf("layer %s: ogrinfo does not report EPSG:4547:\n%s", ly.ID, sec)
		}
		if m := extent.FindStringSubmatch(sec); m == nil {
			t.Errorf("layer %s: no extent:\n%s", ly.ID, sec)
		} else if x, _ := strconv.ParseFloat(m[1], 64); x < 300000 || x > 700000 {
			t.Errorf("layer %s: extent %s is not CM 114E Gauss-Kruger metres", ly.ID, m[0])
		}
	}

	// Every point of chain_nodes, as GDAL reads it, against PROJ.
	nodes, err := lay.Layer("chain_nodes")
	if err != nil {
		t.Fatal(err)
	}
	out = run(t, "", "ogrinfo", "-ro", "-al", path, "chain_nodes")
	m := regexp.MustCompile(`POINT \(([-0-9.e+]+) ([-0-9.e+]+)\)`).FindAllStringSubmatch(out, -1)
	if len(m) != len(nodes.Features) {
		t.Fatalf("%d points in ogrinfo output, want %d", len(m), len(nodes.Features))
	}
	var input strings.Builder
	for _, f := range nodes.Features {
		p := f.Geometry.(orb.Point)
		input.WriteString(strconv.FormatFloat(p[0], 'f', -1, 64) + " " + strconv.FormatFloat(p[1], 'f', -1, 64) + "\n")
	}
	cmd := exec.Command("gdaltransform", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4547", "-output_xy")
	cmd.Env = append(os.Environ(), "OSR_DEFAULT_AXIS_MAPPING_STRATEGY=TRADITIONAL_GIS_ORDER")
	cmd.Stdin = strings.NewReader(input.String())
	pb, err := cmd.Output()
	if err != nil {
		t.Fatalf("gdaltransform: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(pb)), "\n")
	if len(lines) != len(nodes.Features) {
		t.Fatalf("gdaltransform gave %d lines, want %d", len(lines), len(nodes.Features))
	}
	for i, f := range nodes.Features {
		fs := strings.Fields(lines[i])
		wx, _ := strconv.ParseFloat(fs[0], 64)
		wy, _ := strconv.ParseFloat(fs[1], 64)
		gx, _ := strconv.ParseFloat(m[i][1], 64)
		gy, _ := strconv.ParseFloat(m[i][2], 64)
		if d := math.Hypot(gx-wx, gy-wy); d >= 0.001 {
			t.Errorf("%s: GeoPackage (%.4f, %.4f), PROJ (%.4f, %.4f): %.4f m apart", f.ID, gx, gy, wx, wy, d)
		}
	}

	// Our reader sees the SRS too.
	tab, err := gpkg.ReadTable(t.Context(), path, "chain_nodes")
	if err != nil {
		t.Fatal(err)
	}
	if tab.SRSID != 4547 {
		t.Errorf("ReadTable SRSID = %d, want 4547", tab.SRSID)
	}
}

// TestGPKGDownloadOtherCRSs checks the srs_id recorded for the other
// projectable CRSs.
func TestGPKGDownloadOtherCRSs(t *testing.T) {
	ts, st := newServer(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		crs  crs.CRS
		srs  int
		name string
	}{
		{crs.CGCS, 4490, "hetang-layout-epsg4490.gpkg"},
		{crs.WebMerc, 3857, "hetang-layout-epsg3857.gpkg"},
	} {
		resp, body := fixture.Get(t, ts.URL+"/api/v1/download/hetang.gpkg?crs="+tc.crs.Code, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", tc.crs.Code, resp.StatusCode, body)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+tc.name+`"` {
			t.Errorf("%s: Content-Disposition %q", tc.crs.Code, cd)
		}
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := gpkg.Read(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		want := st.Current().Layout
		if got.Version != want.Version || len(got.Layers) != len(want.Layers) {
			t.Fatalf("%s: version %q, %d layers; want %q, %d", tc.crs.Code, got.Version, len(got.Layers), want.Version, len(want.Layers))
		}
		for i, ly := range want.Layers {
			tab, err := gpkg.ReadTable(t.Context(), path, ly.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tab.SRSID != tc.srs || len(got.Layers[i].Features) != len(ly.Features) {
				t.Errorf("%s: layer %s: srs %d, %d features; want %d, %d", tc.crs.Code, ly.ID, tab.SRSID, len(got.Layers[i].Features), tc.srs, len(ly.Features))
			}
		}
		// A point converted by the crs package, as stored.
		nodes, _ := want.Layer("chain_nodes")
		gotNodes, _ := got.Layer("chain_nodes")
		wp, err := tc.crs.FromWGS84(nodes.Features[0].Geometry.(orb.Point))
		if err != nil {
			t.Fatal(err)
		}
		if gp := gotNodes.Features[0].Geometry.(orb.Point); gp != wp {
			t.Errorf("%s: first node %v, want %v", tc.crs.Code, gp, wp)
		}
	}
}

func TestGPKGSRS(t *testing.T) {
	for _, c := range crs.All {
		id, err := export.GPKGSRS(c)
		switch c.Code {
		case crs.GCJ02.Code, crs.BD09.Code:
			if err == nil {
				t.Errorf("%s: srs %d, want an error", c.Code, id)
			}
		default:
			want := c.EPSG
			if want == 0 {
				want = 4326
			}
			if err != nil || id != want {
				t.Errorf("%s: srs %d, %v; want %d", c.Code, id, err, want)
			}
		}
	}
}

// TestGPKGDownloadConcurrent asks for reprojected GeoPackages from several
// goroutines at once (run with -race): every answer is complete and the
// same for the same CRS.
func TestGPKGDownloadConcurrent(t *testing.T) {
	ts, _ := newServer(t)
	codes := []string{"EPSG:4547", "EPSG:3857", "EPSG:4547", "EPSG:4490", "EPSG:3857", "EPSG:4547"}
	bodies := make([][]byte, len(codes))
	errs := make(chan error, len(codes))
	for i, code := range codes {
		go func() {
			resp, err := http.Get(ts.URL + "/api/v1/download/hetang.gpkg?crs=" + code)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			if _, err := b.ReadFrom(resp.Body); err != nil {
				errs <- err
				return
			}
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("%s: status %d: %s", code, resp.StatusCode, b.Bytes())
				return
			}
			bodies[i] = b.Bytes()
			errs <- nil
		}()
	}
	for range codes {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for i, code := range codes {
		for j := range i {
			if codes[j] == code && !bytes.Equal(bodies[i], bodies[j]) {
				t.Errorf("%s: two downloads differ", code)
			}
		}
	}
}
