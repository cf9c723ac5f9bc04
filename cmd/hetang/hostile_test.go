package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hetang/internal/config"
	"hetang/internal/fixture"
)

// hostileParcel is one row of the hostile-parcel corpus: a body for
// POST /api/v1/locate (or a batch record), the status it must get, a part
// of the answer that must be there, all within hostileDeadline. Rows for
// other kinds of hostile input (ambiguous parameters, …) can be added to
// hostileParcels with the same fields.
type hostileParcel struct {
	name   string
	method string // default POST
	path   string // default /api/v1/locate
	ctype  string // default application/geo+json; "-" sends none
	// header is added to the request (a name may come twice).
	header [][2]string
	// absent must not appear in the answer's body or headers.
	absent string
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
	var rows []hostileParcel
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
	rows = []hostileParcel{
		{name: "world polygon", body: `{"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]}`, status: 400, want: "antipodal"},
		{name: "hemisphere holding the district", body: polygonJSON([][2]float64{{0, -90}, {180, -90}, {180, 0}, {180, 90}, {0, 90}, {0, 0}, {0, -90}}), status: 200, want: `"primary_area":{`},
		{name: "hemisphere away from the district", body: polygonJSON([][2]float64{{-90, -90}, {90, -90}, {90, 0}, {90, 90}, {-90, 90}, {-90, 0}, {-90, -90}}), status: 200, want: `"primary_area":null`},
		{name: "China-sized box", body: polygonJSON([][2]float64{{75, 18}, {105, 18}, {135, 18}, {135, 53}, {105, 53}, {75, 53}, {75, 18}}), status: 200, want: `"in_corridor":true`},
		{name: "antimeridian box", body: polygonJSON([][2]float64{{170, -10}, {-170, -10}, {-170, 10}, {170, 10}, {170, -10}}), status: 200, want: `"primary_area":null`},
		{name: "200,000 vertices", bigBody: true, body: polygonJSON(circle), status: 413, want: "HETANG_PARCEL_MAX_VERTICES"},
		{name: "50,000 parts", bigBody: true, body: multiPolygonJSON(parts), status: 413, want: "HETANG_PARCEL_MAX_PARTS"},
		{name: "star of 301 vertices", body: polygonJSON(starRing(113.2, 27.87, 301, 0.05)), status: 400, want: "self-crossings"},
		{name: "star of 1,001 vertices", body: polygonJSON(starRing(113.2, 27.87, 1001, 0.05)), status: 400, want: "self-crossings"},
		{name: "star of 20,001 vertices far away", body: polygonJSON(starRing(10, 50, 20001, 5)), status: 400, want: "self-crossings"},
		{name: "star of 21 vertices far away", body: polygonJSON(starRing(10, 50, 21, 5)), status: 200, want: `"repaired":true`},
		{name: "1,000 identical squares", body: multiPolygonJSON(squares), status: 200, want: "999 polygon(s) repeating"},
		{name: "bow-tie", body: polygonJSON([][2]float64{{113.2, 27.89}, {113.22, 27.91}, {113.22, 27.89}, {113.2, 27.91}, {113.2, 27.89}}), status: 200, want: "MakeValid"},
		{name: "zero area", body: polygonJSON([][2]float64{{113.2, 27.87}, {113.3, 27.87}, {113.2, 27.87}}), status: 400, want: "no area"},
		{name: "hole outside the shell, named in lon/lat", body: polygonJSON(squareRing(113.2, 27.89, 0.02), squareRing(113.5, 27.5, 0.01)), status: 200, want: "Hole lies outside shell at lon 113.5000000, lat 27.5000000"},
		{name: "ring around the pole on one parallel", body: polygonJSON([][2]float64{{0, 80}, {120, 80}, {-120, 80}, {0, 80}}), status: 400, want: "goes around a pole"},
		{name: "huge coordinate", body: polygonJSON([][2]float64{{113.2, 27.87}, {1e300, 27.87}, {113.2, 27.9}, {113.2, 27.87}}), status: 400, want: "lon"},
		{name: "batch record: star of 1,001 vertices", path: "/api/v1/locate/batch", ctype: "application/x-ndjson",
			body: `{"type":"Feature","properties":{},"geometry":` + polygonJSON(starRing(113.2, 27.87, 1001, 0.05)) + "}\n", status: 200, want: "self-crossings"},
	}
	return append(rows, ambiguousInputs()...)
}

// ambiguousInputs are the rows of requests that could be read more than
// one way, or carry what an answer must not repeat: each is a 400 (or 415)
// naming the parameter, key, column or header, or is answered without the
// ambiguity.
func ambiguousInputs() []hostileParcel {
	get := func(name, path string, status int, want string) hostileParcel {
		return hostileParcel{name: name, method: "GET", path: path, status: status, want: want}
	}
	csv, nd := "text/csv", "application/x-ndjson"
	sq := `{"type":"Polygon","coordinates":[[[113.2,27.89],[113.22,27.89],[113.22,27.91],[113.2,27.91],[113.2,27.89]]]}`
	fcOne := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},"geometry":{"type":"Point","coordinates":[113.2,27.9]}}]}`
	wide := strings.Repeat("col,", 400_000) + "lonx" // 1.6 MB: under the test servers' batch limit
	return []hostileParcel{
		// A query parameter given twice, on every kind of endpoint.
		get("locate: lat twice", "/api/v1/locate?lon=113.17&lat=27.86&lat=99", 400, `query parameter \"lat\" is given more than once`),
		get("locate: k twice", "/api/v1/locate?lon=113.17&lat=27.86&k=1&k=5", 400, `\"k\" is given more than once`),
		get("locate: crs twice", "/api/v1/locate?lon=113.17&lat=27.86&crs=CRS84&crs=GCJ02", 400, `\"crs\" is given more than once`),
		get("locate: version twice", "/api/v1/locate?lon=113.17&lat=27.86&version=1&version=1", 400, `\"version\" is given more than once`),
		get("distance: from twice", "/api/v1/distance?from=113.1,27.8&from=113.2,27.8&to=113.3,27.9", 400, `\"from\" is given more than once`),
		get("nearest: layer twice", "/api/v1/nearest?lon=113.17&lat=27.86&layer=roads&layer=bases", 400, `\"layer\" is given more than once`),
		get("OGC: limit twice", "/ogcapi/collections/areas/items?limit=1&limit=2", 400, `\"limit\" is given more than once`),
		get("OGC: bbox twice", "/ogcapi/collections/areas/items?bbox=113,27,114,28&bbox=0,0,1,1", 400, `\"bbox\" is given more than once`),
		get("OGC: crs twice", "/ogcapi/collections/areas/items?crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84&crs=http://www.opengis.net/def/crs/EPSG/0/4547", 400, `\"crs\" is given more than once`),
		get("OGC: f twice", "/ogcapi/collections/areas/items?f=json&f=html", 400, `\"f\" is given more than once`),
		get("OGC: filter twice", "/ogcapi/collections/areas/items?filter=id%3D%27a%27&filter=id%3D%27b%27", 400, `\"filter\" is given more than once`),
		get("download: crs twice", "/api/v1/download/areas.geojson?crs=EPSG:4547&crs=EPSG:3857", 400, `\"crs\" is given more than once`),
		get("layers: crs twice by escape", "/api/v1/layers/areas?crs=EPSG:4547&%63rs=EPSG:3857", 400, `\"crs\" is given more than once`),
		get("WFS: COUNT twice", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=areas&COUNT=1&COUNT=2", 400, "given more than once"),
		get("query: bad escape", "/api/v1/locate?lon=113.17&lat=27.8%zz", 400, `query parameter \"lat\": its value has a '%'`),
		get("query: not UTF-8", "/api/v1/nearest?lon=113.17&lat=27.86&layer=%ff%fe", 400, "is not UTF-8"),
		// Numbers: one strict decimal grammar.
		get("locate: hex float", "/api/v1/locate?lon=0x1.c4ap6&lat=27.86", 400, "is not a decimal number"),
		get("locate: digit separator", "/api/v1/locate?lon=1_13.17&lat=27.86", 400, `lon \"1_13.17\" is not a decimal number`),
		get("locate: Infinity", "/api/v1/locate?lon=113.17&lat=Infinity", 400, "is not a decimal number"),
		get("distance: hex pair", "/api/v1/distance?from=0x71,27.8&to=113.3,27.9", 400, "is not a decimal number"),
		get("EPSG:3857 beyond its range", "/api/v1/locate?lon=40075016&lat=3230000&crs=EPSG:3857", 400, "outside the system's valid range"),
		get("search: q twice", "/api/v1/search?q=%E8%8D%B7%E5%A1%98&q=jsxc", 400, `\"q\" is given more than once`),
		get("report: lon twice", "/api/v1/report?lon=113.21&lat=27.9&lon=113.3", 400, `\"lon\" is given more than once`),
		get("WFS: BBOX in hex", "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=areas&BBOX=0x1b,113,28,114", 400, "is not a decimal number"),
		{name: "batch: EPSG:3857 beyond its range", path: "/api/v1/locate/batch?crs=EPSG:3857", ctype: csv, body: "x,y\n40075016,3230000\n12599000,3230000\n", status: 200, want: "are not valid in EPSG:3857"},
		{name: "report parcel as text/plain", path: "/api/v1/report", ctype: "text/plain", body: sq, status: 415, want: "application/geo+json"},
		get("OGC: offset near the largest int", "/ogcapi/collections/areas/items?offset=9223372036854775798", 200, `"numberReturned":0`),
		get("OGC: offset beyond any int", "/ogcapi/collections/areas/items?offset=99999999999999999999999", 200, `"numberReturned":0`),
		get("OGC: NaN property", "/ogcapi/collections/areas/items?partition_order=NaN", 400, "partition_order is a number"),
		get("OGC: datetime not a date", "/ogcapi/collections/areas/items?datetime=notadate", 400, "bad datetime"),
		get("OGC: bbox in hex", "/ogcapi/collections/areas/items?bbox=0x71,27,114,28", 400, "is not a number"),
		get("OGC: EPSG:3857 bbox beyond its range", "/ogcapi/collections/areas/items?bbox=1,2,40075016,4&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857", 400, "outside the valid range of EPSG:3857"),
		// Bodies: strict JSON, the right media type, nothing after the value.
		{name: "parcel: duplicate key", body: `{"type":"Polygon","type":"Point","coordinates":[[[113.2,27.89],[113.22,27.89],[113.22,27.91],[113.2,27.89]]]}`, status: 400, want: `key \"type\" is given twice`},
		{name: "parcel: duplicate key deep inside", body: `{"type":"Feature","properties":{"owner":"a","owner":"b"},"geometry":` + sq + `}`, status: 400, want: `key \"owner\" is given twice`},
		{name: "parcel: trailing data", body: sq + ` {"type":"Point"}`, status: 400, want: "unexpected data after the JSON value"},
		{name: "parcel: coordinates of the wrong kind", body: `{"type":"Polygon","coordinates":"113.2,27.9"}`, status: 400, want: "expected an array of linear rings"},
		{name: "parcel: type of the wrong kind", body: `{"type":5}`, status: 400, want: `\"type\": expected a string, found a number`},
		{name: "parcel: invalid UTF-8", body: "{\"type\":\"Feature\",\"properties\":{\"n\":\"\xff\"},\"geometry\":" + sq + "}", status: 400, want: "not UTF-8"},
		{name: "parcel: hex number", body: `{"type":"Polygon","coordinates":[[[0x71,27.89],[113.22,27.89],[113.22,27.91],[113.2,27.89]]]}`, status: 400, want: "JSON numbers are decimal"},
		{name: "parcel as text/plain", ctype: "text/plain", body: sq, status: 415, want: "application/geo+json or application/json"},
		{name: "parcel as XML", ctype: "application/xml", body: `<Polygon/>`, status: 415, want: "application/geo+json"},
		{name: "parcel without Content-Type", ctype: "-", body: sq, status: 415, want: "no Content-Type"},
		{name: "parcel with two Content-Types", ctype: "-", header: [][2]string{{"Content-Type", geoJSON}, {"Content-Type", "text/plain"}}, body: sq, status: 400, want: "the Content-Type header is given 2 times"},
		{name: "batch: trailing data after the FeatureCollection", path: "/api/v1/locate/batch", body: fcOne + ` garbage`, status: 400, want: "unexpected data after the FeatureCollection"},
		{name: "batch: features twice", path: "/api/v1/locate/batch", body: `{"type":"FeatureCollection","features":[],"features":[]}`, status: 400, want: `the key \"features\" twice`},
		{name: "batch: duplicate key in a feature", path: "/api/v1/locate/batch", ctype: nd, body: `{"lon":113.2,"lat":27.9,"lat":28}` + "\n", status: 400, want: `key \"lat\" is given twice`},
		{name: "batch: lon and lng", path: "/api/v1/locate/batch", ctype: nd, body: `{"id":1,"lon":113.2,"lat":27.9}` + "\n" + `{"lon":113.2,"lng":113.3,"lat":27.9}` + "\n", status: 200, want: "several columns could hold the same coordinate: lng, lon"},
		{name: "batch: NDJSON not an object", path: "/api/v1/locate/batch", ctype: nd, body: "[1,2]\n", status: 400, want: "expected an object, found an array"},
		{name: "batch: NDJSON invalid UTF-8", path: "/api/v1/locate/batch", ctype: nd, body: `{"lon":113.2,"lat":27.9}` + "\n" + "{\"lon\":113.2,\"lat\":27.9,\"name\":\"\xff\xfe\"}\n", status: 200, want: "\"name\":\"\uFFFD\""},
		{name: "batch: NDJSON hex coordinate", path: "/api/v1/locate/batch", ctype: nd, body: `{"lon":113.2,"lat":27.9}` + "\n" + `{"lon":"0x71","lat":27.9}` + "\n", status: 200, want: `lon \"0x71\" is not a number`},
		{name: "batch: 3D WKT as QGIS writes it", path: "/api/v1/locate/batch", ctype: csv, body: "id,wkt\n1,\"PolygonZ ((113.2 27.89 5,113.22 27.89 5,113.22 27.91 5,113.2 27.89 5))\"\n", status: 200, want: "area-jinshan"},
		{name: "batch: bad WKT, both messages whole", path: "/api/v1/locate/batch", ctype: csv, body: "id,wkt\n1,\"POLYGON((1 2 3 4 5,1 2))\"\n", status: 200, want: "无效：wkt: invalid data", absent: "%!"},
		{name: "batch: GeometryCollection feature", path: "/api/v1/locate/batch", ctype: nd, body: `{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[` + sq + `]}}` + "\n", status: 200, want: "a GeometryCollection cannot be located"},
		{name: "parcel with a UTF-8 byte order mark", body: "\ufeff" + sq, status: 200, want: "area-jinshan"},
		{name: "batch: GeoJSON with a UTF-8 byte order mark", path: "/api/v1/locate/batch", body: "\ufeff" + fcOne, status: 200, want: "area-"},
		{name: "batch: NDJSON with a UTF-8 byte order mark", path: "/api/v1/locate/batch", ctype: nd, body: "\ufeff" + `{"lon":113.2,"lat":27.9}` + "\n", status: 200, want: "area-"},
		{name: "batch: CSV with lon,lat and wkt", path: "/api/v1/locate/batch", ctype: csv, body: "lon,lat,wkt\n113.2,27.9,POINT(113 27)\n", status: 400, want: "two candidate coordinate column sets"},
		{name: "batch: CSV with two lon columns", path: "/api/v1/locate/batch", ctype: csv, body: "lon,longitude,lat\n113.2,113.3,27.9\n", status: 400, want: "several columns could hold the same coordinate"},
		{name: "batch: CSV header of a million columns", path: "/api/v1/locate/batch", ctype: csv, body: wide + "\n1\n", status: 400, want: "more than the limit of"},
		{name: "batch: CSV cell not UTF-8", path: "/api/v1/locate/batch", ctype: csv, body: "lon,lat,name\n113.2,27.9,a\n113.2,27.9,\xff\xfe\n", status: 200, want: "27.9,\uFFFD\uFFFD,"},
		{name: "batch: CSV hex and separator", path: "/api/v1/locate/batch", ctype: csv, body: "lon,lat\n113.2,27.9\n0x71,27.9\n1_13.2,27.9\n", status: 200, want: `lon ""1_13.2"" is not a number`},
		// Headers.
		{name: "import: two Authorization headers", path: "/api/v1/layers/areas", method: "PUT", ctype: "-",
			header: [][2]string{{"Authorization", "Bearer " + testToken}, {"Authorization", "Bearer other-token-0123456789"}, {"Content-Type", geoJSON}}, body: fcOne, status: 400, want: "the Authorization header is given 2 times"},
		{name: "request id too long", method: "GET", path: "/healthz", header: [][2]string{{"X-Request-Id", strings.Repeat("r", 1000)}}, status: 200, want: `"status":"ok"`, absent: strings.Repeat("r", 65)},
		{name: "request id not printable", method: "GET", path: "/api/v1/locate?lon=x&lat=1", header: [][2]string{{"X-Request-Id", "id with-space"}}, status: 400, want: "request_id", absent: "with-space"},
		{name: "gzip refused with q=0", method: "GET", path: "/api/v1/layers/areas", header: [][2]string{{"Accept-Encoding", "gzip;q=0, identity"}}, status: 200, want: `"FeatureCollection"`},
	}
}

// TestHostileParcels sends every row to a server built like `hetang serve`
// and checks the status, the answer and the time, then that the server
// still answers.
func TestHostileParcels(t *testing.T) {
	ts := newTestServers(t)
	cfg := testConfig(t)
	cfg.MaxBodyBytes = config.Default().MaxBodyBytes
	big := httptest.NewServer(newTestHandler(t, cfg, fixture.Store(t)))
	t.Cleanup(big.Close)
	worst := time.Duration(0)
	for _, c := range hostileParcels() {
		t.Run(c.name, func(t *testing.T) {
			base := ts.ro.URL
			if c.bigBody {
				base = big.URL
			}
			req, err := c.request(base)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
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
			for _, f := range answerFaults(resp, b, c.absent) {
				t.Error(f)
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

// request is the row's request to the server at base.
func (c hostileParcel) request(base string) (*http.Request, error) {
	path, ctype := c.path, c.ctype
	if path == "" {
		path = "/api/v1/locate"
	}
	if ctype == "" {
		ctype = geoJSON
	}
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "-" && method != http.MethodGet {
		req.Header.Set("Content-Type", ctype)
	}
	for _, kv := range c.header {
		req.Header.Add(kv[0], kv[1])
	}
	return req, nil
}

// goTypeNames are pieces of Go type names that no answer may show.
var goTypeNames = []string{"orb.", "json.RawMessage", "map[string]", "struct {", "Go value", "Go struct", "[]interface", "float64", "*errors."}

// answerFaults checks what every answer must be, whatever the input: valid
// UTF-8, no Go type names, an error body short whatever was sent, and
// nothing of absent in the body or the headers.
func answerFaults(resp *http.Response, body []byte, absent string) []string {
	var faults []string
	if !utf8.Valid(body) {
		faults = append(faults, fmt.Sprintf("the answer is not UTF-8: %.200q", body))
	}
	for _, n := range goTypeNames {
		if bytes.Contains(body, []byte(n)) {
			faults = append(faults, fmt.Sprintf("the answer names a Go type (%s): %.400s", n, body))
		}
	}
	if resp.StatusCode >= 400 && len(body) > 4096 {
		faults = append(faults, fmt.Sprintf("the error body has %d bytes", len(body)))
	}
	if absent != "" {
		if bytes.Contains(body, []byte(absent)) {
			faults = append(faults, fmt.Sprintf("the body repeats %.80q", absent))
		}
		for k, vs := range resp.Header {
			for _, v := range vs {
				if strings.Contains(v, absent) {
					faults = append(faults, fmt.Sprintf("header %s repeats %.80q", k, absent))
				}
			}
		}
	}
	return faults
}
