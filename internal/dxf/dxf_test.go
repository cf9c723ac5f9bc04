package dxf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/fixture"
	"hetang/internal/gdaltest"
	"hetang/internal/layout"
	"hetang/internal/style"
)

func writeDrawing(t *testing.T) (*layout.Layout, string) {
	t.Helper()
	lay := fixture.Layout(t)
	var buf bytes.Buffer
	if err := Write(&buf, lay.Layers, Options{Title: "荷塘区 test", Notice: "schematic"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hetang.dxf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return lay, path
}

// TestGDALReadsDrawing reads the whole-layout drawing with GDAL's DXF
// driver: one CAD layer per map layer under its Chinese title, one label per
// named feature, one hatch per filled area, and every vertex of every
// polyline, hatch and point within 1 mm of cs2cs.
func TestGDALReadsDrawing(t *testing.T) {
	lay, path := writeDrawing(t)
	fc := gdaltest.ReadLayer(t, nil, path, "entities")
	byLayer := map[string]map[string][]*geojson.Feature{}
	for _, f := range fc.Features {
		ln, _ := f.Properties["Layer"].(string)
		sub, _ := f.Properties["SubClasses"].(string)
		kind := sub[strings.LastIndex(sub, ":")+1:]
		if byLayer[ln] == nil {
			byLayer[ln] = map[string][]*geojson.Feature{}
		}
		byLayer[ln][kind] = append(byLayer[ln][kind], f)
	}
	// Every vertex the drawing must hold, projected by cs2cs in one run; the
	// comparisons follow.
	type check struct {
		layer, kind string
		i           int
		want        []orb.Point
		got         orb.Geometry
	}
	var checks []check
	var all []orb.Point
	for _, ly := range lay.Layers {
		name := LayerName(ly)
		got, ok := byLayer[name]
		if !ok {
			t.Errorf("layer %s: no CAD layer %q in %v", ly.ID, name, keys(byLayer))
			continue
		}
		var lines, hatches, points []orb.Geometry
		labels := 0
		for _, f := range ly.Features {
			if s, _ := f.Properties[layout.PropNameZH].(string); s != "" {
				labels++
			}
			switch g := f.Geometry.(type) {
			case orb.Point:
				points = append(points, g)
			case orb.LineString:
				lines = append(lines, g)
			case orb.Polygon:
				for _, r := range g {
					lines = append(lines, orb.LineString(r))
				}
				if style.For(ly.ID, f.ID, f.Properties).Filled {
					hatches = append(hatches, g)
				}
			case orb.MultiPolygon:
				for _, p := range g {
					for _, r := range p {
						lines = append(lines, orb.LineString(r))
					}
				}
				if style.For(ly.ID, f.ID, f.Properties).Filled {
					hatches = append(hatches, g)
				}
			}
		}
		if n := len(got["AcDbText"]); n != labels {
			t.Errorf("layer %s: %d TEXT labels, want %d", ly.ID, n, labels)
		}
		for _, c := range []struct {
			kind string
			want []orb.Geometry
		}{{"AcDbPolyline", lines}, {"AcDbHatch", hatches}, {"AcDbPoint", points}} {
			have := got[c.kind]
			if len(have) != len(c.want) {
				t.Errorf("layer %s: %d %s entities, want %d", ly.ID, len(have), c.kind, len(c.want))
				continue
			}
			for i, g := range c.want {
				pts := gdaltest.Points(g)
				checks = append(checks, check{layer: ly.ID, kind: c.kind, i: i, want: pts, got: have[i].Geometry})
				all = append(all, pts...)
			}
		}
	}
	gk := gdaltest.ToGK(t, all)
	for _, c := range checks {
		want := gk[:len(c.want)]
		gk = gk[len(c.want):]
		gotPts := gdaltest.Points(c.got)
		if len(gotPts) == len(want)-1 { // GDAL may leave a closed LWPOLYLINE open
			gotPts = append(gotPts, gotPts[0])
		}
		d, same := gdaltest.MaxDiff(want, gotPts)
		if !same || d > 0.001 {
			t.Errorf("layer %s %s %d: vertices differ from cs2cs by %.4f m (counts %d/%d)", c.layer, c.kind, c.i, d, len(gotPts), len(want))
		}
	}
	if len(checks) == 0 {
		t.Fatal("no geometry was compared")
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// debianPython is the interpreter Debian's python3-* packages (ezdxf,
// qgis) install into; a python3 earlier on PATH may be another one.
func debianPython(t *testing.T, module string) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import "+module).Run() == nil {
			return py
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("python3 module %s not found and CI is set: `make deps-test` installs python3-%s", module, module)
	}
	t.Skipf("python3 module %s not found (Debian package python3-%s)", module, module)
	return ""
}

// TestEzdxfAudit loads the drawing with ezdxf, an independent DXF
// implementation that knows what AutoCAD requires of an R2004 file (handles,
// owners, subclass markers, tables, the objects section), and runs its audit:
// no errors and no fixes, the text decoded from GBK as written.
func TestEzdxfAudit(t *testing.T) {
	py := debianPython(t, "ezdxf")
	lay, path := writeDrawing(t)
	script := `
import sys, ezdxf
doc = ezdxf.readfile(sys.argv[1])
auditor = doc.audit()
print("version", doc.dxfversion, doc.encoding)
for e in auditor.errors: print("error", e)
for e in auditor.fixes: print("fix", e)
print("layers", "|".join(l.dxf.name for l in doc.layers))
print("texts", "|".join(e.dxf.text for e in doc.modelspace().query("TEXT"))[:200])
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("ezdxf: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "version AC1018 gbk") {
		t.Errorf("ezdxf sees %q, want version AC1018 in gbk", strings.SplitN(s, "\n", 2)[0])
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "error") || strings.HasPrefix(line, "fix") {
			t.Errorf("ezdxf audit: %s", line)
		}
	}
	for _, ly := range lay.Layers {
		if !strings.Contains(s, LayerName(ly)) {
			t.Errorf("ezdxf lacks layer %s", LayerName(ly))
		}
	}
	if !strings.Contains(s, "荷塘区") {
		t.Errorf("ezdxf texts lack Chinese labels:\n%s", s)
	}
}

func TestEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "abc"},
		{"荷塘", "\xba\xc9\xcc\xc1"}, // GBK
		{"a\nb", "a b"},
		{"😀", `\U+1F600`}, // not in GBK: AutoCAD's escape
	} {
		if got := encode(tc.in); got != tc.want {
			t.Errorf("encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	ly := &layout.Layer{ID: "x", TitleZH: `a/b:c*d?"e<f>|g=h` + "`"}
	if got := LayerName(ly); got != "a_b_c_d__e_f__g_h_" {
		t.Errorf("LayerName = %q", got)
	}
	if got := LayerName(&layout.Layer{ID: "roads"}); got != "roads" {
		t.Errorf("LayerName without title = %q", got)
	}
}

func TestACI(t *testing.T) {
	for _, tc := range []struct {
		r, g, b uint8
		want    int
	}{{255, 0, 0, 1}, {255, 255, 0, 2}, {0, 0, 255, 5}, {255, 255, 255, 7}, {128, 128, 128, 9}, {255, 127, 127, 11}, {76, 38, 38, 19}} {
		if got := ACI(tc.r, tc.g, tc.b); got != tc.want {
			t.Errorf("ACI(%d,%d,%d) = %d, want %d", tc.r, tc.g, tc.b, got, tc.want)
		}
	}
}
