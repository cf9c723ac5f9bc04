package report

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/locate"
	"hetang/internal/spatial"
)

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	st := fixture.Store(t)
	return fixture.Server(t, fixture.Config(t), st, New(st, spatial.ParcelLimits{}, nil))
}

// needTools skips when a tool is missing, except under CI (scripts/deps.sh
// installs poppler-utils and fonts-droid-fallback), where it fails.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	if err := FontAvailable(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func do(t *testing.T, method, url, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

const parcel = `{"type":"Feature","properties":{"name":"荷塘测试地块 A-01"},"geometry":{"type":"Polygon","coordinates":[[[113.185,27.866],[113.215,27.866],[113.215,27.884],[113.185,27.884],[113.185,27.866]]]}}`

func TestReportJSON(t *testing.T) {
	srv := newServer(t)
	resp, b := do(t, "GET", srv.URL+"/api/v1/report?lon=113.21&lat=27.9", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var r struct {
		Subject     Subject `json:"subject"`
		Answers     map[string]any
		PlanText    []PlanText  `json:"plan_text"`
		Coordinates Coordinates `json:"coordinates"`
		NoticeZH    string      `json:"accuracy_notice_zh"`
		Date        string      `json:"date"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Subject.Kind != SubjectPoint || r.Coordinates.EPSG4547 == nil || r.NoticeZH == "" || r.Date == "" {
		t.Fatalf("%s", b)
	}
	var area *PlanText
	for i := range r.PlanText {
		if r.PlanText[i].For == "area" {
			area = &r.PlanText[i]
		}
	}
	if area == nil || area.ID != "area-jinshan" || !strings.Contains(area.TextZH, "产城一体化") || !strings.Contains(area.Section, "第五章") || area.TextEN == "" {
		t.Errorf("area plan text %+v", area)
	}
	resp, b = do(t, "POST", srv.URL+"/api/v1/report", parcel, map[string]string{"Content-Type": "application/geo+json"})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"kind":"parcel"`) || !strings.Contains(string(b), `"share"`) || !strings.Contains(string(b), `"name":"荷塘测试地块 A-01"`) {
		t.Fatalf("parcel: %d %s", resp.StatusCode, b)
	}
	geo := map[string]string{"Content-Type": "application/geo+json"}
	for _, tc := range []struct {
		method, url, body string
		hdr               map[string]string
		status            int
	}{
		{"GET", "/api/v1/report?lat=27.9", "", nil, 400},
		{"GET", "/api/v1/report?lon=113.21&lat=27.9&format=docx", "", nil, 400},
		{"GET", "/api/v1/report?lon=913.21&lat=27.9", "", nil, 400},
		{"POST", "/api/v1/report", `{"type":"Point","coordinates":[113.2,27.9]}`, geo, 400},
		{"POST", "/api/v1/report", `{nope`, geo, 400},
		{"POST", "/api/v1/report", parcel, nil, 415},
		{"POST", "/api/v1/report", parcel, map[string]string{"Content-Type": "text/plain"}, 415},
	} {
		resp, b := do(t, tc.method, srv.URL+tc.url, tc.body, tc.hdr)
		if resp.StatusCode != tc.status || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.url, resp.StatusCode, b, tc.status)
		}
	}
}

// TestReportPDF: one A4 page (pdfinfo) whose text (pdftotext) holds the
// area, the shares, the coordinates and the notice; a PNG of it (pdftoppm)
// is kept in test-results/report/ for a person to look at.
func TestReportPDF(t *testing.T) {
	needTools(t, "pdfinfo", "pdftotext", "pdftoppm")
	srv := newServer(t)
	out := filepath.Join("..", "..", "test-results", "report")
	_ = os.MkdirAll(out, 0o755)
	cases := []struct {
		name, method, url, body string
		hdr                     map[string]string
		want                    []string
	}{
		{"point", "GET", "/api/v1/report?lon=113.21&lat=27.9&format=pdf", "", nil,
			[]string{"选址核查报告", "金山新城片区", "材料科技城", "113.210000", "27.900000", "EPSG:4547", "示意性数字化", "schematic digitisation", "产城一体化", "第五章"}},
		{"parcel", "POST", "/api/v1/report", parcel, map[string]string{"Accept": "application/pdf", "Content-Type": "application/geo+json"},
			[]string{"选址核查报告", "地块", "荷塘测试地块 A-01", "水竹湖片区", "金山新城片区", "%", "m²", "EPSG:4547", "示意性数字化"}},
		{"outside", "GET", "/api/v1/report?lon=113.05&lat=27.85&format=pdf", "", nil, []string{"区外", "outside"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := do(t, tc.method, srv.URL+tc.url, tc.body, tc.hdr)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != MediaTypePDF {
				t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			p := filepath.Join(out, tc.name+".pdf")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			info, err := exec.Command("pdfinfo", p).Output()
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`(?m)^Pages:\s+1$`).Match(info) || !bytes.Contains(info, []byte("(A4)")) {
				t.Errorf("pdfinfo:\n%s", info)
			}
			txt, err := exec.Command("pdftotext", "-layout", p, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			flat := strings.Join(strings.Fields(string(txt)), " ")
			for _, w := range tc.want {
				if !strings.Contains(flat, w) && !strings.Contains(strings.ReplaceAll(flat, " ", ""), strings.ReplaceAll(w, " ", "")) {
					t.Errorf("pdftotext lacks %q:\n%s", w, txt)
				}
			}
			if err := exec.Command("pdftoppm", "-png", "-r", "80", "-singlefile", p, filepath.Join(out, tc.name)).Run(); err != nil {
				t.Errorf("pdftoppm: %v", err)
			}
		})
	}
}

// BenchmarkReport: a point's report as JSON against the same as a PDF.
func BenchmarkReport(b *testing.B) {
	st := fixture.Store(b)
	if err := FontAvailable(); err != nil {
		b.Skip(err)
	}
	snap := st.Current()
	l := &locate.Locator{Index: snap.Index, CRS: crs.CRS84, K: locate.DefaultK}
	a, err := l.Point(orb.Point{113.21, 27.9})
	if err != nil {
		b.Fatal(err)
	}
	r := ForPoint(snap.Layout, a, time.Now())
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pdf", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.PDF(snap.Layout); err != nil {
				b.Fatal(err)
			}
		}
	})
}
