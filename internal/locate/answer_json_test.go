package locate

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"

	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/jsontext"
)

// checkSameJSON fails unless AppendJSON writes what encoding/json writes.
func checkSameJSON(t *testing.T, a *PointAnswer) {
	t.Helper()
	want, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	got, err := a.AppendJSON(nil)
	if err != nil {
		t.Fatalf("AppendJSON: %v", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("AppendJSON differs from encoding/json at byte %d:\n got …%s\nwant …%s", i, got[max(0, i-40):min(len(got), i+80)], want[max(0, i-40):min(len(want), i+80)])
	}
}

// TestPointAnswerJSONReal compares the hand-written encoder with
// encoding/json on real answers: a grid over the district and beyond it,
// in every supported CRS, with 1, 3 and 50 nearest roads (and layout
// versions of 1 to 7 digits).
func TestPointAnswerJSONReal(t *testing.T) {
	ix := fixture.Index(t)
	n := 0
	for _, cr := range crs.All {
		for _, k := range []int{1, 3, 50} {
			l := &Locator{Index: ix, CRS: cr, K: k, LayoutVersion: int64(1 + k*k*1000)}
			for x := 112.9; x <= 113.45; x += 0.05 {
				for y := 27.6; y <= 28.05; y += 0.05 {
					p, err := cr.FromWGS84([2]float64{x, y})
					if err != nil {
						t.Fatal(err)
					}
					a, err := l.Point(p)
					if err != nil {
						t.Fatalf("%s (%v, %v): %v", cr.Code, x, y, err)
					}
					checkSameJSON(t, a)
					n++
				}
			}
		}
	}
	t.Logf("%d answers identical", n)
}

// fill sets every field reachable from v to random values: nil or not for
// pointers and slices, strings with characters JSON escapes, floats of
// every magnitude. A field added to an answer type is filled too, so the
// encoder cannot silently leave it out.
func fill(v reflect.Value, r *rand.Rand) {
	strs := []string{"", "area-jinshan", "金山新城片区", "<b>&amp;</b>", "line\nbreak\t\"q\" \\", "\u2028\u2029", "bad \xff utf-8", "\x00\x1f\x7f"}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[r.IntN(len(strs))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Float64:
		fs := []float64{0, math.Copysign(0, -1), 113.17, -27.5, 1e-7, 1e21, 123456789.123, 5e-324}
		if r.IntN(2) == 0 {
			v.SetFloat(fs[r.IntN(len(fs))])
		} else {
			v.SetFloat(math.Float64frombits(r.Uint64()&^(0x7FF<<52)) * math.Pow(10, float64(r.IntN(40)-20)))
		}
	case reflect.Int, reflect.Int64:
		v.SetInt(r.Int64N(1<<40) - 1<<39)
	case reflect.Pointer:
		if r.IntN(4) == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), r)
	case reflect.Slice:
		switch r.IntN(4) {
		case 0:
			v.SetZero()
		default:
			n := r.IntN(4)
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				fill(v.Index(i), r)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), r)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), r)
		}
	default:
		panic("fill: no rule for " + v.Kind().String())
	}
}

// TestPointAnswerJSONRandom compares the encoder with encoding/json on
// answers with every field set at random.
func TestPointAnswerJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var a PointAnswer
		fill(reflect.ValueOf(&a).Elem(), r)
		checkSameJSON(t, &a)
	}
}

func FuzzPointAnswerJSON(f *testing.F) {
	for _, s := range []uint64{0, 1, 42, 1 << 40} {
		f.Add(s, "荷塘\u2028<x>", 113.17)
	}
	f.Fuzz(func(t *testing.T, seed uint64, s string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		var a PointAnswer
		fill(reflect.ValueOf(&a).Elem(), rand.New(rand.NewPCG(seed, 7)))
		a.Notice, a.Query.CRS, a.Query.Lon = s, s, v
		if a.Area != nil {
			a.Area.NameZH = s
		}
		checkSameJSON(t, &a)
	})
}

func TestPointAnswerJSONRefusesNaN(t *testing.T) {
	a := PointAnswer{Query: Query{Lon: math.NaN()}}
	if _, err := json.Marshal(&a); err == nil {
		t.Fatal("encoding/json accepted NaN")
	}
	if _, err := a.AppendJSON(nil); !errors.Is(err, jsontext.ErrUnsupportedValue) {
		t.Fatalf("AppendJSON(NaN) error = %v, want ErrUnsupportedValue", err)
	}
}

// TestPointAnswerOverHTTP checks the served body is encoding/json's
// encoding plus the newline echo's c.JSON adds, with its length declared.
func TestPointAnswerOverHTTP(t *testing.T) {
	srv := newTestServer(t, nil)
	// Without Accept-Encoding (as wrk and curl send by default): with gzip
	// accepted, the compressing middleware takes over the length.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, q := range []string{"lon=113.17&lat=27.86", "lon=113.0&lat=27.9&k=50", "lon=12599000&lat=3230000&crs=EPSG:3857"} {
		resp, err := client.Get(srv.URL + "/api/v1/locate?" + q)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, resp.StatusCode, body.Bytes())
		}
		var a PointAnswer
		if err := json.Unmarshal(body.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(&a)
		want = append(want, '\n')
		if !bytes.Equal(body.Bytes(), want) {
			t.Errorf("%s: body is not encoding/json's encoding:\n got %s\nwant %s", q, body.Bytes(), want)
		}
		if ct, cl := resp.Header.Get("Content-Type"), resp.ContentLength; ct != "application/json" || cl != int64(body.Len()) {
			t.Errorf("%s: Content-Type %q, Content-Length %d (body %d bytes)", q, ct, cl, body.Len())
		}
	}
}

// BenchmarkPointAnswerJSON compares encoding one point answer with
// encoding/json and with the hand-written encoder.
func BenchmarkPointAnswerJSON(b *testing.B) {
	a, err := (&Locator{Index: fixture.Index(b), CRS: crs.CRS84}).Point([2]float64{113.17, 27.86})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			if _, err := a.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
