package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hetang/internal/config"
)

// hostileParcel is one row of the hostile-parcel corpus: a body for
// POST /api/v1/locate (or a batch record), the status it must get, a part
// of the answer that must be there, all within hostileDeadline. Rows for
// other kinds of hostile input (ambiguous parameters, …) can be added to
// hostileParcels with the same fields.
type hostileParcel struct {
	name  string
	path  string // default /api/v1/locate
	ctype string // default application/geo+json
	// bigBody sends the row to a server with the default body limit
	// (16 MiB) rather than the test servers' 1 MiB.
	bigBody bool
	body    string
	status  int
	want    string // substring of the body
}

// hostileDeadline is the most any row may take (the bound, with the
// margin a shared 2-core machine needs left to the measured worst case).
const hostileDeadline = 2 * time.Second

func ringJSON(pts [][2]float64) string {
	var b strings.Builder
	b.WriteString("[")
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%.7f,%.7f]", p[0], p[1])
	}
	b.WriteString("]")
	return b.String()
}

func polygonJSON(rings ...[][2]float64) string {
	parts := make([]string, len(rings))
	for i, r := range rings {
		parts[i] = ringJSON(r)
	}
	return `{"type":"Polygon","coordinates":[` + strings.Join(parts, ",") + `]}`
}

func starRing(lon, lat float64, n int, radius float64) [][2]float64 {
	k := (n - 1) / 2
	var r [][2]float64
	for i := range n {
		a := 2 * math.Pi * float64(i*k%n) / float64(n)
		r = append(r, [2]float64{lon + radius*math.Cos(a), lat + radius*math.Sin(a)})
	}
	return append(r, r[0])
}

func squareRing(lon, lat, side float64) [][2]float64 {
	return [][2]float64{{lon, lat}, {lon + side, lat}, {lon + side, lat + side}, {lon, lat + side}, {lon, lat}}
}

func multiPolygonJSON(polys [][][2]float64) string {
	parts := make([]string, len(polys))
	for i, p := range polys {
		parts[i] = "[" + ringJSON(p) + "]"
	}
	return `{"type":"MultiPolygon","coordinates":[` + strings.Join(parts, ",") + `]}`
}

func hostileParcels() []hostileParcel {
	var squares, parts [][][2]float64
	for range 1000 {
		squares = append(squares, squareRing(113.2, 27.87, 0.01))
	}
	for i := range 50_000 {
		parts = append(parts, squareRing(113.0+float64(i%250)*0.002, 27.7+float64(i/250)*0.002, 0.001))
	}
	var circle [][2]float64
	for i := range 200_000 {
		a := 2 * math.Pi * float64(i) / 200_000
		circle = append(circle, [2]float64{113.2 + 0.05*math.Cos(a), 27.87 + 0.05*math.Sin(a)})
	}
	circle = append(circle, circle[0])
	return []hostileParcel{
		{name: "world polygon", body: `{"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]}`, status: 400, want: "antipodal"},
		{name: "hemisphere holding the district", body: polygonJSON([][2]float64{{0, -90}, {180, -90}, {180, 0}, {180, 90}, {0, 90}, {0, 0}, {0, -90}}), status: 200, want: `"primary_area":{`},
		{name: "hemisphere away from the district", body: polygonJSON([][2]float64{{-90, -90}, {90, -90}, {90, 0}, {90, 90}, {-90, 90}, {-90, 0}, {-90, -90}}), status: 200, want: `"primary_area":null`},
		{name: "China-sized box", body: polygonJSON([][2]float64{{75, 18}, {105, 18}, {135, 18}, {135, 53}, {105, 53}, {75, 53}, {75, 18}}), status: 200, want: `"in_corridor":true`},
		{name: "antimeridian box", body: polygonJSON([][2]float64{{170, -10}, {-170, -10}, {-170, 10}, {170, 10}, {170, -10}}), status: 200, want: `"primary_area":null`},
		{name: "200,000 vertices", bigBody: true, body: polygonJSON(circle), status: 413, want: "HETANG_PARCEL_MAX_VERTICES"},
		{name: "50,000 parts", bigBody: true, body: multiPolygonJSON(parts), status: 413, want: "HETANG_PARCEL_MAX_PARTS"},
		{name: "star of 301 vertices", body: polygonJSON(starRing(113.2, 27.87, 301, 0.05)), status: 400, want: "self-crossings"},
		{name: "star of 1,001 vertices", body: polygonJSON(starRing(113.2, 27.87, 1001, 0.05)), status: 400, want: "self-crossings"},
		{name: "star of 21 vertices far away", body: polygonJSON(starRing(10, 50, 21, 5)), status: 200, want: `"repaired":true`},
		{name: "1,000 identical squares", body: multiPolygonJSON(squares), status: 200, want: "999 polygon(s) repeating"},
		{name: "bow-tie", body: polygonJSON([][2]float64{{113.2, 27.89}, {113.22, 27.91}, {113.22, 27.89}, {113.2, 27.91}, {113.2, 27.89}}), status: 200, want: "MakeValid"},
		{name: "zero area", body: polygonJSON([][2]float64{{113.2, 27.87}, {113.3, 27.87}, {113.2, 27.87}}), status: 400, want: "no area"},
		{name: "huge coordinate", body: polygonJSON([][2]float64{{113.2, 27.87}, {1e300, 27.87}, {113.2, 27.9}, {113.2, 27.87}}), status: 400, want: "lon"},
		{name: "batch record: star of 1,001 vertices", path: "/api/v1/locate/batch", ctype: "application/x-ndjson",
			body: `{"type":"Feature","properties":{},"geometry":` + polygonJSON(starRing(113.2, 27.87, 1001, 0.05)) + "}\n", status: 200, want: "self-crossings"},
	}
}

// TestHostileParcels sends every row to a server built like `hetang serve`
// and checks the status, the answer and the time, then that the server
// still answers.
func TestHostileParcels(t *testing.T) {
	ts := newTestServers(t)
	cfg := testConfig(t)
	cfg.MaxBodyBytes = config.Default().MaxBodyBytes
	big := httptest.NewServer(newTestHandler(t, cfg, openDefaultStore(t, cfg.CacheDir)))
	t.Cleanup(big.Close)
	worst := time.Duration(0)
	for _, c := range hostileParcels() {
		t.Run(c.name, func(t *testing.T) {
			path, ctype := c.path, c.ctype
			if path == "" {
				path = "/api/v1/locate"
			}
			if ctype == "" {
				ctype = geoJSON
			}
			base := ts.ro.URL
			if c.bigBody {
				base = big.URL
			}
			start := time.Now()
			resp, err := http.Post(base+path, ctype, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			el := time.Since(start)
			worst = max(worst, el)
			t.Logf("%d in %v (%d bytes in)", resp.StatusCode, el, len(c.body))
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
				t.Errorf("status %d, want %d with %q; body %.400s", resp.StatusCode, c.status, c.want, b)
			}
			if el > hostileDeadline {
				t.Errorf("took %v, more than %v", el, hostileDeadline)
			}
		})
	}
	t.Logf("worst time %v", worst)
	resp, err := http.Get(ts.ro.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("server unhealthy after the corpus: %v %v", err, resp)
	}
	resp.Body.Close()
}
