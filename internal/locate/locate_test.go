package locate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/config"
	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/intake"
	"hetang/internal/spatial"
)

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

// newTestServer starts the real HTTP stack (middleware, error handler) with
// the query routes on the shared store, on a random loopback port.
func newTestServer(tb testing.TB, mutate func(*config.Config)) *httptest.Server {
	tb.Helper()
	cfg := config.Default()
	if mutate != nil {
		mutate(&cfg)
	}
	st := fixture.Store(tb)
	return fixture.Server(tb, cfg, st, New(st, fixture.Logger(), spatial.ParcelLimits{}, nil))
}

func TestHTTP(t *testing.T) {
	srv := newTestServer(t, nil)
	square := `{"type":"Polygon","coordinates":[[[113.2,27.89],[113.22,27.89],[113.22,27.91],[113.2,27.91],[113.2,27.89]]]}`
	bowtie := `{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[113.2,27.89],[113.22,27.91],[113.22,27.89],[113.2,27.91],[113.2,27.89]]]}}`
	tests := []struct {
		name, method, url, ctype, body string
		status                         int
		want                           []string // substrings of the body
	}{
		{"locate", "GET", "/api/v1/locate?lon=113.21&lat=27.90", "", "", 200,
			[]string{`"area":{"id":"area-jinshan","name_zh":"金山新城片区","name_en":"Jinshan New City area"}`, `"inside_district":true`, `"crs":"CRS84"`, `"roads":[{`, `"notice":"schematic`}},
		{"locate outside", "GET", "/api/v1/locate?lon=113.0&lat=27.9", "", "", 200, []string{`"inside_district":false`, `"area":null`}},
		{"locate k", "GET", "/api/v1/locate?lon=113.21&lat=27.90&k=1", "", "", 200, []string{`"roads":[{"id":"road-beihuan"`}},
		{"locate gcj02", "GET", "/api/v1/locate?lon=113.2155&lat=27.8975&crs=GCJ02", "", "", 200, []string{`"crs":"GCJ02"`, `"inside_district":true`}},
		{"locate epsg4547", "GET", "/api/v1/locate?lon=422221.112&lat=3087610.802&crs=EPSG:4547", "", "", 200, []string{`"area":{"id":"area-jinshan"`, `"wgs84":[113.20999`}},
		{"missing lon", "GET", "/api/v1/locate?lat=27.9", "", "", 400, []string{"lon is required"}},
		{"non-numeric lat", "GET", "/api/v1/locate?lon=113.2&lat=abc", "", "", 400, []string{`lat \"abc\" is not a decimal number`}},
		{"NaN", "GET", "/api/v1/locate?lon=NaN&lat=27.9", "", "", 400, []string{"finite"}},
		{"Inf", "GET", "/api/v1/locate?lon=113&lat=Inf", "", "", 400, []string{"finite"}},
		{"lat out of range", "GET", "/api/v1/locate?lon=113.2&lat=95", "", "", 400, []string{"lat 95 is outside [-90, 90]"}},
		{"lon out of range", "GET", "/api/v1/locate?lon=213.2&lat=27", "", "", 400, []string{"lon 213.2 is outside [-180, 180]"}},
		{"unknown crs", "GET", "/api/v1/locate?lon=113.2&lat=27.9&crs=EPSG:9999", "", "", 400, []string{"crs", "EPSG:4547"}},
		{"k zero", "GET", "/api/v1/locate?lon=113.2&lat=27.9&k=0", "", "", 400, []string{"k \\\"0\\\" must be a whole number from 1 to 50"}},
		{"k 51", "GET", "/api/v1/locate?lon=113.2&lat=27.9&k=51", "", "", 400, []string{"from 1 to 50"}},
		{"parcel", "POST", "/api/v1/locate", "application/geo+json", square, 200,
			[]string{`"repaired":false`, `"primary_area":{"id":"area-jinshan"`, `"overlap_m2":`, `"share":1`}},
		{"parcel repaired", "POST", "/api/v1/locate", "application/geo+json", bowtie, 200, []string{`"repaired":true`, "MakeValid"}},
		{"parcel point", "POST", "/api/v1/locate", "application/geo+json", `{"type":"Point","coordinates":[113.2,27.9]}`, 400, []string{"no area"}},
		{"parcel malformed", "POST", "/api/v1/locate", "application/geo+json", `{"type":"Polygon","coordinates":[[[113.2`, 400, []string{"GeoJSON"}},
		{"parcel empty", "POST", "/api/v1/locate", "application/geo+json", `{"type":"Polygon","coordinates":[]}`, 400, []string{"no area"}},
		{"parcel collapsed", "POST", "/api/v1/locate", "application/geo+json", `{"type":"Polygon","coordinates":[[[113.2,27.9],[113.3,27.9],[113.2,27.9]]]}`, 400, []string{"no area"}},
		{"parcel bad lat", "POST", "/api/v1/locate", "application/geo+json", `{"type":"Polygon","coordinates":[[[113.2,97.9],[113.3,27.9],[113.2,27.8],[113.2,97.9]]]}`, 400, []string{"lat 97.9"}},
		{"distance", "GET", "/api/v1/distance?from=113.1,27.8&to=113.2,27.9", "", "", 200, []string{`"distance_m":14826.4003`, `"azimuth_fwd_deg":41.608373705`}},
		{"distance missing to", "GET", "/api/v1/distance?from=113.1,27.8", "", "", 400, []string{"to is required"}},
		{"distance bad from", "GET", "/api/v1/distance?from=113.1&to=113.2,27.9", "", "", 400, []string{"two numbers"}},
		{"nearest", "GET", "/api/v1/nearest?lon=113.2&lat=27.9&layer=roads&k=5", "", "", 200, []string{`"layer":"roads"`, `"class":`}},
		{"nearest places", "GET", "/api/v1/nearest?lon=113.2&lat=27.9&layer=places&k=2", "", "", 200, []string{`"features":[{`}},
		{"nearest unknown layer", "GET", "/api/v1/nearest?lon=113.2&lat=27.9&layer=nope", "", "", 400, []string{`layer \"nope\" does not exist`}},
		{"batch csv", "POST", "/api/v1/locate/batch", "text/csv", "lon,lat,name\n113.21,27.90,a\nx,1,b\n", 200,
			[]string{"lon,lat,name,inside_district", "113.21,27.90,a,true,区内,false,area-jinshan", `record 2: lon ""x"" is not a number`, `第 2 条：lon 的值 ""x"" 不是数字`}},
		{"batch bad csv header", "POST", "/api/v1/locate/batch", "text/csv", "a,b\n1,2\n", 400, []string{"has no coordinate columns", "找不到坐标列"}},
		{"batch malformed geojson", "POST", "/api/v1/locate/batch", "application/geo+json", `{"type":"FeatureCollection","features":[{"type":"Feature",`, 400, []string{"record 1: malformed GeoJSON"}},
		{"batch not fc", "POST", "/api/v1/locate/batch", "application/geo+json", `{"type":"Feature","geometry":null}`, 400, []string{"FeatureCollection"}},
		{"batch malformed ndjson", "POST", "/api/v1/locate/batch", "application/x-ndjson", "{nope\n", 400, []string{"malformed NDJSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.url, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, b)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("body lacks %q:\n%s", w, b)
				}
			}
			if tc.status >= 400 && !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
				t.Errorf("error content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

// TestLocateAnswerShape decodes the point answer into the documented shape.
func TestLocateAnswerShape(t *testing.T) {
	srv := newTestServer(t, nil)
	resp, err := http.Get(srv.URL + "/api/v1/locate?lon=113.21&lat=27.90&crs=CRS84")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"query", "wgs84", "epsg4547", "inside_district", "on_boundary", "distance_to_district_m", "area", "cities", "bases", "in_corridor", "services", "agriculture", "nearest", "notice"} {
		if _, ok := m[k]; !ok {
			t.Errorf("answer lacks %q", k)
		}
	}
	n := m["nearest"].(map[string]any)
	for _, k := range []string{"axis", "chain", "corridor", "district_boundary", "roads"} {
		if _, ok := n[k]; !ok {
			t.Errorf("nearest lacks %q", k)
		}
	}
	axis := n["axis"].(map[string]any)
	for _, k := range []string{"id", "name_zh", "name_en", "distance_m", "point"} {
		if _, ok := axis[k]; !ok {
			t.Errorf("nearest.axis lacks %q", k)
		}
	}
}

// TestPointsInRequestCRS: nearest points come back in the request's crs.
func TestPointsInRequestCRS(t *testing.T) {
	ix := fixture.Index(t)
	w, err := (&Locator{Index: ix, CRS: crs.CRS84}).Point([2]float64{113.21, 27.90})
	if err != nil {
		t.Fatal(err)
	}
	gk, err := (&Locator{Index: ix, CRS: crs.CGCSGK}).Point([2]float64{w.EPSG4547[0], w.EPSG4547[1]})
	if err != nil {
		t.Fatal(err)
	}
	p, err := crs.CGCSGK.ToWGS84(orb.Point(*gk.Nearest.Axis.Point))
	if err != nil {
		t.Fatal(err)
	}
	if d := spatial.GeodesicMeters(p, orb.Point(*w.Nearest.Axis.Point)); d > 0.01 {
		t.Errorf("axis point in EPSG:4547 maps back %.3f m from the CRS84 answer", d)
	}
	if d := gk.Nearest.Axis.DistanceM - w.Nearest.Axis.DistanceM; d > 0.01 || d < -0.01 {
		t.Errorf("distance differs by crs: %v vs %v", gk.Nearest.Axis.DistanceM, w.Nearest.Axis.DistanceM)
	}
}

func TestBatchTooLarge(t *testing.T) {
	srv := newTestServer(t, func(c *config.Config) { c.BatchMaxBytes = 1000 })
	body := strings.Repeat("113.2,27.9\n", 200)
	// Known length: refused before reading.
	resp, err := http.Post(srv.URL+"/api/v1/locate/batch", "text/csv", strings.NewReader("lon,lat\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
	// Chunked (unknown length): refused while reading, within the first chunk.
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte("lon,lat\n" + body))
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/locate/batch", pr)
	req.Header.Set("Content-Type", "text/csv")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: status %d, want 413: %s", resp.StatusCode, b)
	}
}

// TestBatchFormats runs one input through every output format.
func TestBatchFormats(t *testing.T) {
	ix := fixture.Index(t)
	inputs := map[intake.Format]string{
		intake.FormatCSV:     "id,wkt\n1,POINT (113.21 27.9)\n2,\"POLYGON ((113.2 27.89, 113.22 27.89, 113.22 27.91, 113.2 27.91, 113.2 27.89))\"\n3,LINESTRING (1 2, 3 4)\n",
		intake.FormatNDJSON:  "{\"lon\":113.21,\"lat\":27.9,\"n\":1}\n{\"type\":\"Feature\",\"id\":7,\"properties\":{\"n\":2},\"geometry\":{\"type\":\"Point\",\"coordinates\":[113.21,27.9]}}\n{\"lon\":\"bad\",\"lat\":1}\n",
		intake.FormatGeoJSON: `{"type":"FeatureCollection","name":"x","features":[{"type":"Feature","id":"a","properties":{"n":1},"geometry":{"type":"Point","coordinates":[113.21,27.9]}},{"type":"Feature","properties":{"n":2},"geometry":null}]}`,
	}
	for in, body := range inputs {
		for _, out := range []Format{FormatCSV, FormatNDJSON, FormatGeoJSON} {
			t.Run(string(in)+"→"+string(out), func(t *testing.T) {
				var buf bytes.Buffer
				b := &Batch{Locator: &Locator{Index: ix, CRS: crs.CRS84}, Input: intake.Options{Format: in}, Out: out}
				n, _, err := b.Run(context.Background(), strings.NewReader(body), &buf)
				if err != nil {
					t.Fatal(err)
				}
				if n < 2 {
					t.Fatalf("%d records", n)
				}
				s := buf.String()
				if !strings.Contains(s, "area-jinshan") {
					t.Errorf("output lacks the answer:\n%s", s)
				}
				if !strings.Contains(s, "record") {
					t.Errorf("output lacks the per-record error:\n%s", s)
				}
				switch out {
				case FormatGeoJSON:
					var fc struct {
						Type     string `json:"type"`
						Features []struct {
							Properties map[string]any `json:"properties"`
						} `json:"features"`
					}
					if err := json.Unmarshal(buf.Bytes(), &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != n {
						t.Fatalf("bad FeatureCollection (%v):\n%s", err, s)
					}
					if _, ok := fc.Features[0].Properties["locate"].(map[string]any); !ok {
						t.Errorf("properties.locate is not an object:\n%s", s)
					}
					ans, ok := fc.Features[0].Properties[MemberAnswer].(map[string]any)
					if !ok || ans[MemberInDistrict] != true || ans["area_id"] != "area-jinshan" || ans["district_status_zh"] != StatusInside {
						t.Errorf("properties.answer %v:\n%s", ans, s)
					}
					if _, ok := fc.Features[0].Properties["area_id"]; ok {
						t.Errorf("answer columns beside the input members:\n%s", s)
					}
				case FormatNDJSON:
					for i, line := range strings.Split(strings.TrimSpace(s), "\n") {
						if !json.Valid([]byte(line)) {
							t.Errorf("line %d is not JSON: %s", i+1, line)
						}
					}
				case FormatCSV:
					if !strings.Contains(strings.SplitN(s, "\n", 2)[0], strings.Join(Columns, ",")) {
						t.Errorf("CSV header lacks the answer columns: %s", strings.SplitN(s, "\n", 2)[0])
					}
				}
			})
		}
	}
}

// pointStream generates n CSV points over the district without holding them.
type pointStream struct {
	n, i int
	buf  bytes.Buffer
}

func (p *pointStream) Read(b []byte) (int, error) {
	for p.buf.Len() < len(b) && p.i <= p.n {
		if p.i == 0 {
			p.buf.WriteString("lon,lat,id\n")
		} else {
			x := 113.12 + float64(p.i%997)/997*0.18
			y := 27.82 + float64(p.i%991)/991*0.2
			fmt.Fprintf(&p.buf, "%.6f,%.6f,%d\n", x, y, p.i)
		}
		p.i++
	}
	if p.buf.Len() == 0 {
		return 0, io.EOF
	}
	return p.buf.Read(b)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// TestBatchMemoryBounded streams 1,000,000 points through a batch and
// records the peak heap: it must not grow with the input (no timing asserted).
func TestBatchMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000,000 points")
	}
	ix := fixture.Index(t)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtimeMemStats
		for {
			select {
			case <-stop:
				return
			default:
			}
			readMemStats(&ms)
			if ms.HeapInuse > peak {
				peak = ms.HeapInuse
			}
			sleepMs(20)
		}
	}()
	b := &Batch{Locator: &Locator{Index: ix, CRS: crs.CRS84}, Input: intake.Options{Format: intake.FormatCSV}, Out: FormatCSV}
	cw := &countWriter{}
	n, _, err := b.Run(context.Background(), &pointStream{n: 1_000_000}, cw)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1_000_000 {
		t.Fatalf("%d records", n)
	}
	t.Logf("1,000,000 points, %d output bytes, peak heap in use %.1f MiB", cw.n, float64(peak)/(1<<20))
	if peak > 256<<20 {
		t.Errorf("peak heap %d MiB: the batch is not streaming", peak>>20)
	}
}

// TestHTTPBatchStreamsAllRecords posts more than the server would otherwise
// discard once the response starts (256 KiB) and checks every record
// comes back, in order.
func TestHTTPBatchStreamsAllRecords(t *testing.T) {
	srv := newTestServer(t, nil)
	const n = 60_000
	resp, err := http.Post(srv.URL+"/api/v1/locate/batch", "text/csv", &pointStream{n: n})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != n+1 {
		t.Fatalf("%d answer rows, want %d", len(lines)-1, n)
	}
	for i, line := range lines[1:] {
		if f := strings.Split(line, ","); len(f) < 3 || f[2] != fmt.Sprint(i+1) {
			t.Fatalf("row %d is %q", i+1, line)
		}
	}
}

var _ = url.Values{}
