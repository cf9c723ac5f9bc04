package locate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/httpapi"
	"hetang/internal/intake"
)

// FuzzQueryParams fuzzes the GET /locate parameters: any input gives either
// a 400 *apierr.Error or a finite, in-range point.
func FuzzQueryParams(f *testing.F) {
	for _, s := range [][4]string{
		{"113.21", "27.90", "", ""}, {"abc", "1", "CRS84", "3"}, {"NaN", "Inf", "GCJ02", "0"},
		{"422221.1", "3087610.8", "EPSG:4547", "50"}, {"1e400", "-0", "EPSG:3857", "51"}, {"", "", "BD09", "-1"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, lon, lat, c, k string) {
		q := url.Values{ParamLon: {lon}, ParamLat: {lat}, httpapi.ParamCRS: {c}, ParamK: {k}}
		cr, err := httpapi.ParseCRSParam(q, httpapi.ParamCRS, nil)
		if err != nil {
			mustBadRequest(t, err)
			return
		}
		if kk, err := ParseK(q, DefaultK); err != nil {
			mustBadRequest(t, err)
		} else if kk < 1 || kk > MaxK {
			t.Fatalf("k %d accepted", kk)
		}
		p, err := ParsePoint(q, cr)
		if err != nil {
			mustBadRequest(t, err)
			return
		}
		if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
			t.Fatalf("non-finite point %v accepted", p)
		}
		if !cr.Projected && (math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90) {
			t.Fatalf("out-of-range point %v accepted", p)
		}
		if _, err := (&Locator{Index: fixture.Index(t), CRS: cr}).Point(p); err != nil && !strings.HasPrefix(err.Error(), "locate: ") {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func mustBadRequest(t *testing.T, err error) {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Status() != 400 || ae.Detail == "" {
		t.Fatalf("error %v is not a 400 with a message", err)
	}
}

// FuzzParcelBody fuzzes the POST /locate body.
func FuzzParcelBody(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[113.2,27.89],[113.22,27.89],[113.22,27.91],[113.2,27.91],[113.2,27.89]]]}`,
		`{"type":"Feature","properties":null,"geometry":{"type":"MultiPolygon","coordinates":[[[[113.2,27.89],[113.22,27.91],[113.22,27.89],[113.2,27.91]]]]}}`,
		`{"type":"Point","coordinates":[1,2]}`, `{"type":"Polygon","coordinates":[]}`, `[]`, `null`, `{"type":"Feature"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseParcel(b)
		if err != nil {
			mustBadRequest(t, err)
			return
		}
		if n := countPoints(g); n > 200 {
			return // keep GEOS work per input small
		}
		_, _ = (&Locator{Index: fixture.Index(t), CRS: crs.CRS84}).Polygon(context.Background(), g)
	})
}

func countPoints(g any) int {
	b, _ := json.Marshal(g)
	return bytes.Count(b, []byte(","))
}

func fuzzBatch(t *testing.T, in intake.Format, body []byte) {
	for _, out := range []Format{FormatCSV, FormatNDJSON, FormatGeoJSON} {
		var buf bytes.Buffer
		b := &Batch{Locator: &Locator{Index: fixture.Index(t), CRS: crs.CRS84}, Input: intake.Options{Format: in}, Out: out}
		_, started, err := b.Run(context.Background(), bytes.NewReader(body), &buf)
		if err != nil {
			var ie *intake.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("%s→%s: error %v is not an *InputError", in, out, err)
			}
			_ = started
			continue
		}
		switch out {
		case FormatGeoJSON:
			if !json.Valid(buf.Bytes()) {
				t.Fatalf("%s→geojson: invalid JSON output:\n%s", in, buf.Bytes())
			}
		case FormatNDJSON:
			for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
				if len(line) > 0 && !json.Valid(line) {
					t.Fatalf("%s→ndjson: invalid line %s", in, line)
				}
			}
		}
	}
}

// FuzzBatchCSV fuzzes the CSV batch reader (and every writer).
func FuzzBatchCSV(f *testing.F) {
	for _, s := range []string{"lon,lat\n113.2,27.9\n", "lon,lat,name\n113.2,27.9,\"a,b\"\nx,y,z\n", "wkt\n\"POLYGON ((113.2 27.89, 113.22 27.89, 113.22 27.91, 113.2 27.89))\"\n", "a\n\"unterminated\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzBatch(t, intake.FormatCSV, b) })
}

// FuzzBatchNDJSON fuzzes the NDJSON batch reader.
func FuzzBatchNDJSON(f *testing.F) {
	for _, s := range []string{"{\"lon\":113.2,\"lat\":27.9}\n", "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[113.2,27.9]},\"properties\":{}}\n{\"wkt\":\"POINT (1 2)\"}\n", "{nope\n", "\x1e{\"lon\":\"1\",\"lat\":\"2\"}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzBatch(t, intake.FormatNDJSON, b) })
}

// FuzzBatchGeoJSON fuzzes the streaming FeatureCollection reader.
func FuzzBatchGeoJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[113.2,27.9]}}]}`,
		`{"features":[],"type":"FeatureCollection","bbox":[1,2,3,4]}`, `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}`, `[]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzBatch(t, intake.FormatGeoJSON, b) })
}

// FuzzWKT fuzzes the WKT column parser.
func FuzzWKT(f *testing.F) {
	for _, s := range []string{"POINT (113.2 27.9)", "POLYGON ((0 0, 1 0, 1 1, 0 0))", "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))", "LINESTRING (0 0, 1 1)", "POINT EMPTY", "GEOMETRYCOLLECTION (POINT (1 2))", "POINT (1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := intake.ParseWKT(s)
		if err == nil && g == nil {
			t.Fatal("nil geometry without error")
		}
	})
}
