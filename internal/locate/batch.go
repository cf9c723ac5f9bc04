package locate

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"hetang/internal/apierr"
	"hetang/internal/layout"
	"hetang/internal/spatial"
)

// Columns are the answer columns added to CSV and NDJSON batch output.
var Columns = []string{
	"inside_district", "on_boundary", "area_id", "area_name_zh", "area_name_en", "area_share",
	"cities", "bases", "in_corridor", "dist_axis_m", "dist_chain_m", "dist_corridor_m",
	"nearest_road_id", "nearest_road_name_zh", "nearest_road_m", "error",
}

// flat is one record's answer as columns.
type flat struct {
	inside, onBoundary, inCorridor bool
	areaID, areaZH, areaEN         string
	share                          float64 // NaN for points
	cities, bases                  string
	dAxis, dChain, dCorr, dRoad    float64 // NaN when the layer is empty
	roadID, roadZH                 string
}

// result is one record's answer: the columns, the full answer for GeoJSON
// output, or the error.
type result struct {
	flat flat
	full any
	err  string
}

// Batch streams records from in to out, adding answers. Records are decoded
// one by one, answered in parallel in chunks and written in input order, so
// memory stays bounded whatever the input size. A record that cannot be
// located gets its error in the output and the batch goes on; an input whose
// structure is broken stops the batch with an *InputError (before any output
// when it is detected in the first chunk; otherwise a last record carrying
// the error ends the output).
type Batch struct {
	Locator *Locator
	In      Format
	Out     Format
	// Flush, when set, is called after output has been written (for HTTP:
	// push the bytes to the client).
	Flush func()
}

const chunkSize = 512

type chunk struct {
	recs  []*record
	res   []result
	fatal error
	done  chan struct{}
}

// Run reads in and writes out until the input ends, ctx is cancelled or
// writing fails. It returns the number of records and whether any output was
// written before an error.
func (b *Batch) Run(ctx context.Context, in io.Reader, out io.Writer) (n int, started bool, err error) {
	rd, err := newReader(b.In, in)
	if err != nil {
		return 0, false, err
	}
	ctx, cancel := context.WithCancel(ctx)
	readerDone := make(chan struct{})
	// The reader goroutine must have stopped reading in before Run returns:
	// an HTTP server reuses the connection once the handler is done.
	defer func() {
		cancel()
		<-readerDone
	}()
	work := make(chan *chunk, 4)
	order := make(chan *chunk, 8)
	go func() {
		defer close(readerDone)
		defer close(work)
		defer close(order)
		for {
			c := &chunk{done: make(chan struct{})}
			for len(c.recs) < chunkSize && ctx.Err() == nil {
				rec, err := rd.next()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						c.fatal = err
					}
					break
				}
				c.recs = append(c.recs, rec)
			}
			last := c.fatal != nil || len(c.recs) < chunkSize
			select {
			case order <- c:
			case <-ctx.Done():
				return
			}
			select {
			case work <- c:
			case <-ctx.Done():
				return
			}
			if last {
				return
			}
		}
	}()
	workers := max(1, runtime.GOMAXPROCS(0))
	for range workers {
		go func() {
			for c := range work {
				c.res = make([]result, len(c.recs))
				for i, r := range c.recs {
					if ctx.Err() != nil {
						break
					}
					c.res[i] = b.answer(ctx, r)
				}
				close(c.done)
			}
		}()
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	w, err := newWriter(b.Out, bw, rd.columns())
	if err != nil {
		return 0, false, err
	}
	lastFlush := time.Now()
	for c := range order {
		select {
		case <-c.done:
		case <-ctx.Done():
			return n, started, fmt.Errorf("locate: batch: %w", ctx.Err())
		}
		if c.fatal != nil && !started && n == 0 && len(c.recs) == 0 {
			return 0, false, c.fatal
		}
		if c.fatal != nil && !started {
			// Broken input within the first chunk: refuse the whole batch.
			return 0, false, c.fatal
		}
		for i, r := range c.recs {
			if err := w.write(r, &c.res[i]); err != nil {
				return n, true, fmt.Errorf("locate: writing output: %w", err)
			}
			n++
		}
		started = true
		if c.fatal != nil {
			msg := c.fatal.Error()
			_ = w.write(&record{n: n + 1, err: errors.New(msg)}, &result{err: "input stopped here: " + msg})
			_ = w.end()
			_ = bw.Flush()
			b.flush()
			return n, true, c.fatal
		}
		if time.Since(lastFlush) > 200*time.Millisecond {
			if err := bw.Flush(); err != nil {
				return n, true, fmt.Errorf("locate: writing output: %w", err)
			}
			b.flush()
			lastFlush = time.Now()
		}
	}
	if err := ctx.Err(); err != nil {
		return n, started, fmt.Errorf("locate: batch: %w", err)
	}
	if err := w.end(); err != nil {
		return n, true, fmt.Errorf("locate: writing output: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, true, fmt.Errorf("locate: writing output: %w", err)
	}
	b.flush()
	return n, true, nil
}

func (b *Batch) flush() {
	if b.Flush != nil {
		b.Flush()
	}
}

// recErr formats a record's error for the output: what a client reads
// about it (see apierr.Message).
func recErr(n int, err error) result {
	return result{err: fmt.Sprintf("record %d: %s", n, apierr.Message(err))}
}

// answer locates one record.
func (b *Batch) answer(ctx context.Context, r *record) result {
	if r.err != nil {
		return recErr(r.n, r.err)
	}
	l := b.Locator
	switch g := r.geom.(type) {
	case orb.Point:
		if b.Out == FormatGeoJSON {
			a, err := l.Point(g)
			if err != nil {
				return recErr(r.n, err)
			}
			return result{full: a, flat: flatPoint(a)}
		}
		w, err := l.ToWGS84(g)
		if err != nil {
			return recErr(r.n, err)
		}
		return result{flat: l.flatFast(w)}
	default:
		a, err := l.Polygon(ctx, g)
		if err != nil {
			return recErr(r.n, err)
		}
		return result{full: a, flat: flatPolygon(a)}
	}
}

// flatFast answers a WGS84 point as columns without building the full answer.
func (l *Locator) flatFast(w orb.Point) flat {
	var hit spatial.PointHit
	var d spatial.Distances
	l.Index.Locate(w, &hit)
	l.Index.NearestBrief(w, &d)
	f := flat{inside: hit.InsideDistrict, onBoundary: hit.OnBoundary, inCorridor: hit.InCorridor, share: math.NaN()}
	if hit.Area != nil {
		f.areaID, f.areaZH, f.areaEN = hit.Area.ID, str(hit.Area, "name_zh"), str(hit.Area, "name_en")
	}
	f.cities = joinIDs(hit.Cities, featureID)
	f.bases = joinIDs(hit.Bases, featureID)
	f.dAxis, f.dChain, f.dCorr, f.dRoad = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if d.HasAxis {
		f.dAxis = d.Axis.Meters
	}
	if d.HasChain {
		f.dChain = d.Chain.Meters
	}
	if d.HasCorridor {
		f.dCorr = d.Corridor.Meters
	}
	if len(d.Roads) > 0 {
		f.dRoad, f.roadID, f.roadZH = d.Roads[0].Meters, d.Roads[0].Feature.ID, str(d.Roads[0].Feature, "name_zh")
	}
	return f
}

// joinIDs joins the ids of xs with ";" (the batch's list separator).
func joinIDs[T any](xs []T, id func(T) string) string {
	ids := make([]string, len(xs))
	for i, x := range xs {
		ids[i] = id(x)
	}
	return strings.Join(ids, ";")
}

func featureID(f *layout.Feature) string { return f.ID }
func refID(r FeatureRef) string          { return r.ID }
func baseID(r BaseRef) string            { return r.ID }
func overlapID(r OverlapRef) string      { return r.ID }

func flatPoint(a *PointAnswer) flat {
	f := flat{inside: a.InsideDistrict, onBoundary: a.OnBoundary, inCorridor: a.InCorridor, share: math.NaN()}
	if a.Area != nil {
		f.areaID, f.areaZH, f.areaEN = a.Area.ID, a.Area.NameZH, a.Area.NameEN
	}
	f.cities = joinIDs(a.Cities, refID)
	f.bases = joinIDs(a.Bases, baseID)
	flatNearest(&f, &a.Nearest)
	return f
}

func flatPolygon(a *PolygonAnswer) flat {
	f := flat{inCorridor: a.InCorridor, share: math.NaN(), inside: len(a.Areas) > 0}
	if p := a.PrimaryArea; p != nil {
		f.areaID, f.areaZH, f.areaEN, f.share = p.ID, p.NameZH, p.NameEN, p.Share
	}
	f.cities = joinIDs(a.Cities, overlapID)
	f.bases = joinIDs(a.Bases, overlapID)
	flatNearest(&f, &a.Nearest)
	return f
}

func flatNearest(f *flat, n *NearestSet) {
	m := func(r *NearestRef) float64 {
		if r == nil {
			return math.NaN()
		}
		return r.DistanceM
	}
	f.dAxis, f.dChain, f.dCorr = m(n.Axis), m(n.Chain), m(n.Corridor)
	f.dRoad = math.NaN()
	if len(n.Roads) > 0 {
		f.dRoad, f.roadID, f.roadZH = n.Roads[0].DistanceM, n.Roads[0].ID, n.Roads[0].NameZH
	}
}

// values renders the answer columns (in Columns order) into dst.
func (r *result) values(dst []string) []string {
	if r.err != "" {
		for range len(Columns) - 1 {
			dst = append(dst, "")
		}
		return append(dst, r.err)
	}
	f := &r.flat
	num := func(v float64, dec int) string {
		if !finite(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', dec, 64)
	}
	return append(dst, strconv.FormatBool(f.inside), strconv.FormatBool(f.onBoundary), f.areaID, f.areaZH, f.areaEN,
		num(f.share, 6), f.cities, f.bases, strconv.FormatBool(f.inCorridor), num(f.dAxis, 3), num(f.dChain, 3),
		num(f.dCorr, 3), f.roadID, f.roadZH, num(f.dRoad, 3), "")
}

// object renders the answer columns as a JSON object's members.
func (r *result) object(m map[string]any) {
	vals := r.values(make([]string, 0, len(Columns)))
	for i, c := range Columns {
		v := vals[i]
		switch c {
		case "inside_district", "on_boundary", "in_corridor":
			if v == "" {
				m[c] = nil
			} else {
				m[c] = v == "true"
			}
		case "area_share", "dist_axis_m", "dist_chain_m", "dist_corridor_m", "nearest_road_m":
			if v == "" {
				m[c] = nil
			} else {
				m[c] = json.Number(v)
			}
		default:
			if v == "" {
				m[c] = nil
			} else {
				m[c] = v
			}
		}
	}
}

// --- writers ---

type writer interface {
	write(r *record, res *result) error
	end() error
}

func newWriter(f Format, w *bufio.Writer, header []string) (writer, error) {
	switch f {
	case FormatCSV:
		return &csvWriter{w: csv.NewWriter(w), header: header}, nil
	case FormatNDJSON:
		return &ndjsonWriter{w: w, enc: json.NewEncoder(w), header: header}, nil
	}
	return &geojsonWriter{w: w, header: header}, nil
}

type csvWriter struct {
	w       *csv.Writer
	header  []string // input CSV header, nil for JSON input
	keys    []string // JSON input: the first record's property names
	started bool
	row     []string
}

func (c *csvWriter) write(r *record, res *result) error {
	if !c.started {
		c.started = true
		h := c.header
		if h == nil {
			c.keys = sortedKeys(r.props)
			h = append([]string{"id"}, c.keys...)
		}
		if err := c.w.Write(append(append([]string(nil), h...), Columns...)); err != nil {
			return err
		}
	}
	c.row = c.row[:0]
	if c.header != nil {
		c.row = append(c.row, r.row...)
		for len(c.row) < len(c.header) {
			c.row = append(c.row, "")
		}
		c.row = c.row[:len(c.header)]
	} else {
		c.row = append(c.row, idString(r.id))
		for _, k := range c.keys {
			c.row = append(c.row, rawString(r.props[k]))
		}
	}
	c.row = res.values(c.row)
	return c.w.Write(c.row)
}

func (c *csvWriter) end() error {
	if !c.started {
		h := c.header
		if h == nil {
			h = []string{"id"}
		}
		if err := c.w.Write(append(append([]string(nil), h...), Columns...)); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

func idString(id any) string {
	switch v := id.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(id)
}

func rawString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if s, ok := jsonString(raw); ok {
		return s
	}
	return string(raw)
}

// props returns the record's input properties as a JSON object's members.
func (r *record) members(header []string) map[string]any {
	m := make(map[string]any, len(r.props)+len(r.row)+len(Columns))
	for k, v := range r.props {
		m[k] = v
	}
	for i, v := range r.row {
		if i < len(header) {
			m[header[i]] = v
		}
	}
	return m
}

type ndjsonWriter struct {
	w      *bufio.Writer
	enc    *json.Encoder
	header []string
}

func (n *ndjsonWriter) write(r *record, res *result) error {
	m := r.members(n.header)
	res.object(m)
	if r.isFeature {
		f := map[string]any{"type": "Feature", "geometry": geometryJSON(r.geom), "properties": m}
		if r.id != nil {
			f["id"] = r.id
		}
		return n.enc.Encode(f)
	}
	return n.enc.Encode(m)
}

func (n *ndjsonWriter) end() error { return nil }

type geojsonWriter struct {
	w       *bufio.Writer
	header  []string
	started bool
}

func (g *geojsonWriter) write(r *record, res *result) error {
	if !g.started {
		g.started = true
		if _, err := g.w.WriteString(`{"type":"FeatureCollection","features":[` + "\n"); err != nil {
			return err
		}
	} else if _, err := g.w.WriteString(",\n"); err != nil {
		return err
	}
	m := r.members(g.header)
	if res.full != nil {
		m["locate"] = res.full
	} else {
		m["locate"] = nil
	}
	if res.err != "" {
		m["locate_error"] = res.err
	}
	f := map[string]any{"type": "Feature", "geometry": geometryJSON(r.geom), "properties": m}
	if r.id != nil {
		f["id"] = r.id
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = g.w.Write(b)
	return err
}

func (g *geojsonWriter) end() error {
	if !g.started {
		_, err := g.w.WriteString(`{"type":"FeatureCollection","features":[` + "\n")
		if err != nil {
			return err
		}
	}
	_, err := g.w.WriteString("\n]}\n")
	return err
}

func geometryJSON(g orb.Geometry) any {
	if g == nil {
		return nil
	}
	return geojson.NewGeometry(g)
}
