package locate

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"hetang/internal/jsontext"
)

// The point answer is the hottest response of the service; it is encoded by
// hand here rather than by encoding/json's reflection. The output is byte
// for byte what encoding/json writes for the same value (answer_json_test.go
// checks that against encoding/json for real and random answers), so adding
// a field to an answer type means adding it here too; the tests fail until
// then.

// AppendJSON appends a's JSON encoding (as encoding/json.Marshal writes it)
// to dst. The error is jsontext.ErrUnsupportedValue for a NaN or infinite
// number, which encoding/json refuses too.
func (a *PointAnswer) AppendJSON(dst []byte) ([]byte, error) {
	w := jsontext.Writer{B: dst}
	w.Raw(`{"layout_version":`)
	w.Int(a.LayoutVersion)
	w.Raw(`,"query":{"lon":`)
	w.Float(a.Query.Lon)
	w.Raw(`,"lat":`)
	w.Float(a.Query.Lat)
	w.Raw(`,"crs":`)
	w.String(a.Query.CRS)
	w.Raw(`},"wgs84":`)
	writeXY(&w, a.WGS84)
	w.Raw(`,"epsg4547":`)
	writeXY(&w, a.EPSG4547)
	w.Raw(`,"inside_district":`)
	w.Bool(a.InsideDistrict)
	w.Raw(`,"on_boundary":`)
	w.Bool(a.OnBoundary)
	w.Raw(`,"distance_to_district_m":`)
	w.Float(a.DistanceToDistrictM)
	w.Raw(`,"area":`)
	if a.Area == nil {
		w.Null()
	} else {
		writeRef(&w, a.Area)
		w.Byte('}')
	}
	w.Raw(`,"cities":`)
	writeList(&w, a.Cities, func(r *FeatureRef) { writeRef(&w, r); w.Byte('}') })
	w.Raw(`,"bases":`)
	writeList(&w, a.Bases, func(r *BaseRef) {
		writeRef(&w, &r.FeatureRef)
		w.Raw(`,"position":`)
		w.String(r.Position)
		w.Byte('}')
	})
	w.Raw(`,"in_corridor":`)
	w.Bool(a.InCorridor)
	w.Raw(`,"services":`)
	writeList(&w, a.Services, func(r *ServiceRef) {
		writeRef(&w, &r.FeatureRef)
		w.Raw(`,"kind":`)
		w.String(r.Kind)
		w.Byte('}')
	})
	w.Raw(`,"agriculture":`)
	writeList(&w, a.Agriculture, func(r *FeatureRef) { writeRef(&w, r); w.Byte('}') })
	w.Raw(`,"nearest":`)
	writeNearestSet(&w, &a.Nearest)
	w.Raw(`,"notice":`)
	if a.Notice == Notice {
		w.B = append(w.B, noticeJSON...)
	} else {
		w.String(a.Notice)
	}
	w.Byte('}')
	return w.B, w.Err
}

// noticeJSON is Notice as a JSON string: every answer carries it.
var noticeJSON = jsontext.AppendString(nil, Notice)

// writeRef writes a FeatureRef's members after an opening brace and leaves
// the object open, so that embedding types can add theirs.
func writeRef(w *jsontext.Writer, r *FeatureRef) {
	w.Raw(`{"id":`)
	w.String(r.ID)
	w.Raw(`,"name_zh":`)
	w.String(r.NameZH)
	w.Raw(`,"name_en":`)
	w.String(r.NameEN)
}

func writeXY(w *jsontext.Writer, p *XY) {
	if p == nil {
		w.Null()
		return
	}
	w.Byte('[')
	w.Float(p[0])
	w.Byte(',')
	w.Float(p[1])
	w.Byte(']')
}

// writeList writes a slice as encoding/json does: null when nil, [] when
// empty.
func writeList[T any](w *jsontext.Writer, xs []T, each func(*T)) {
	if xs == nil {
		w.Null()
		return
	}
	w.Byte('[')
	for i := range xs {
		if i > 0 {
			w.Byte(',')
		}
		each(&xs[i])
	}
	w.Byte(']')
}

func writeNearest(w *jsontext.Writer, r *NearestRef) {
	if r == nil {
		w.Null()
		return
	}
	writeRef(w, &r.FeatureRef)
	if r.Kind != "" {
		w.Raw(`,"kind":`)
		w.String(r.Kind)
	}
	if r.Class != "" {
		w.Raw(`,"class":`)
		w.String(r.Class)
	}
	w.Raw(`,"distance_m":`)
	w.Float(r.DistanceM)
	w.Raw(`,"point":`)
	writeXY(w, r.Point)
	w.Byte('}')
}

func writeNearestSet(w *jsontext.Writer, n *NearestSet) {
	w.Raw(`{"axis":`)
	writeNearest(w, n.Axis)
	w.Raw(`,"chain":`)
	writeNearest(w, n.Chain)
	w.Raw(`,"corridor":`)
	writeNearest(w, n.Corridor)
	w.Raw(`,"district_boundary":`)
	writeNearest(w, n.DistrictBoundary)
	w.Raw(`,"roads":`)
	writeList(w, n.Roads, func(r *NearestRef) { writeNearest(w, r) })
	w.Byte('}')
}

// answerBufs recycles answer buffers; a point answer is about 2.5 KB.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxPooledAnswer is the largest buffer put back in the pool (k=50 answers
// grow to some 20 KB; bigger ones are left to the collector).
const maxPooledAnswer = 64 << 10

// writePointAnswer sends a as echo's c.JSON would (application/json, the
// same bytes and a trailing newline), from a pooled buffer and with a
// Content-Length, so that net/http neither chunks nor copies it.
func writePointAnswer(c echo.Context, a *PointAnswer) error {
	bp := answerBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledAnswer {
			answerBufs.Put(bp)
		}
	}()
	b, err := a.AppendJSON((*bp)[:0])
	if err != nil {
		return err
	}
	b = append(b, '\n')
	*bp = b
	h := c.Response().Header()
	h[echo.HeaderContentType] = []string{echo.MIMEApplicationJSON}
	h[echo.HeaderContentLength] = []string{strconv.Itoa(len(b))}
	c.Response().WriteHeader(http.StatusOK)
	_, err = c.Response().Write(b)
	return err
}
