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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"hetang/internal/apierr"
	"hetang/internal/budget"
	"hetang/internal/crs"
	"hetang/internal/intake"
	"hetang/internal/layout"
	"hetang/internal/spatial"
)

// Columns are the answer columns added to CSV and NDJSON batch output:
// whether the point or parcel is in the district (inside_district, and
// district_status_zh 区内/区外/区界), the primary area, every area, city and
// base with its share (id:share;…), distances, the input point (x-first,
// after any axis swap) and the WGS84 point (a parcel's centroid), and the
// record's error in English and Chinese.
var Columns = []string{
	"inside_district", "district_status_zh", "on_boundary", "area_id", "area_name_zh", "area_name_en", "area_share",
	"area_shares", "cities", "city_shares", "bases", "base_shares",
	"in_corridor", "dist_axis_m", "dist_chain_m", "dist_corridor_m",
	"nearest_road_id", "nearest_road_name_zh", "nearest_road_m",
	"input_x", "input_y", "wgs84_lon", "wgs84_lat", "error_en", "error_zh",
}

// Members of a GeoJSON batch feature's properties added by the service
// (the input's own members keep their names beside them).
const (
	MemberAnswer      = "answer"
	MemberLocate      = "locate"
	MemberLocateError = "locate_error"
	// MemberInDistrict is inside_district again, under the name the page asked for.
	MemberInDistrict = "in_district"
	// MemberLayoutVersion is the layout version answered from: a member of
	// every NDJSON output line and of the GeoJSON output's FeatureCollection.
	MemberLayoutVersion = "layout_version"
)

// District status words (district_status_zh).
const (
	StatusInside   = "区内"
	StatusOutside  = "区外"
	StatusBoundary = "区界上"
)

// flat is one record's answer as columns.
type flat struct {
	inside, onBoundary, inCorridor bool
	areaID, areaZH, areaEN         string
	share                          float64 // NaN for points
	areaShares                     string
	cities, cityShares             string
	bases, baseShares              string
	dAxis, dChain, dCorr, dRoad    float64 // NaN when the layer is empty
	roadID, roadZH                 string
	in, wgs                        orb.Point
	hasIn, hasWGS                  bool
}

// result is one record's answer: the columns, the full answer for GeoJSON
// output, or the error.
type result struct {
	flat         flat
	full         any
	errEN, errZH string
}

// Batch streams records from in to out, adding answers. Records are decoded
// one by one (internal/intake: every format, encoding and CRS it knows),
// answered in parallel in chunks and written in input order, so memory stays
// bounded whatever the input size. A record that cannot be located gets its
// error in the output and the batch goes on; an input whose structure is
// broken stops the batch with an *intake.InputError (before any output when
// it is detected in the first chunk; otherwise a last record carrying the
// error ends the output).
type Batch struct {
	// Locator answers; its CRS is replaced by the input's when the input
	// is in a system the crs package knows (answers' points are then in
	// that system), else by CRS84.
	Locator *Locator
	// Input says how to read the input (format, crs, columns …).
	Input intake.Options
	Out   Format
	// Opened, when set, is called once the input is open and before any
	// output: the format, encoding and CRS found are known then.
	Opened func(*intake.Input)
	// Flush, when set, is called after output has been written (for HTTP:
	// push the bytes to the client).
	Flush func()
}

const chunkSize = 512

type chunk struct {
	recs []*intake.Record
	// parcels holds, for each parcel record, the parcel prepared as it was
	// read and its memory reservation (see admit).
	parcels []admitted
	res     []result
	fatal   error
	done    chan struct{} // closed by the worker through with it (or the reader, if none gets it)
}

// admitted is a parcel record prepared and admitted by the memory budget,
// or why it was not.
type admitted struct {
	parcel *spatial.Parcel
	res    *budget.Reservation
	err    error
}

// add appends a record and what admit made of it.
func (c *chunk) add(r *intake.Record, a admitted) {
	c.recs = append(c.recs, r)
	c.parcels = append(c.parcels, a)
}

// release gives back the memory reserved for the chunk's parcel records.
func (c *chunk) release() {
	for _, a := range c.parcels {
		a.res.Release()
	}
}

// Run reads in and writes out until the input ends, ctx is cancelled or
// writing fails. It returns the number of records and whether any output was
// written before an error.
func (b *Batch) Run(ctx context.Context, in io.Reader, out io.Writer) (n int, started bool, err error) {
	rd, err := intake.Open(ctx, in, b.Input)
	if err != nil {
		return 0, false, err
	}
	defer rd.Close()
	loc := *b.Locator
	loc.CRS = crs.CRS84
	if rd.Frame.IsKnown {
		loc.CRS = rd.Frame.Known
	}
	if b.Opened != nil {
		b.Opened(rd)
	}
	ctx, cancel := context.WithCancel(ctx)
	readerDone := make(chan struct{})
	work := make(chan *chunk, 4)
	order := make(chan *chunk, 8)
	var writing *chunk
	// The reader goroutine must have stopped reading in before Run returns:
	// an HTTP server reuses the connection once the handler is done. Chunks
	// not written give their memory back once the workers are through with
	// them.
	defer func() {
		cancel()
		<-readerDone
		if writing != nil {
			<-writing.done
			writing.release()
		}
		for c := range order {
			<-c.done
			c.release()
		}
	}()
	go func() {
		defer close(readerDone)
		b.readChunks(ctx, &loc, rd, order, work)
	}()
	for range max(1, runtime.GOMAXPROCS(0)) {
		go b.answerChunks(ctx, &loc, work)
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	w, err := newWriter(b.Out, bw, rd, b.Locator.LayoutVersion)
	if err != nil {
		return 0, false, err
	}
	return b.writeChunks(ctx, order, w, bw, &writing)
}

// readChunks reads records into chunks and sends each, in input order, to
// order (for writing) and to work (for answering), until the input ends,
// breaks (the chunk carries the error in fatal) or ctx is done. It closes
// both channels. Parcel records are prepared and their memory reserved as
// they are read (admit); one that must wait for memory ends its chunk early
// (pending) so that the records before it can be answered, written and give
// their memory back, then waits at the head of the next chunk.
func (b *Batch) readChunks(ctx context.Context, loc *Locator, rd *intake.Input, order, work chan<- *chunk) {
	defer close(work)
	defer close(order)
	var pending *intake.Record
	var pendingA admitted
	for {
		c := &chunk{done: make(chan struct{})}
		if pending != nil {
			a, _ := b.admit(ctx, loc, pending, pendingA, true)
			c.add(pending, a)
			pending = nil
		}
		eof := false
		for len(c.recs) < chunkSize && ctx.Err() == nil {
			rec, err := rd.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					c.fatal = err
				}
				eof = true
				break
			}
			a, ok := b.admit(ctx, loc, rec, admitted{}, len(c.recs) == 0)
			if !ok {
				pending, pendingA = rec, a
				break
			}
			c.add(rec, a)
		}
		last := c.fatal != nil || eof || ctx.Err() != nil
		select {
		case order <- c:
		case <-ctx.Done():
			c.release()
			return
		}
		select {
		case work <- c:
		case <-ctx.Done():
			close(c.done) // no worker will have it
			return
		}
		if last {
			return
		}
	}
}

// answerChunks answers the records of each chunk from work with loc, then
// marks the chunk done.
func (b *Batch) answerChunks(ctx context.Context, loc *Locator, work <-chan *chunk) {
	for c := range work {
		c.res = make([]result, len(c.recs))
		for i, r := range c.recs {
			if ctx.Err() != nil {
				break
			}
			c.res[i] = b.answer(ctx, loc, r, c.parcels[i])
		}
		close(c.done)
	}
}

// writeChunks writes the answered chunks from order, in input order,
// giving each chunk's memory back once written, and flushes at least every
// 200 ms; it returns as Run does. *writing is the chunk being written (nil
// between chunks), for Run to give back if writing stops.
func (b *Batch) writeChunks(ctx context.Context, order <-chan *chunk, w writer, bw *bufio.Writer, writing **chunk) (n int, started bool, err error) {
	lastFlush := time.Now()
	for c := range order {
		*writing = c
		select {
		case <-c.done:
		case <-ctx.Done():
			return n, started, fmt.Errorf("locate: batch: %w", ctx.Err())
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
		c.release()
		*writing = nil
		if c.fatal != nil {
			en, zh := c.fatal.Error(), "输入在此中断"
			var ie *intake.InputError
			if errors.As(c.fatal, &ie) {
				en, zh = ie.EN, "输入在此中断："+ie.ZH
			}
			_ = w.write(&intake.Record{N: n + 1}, &result{errEN: "input stopped here: " + en, errZH: zh})
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

// recErr formats a record's error for the output, in English and Chinese.
func recErr(n int, err error) result {
	var re *intake.RowError
	if errors.As(err, &re) {
		return result{errEN: fmt.Sprintf("record %d: %s", n, re.EN), errZH: fmt.Sprintf("第 %d 条：%s", n, re.ZH)}
	}
	en := apierr.Message(err)
	return result{errEN: fmt.Sprintf("record %d: %s", n, en), errZH: fmt.Sprintf("第 %d 条：无法定位（%s）", n, zhReason(err))}
}

// zhReason says in Chinese why a record could not be located: the reason
// its error carries, else (a deadline, a cancellation, anything else) by
// the error's kind.
func zhReason(err error) string {
	var re *reasonError
	switch {
	case errors.As(err, &re):
		return reasonsZH[re.reason]
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return reasonsZH[reasonStopped]
	case errors.Is(err, budget.ErrBusy):
		return reasonsZH[reasonBusy]
	case errors.Is(err, budget.ErrTooLarge):
		return reasonsZH[reasonOverBudget]
	}
	return reasonsZH[reasonInvalid]
}

// answer locates one record: in the input's own frame when the crs package
// knows it (so answers' points are in that frame), else in WGS84.
func (b *Batch) answer(ctx context.Context, l *Locator, r *intake.Record, adm admitted) result {
	if r.Err != nil {
		return recErr(r.N, r.Err)
	}
	g := r.Geom
	if l.CRS.IsWGS84() {
		g = r.WGS84
	}
	var res result
	switch p := g.(type) {
	case orb.Point:
		w := r.WGS84.(orb.Point)
		if b.Out == FormatGeoJSON {
			a, err := l.Point(p)
			if err != nil {
				return recErr(r.N, err)
			}
			res = result{full: a, flat: flatPoint(a)}
		} else {
			if err := checkXY(crs.CRS84, w); err != nil {
				return recErr(r.N, err)
			}
			res = result{flat: l.flatFast(w)}
		}
		res.flat.in, res.flat.hasIn = r.Geom.(orb.Point), true
		res.flat.wgs, res.flat.hasWGS = w, true
	default:
		if adm.err != nil {
			return recErr(r.N, adm.err)
		}
		if adm.parcel == nil {
			return recErr(r.N, errors.New("locate: parcel not prepared"))
		}
		a, err := l.AnswerParcel(ctx, adm.parcel)
		if err != nil {
			return recErr(r.N, err)
		}
		res = result{full: a, flat: flatPolygon(a)}
		if c, _ := planar.CentroidArea(r.WGS84); finite(c[0]) && finite(c[1]) {
			res.flat.wgs, res.flat.hasWGS = c, true
		}
	}
	return res
}

// admit prepares a parcel record as it is read, in the locator's frame as
// answer reads it, and reserves its memory. Without wait it reports false
// when the reservation would have to wait (what it prepared is in the
// admitted returned: pass it back with wait). With wait it waits as long as
// the budget says; a record that cannot be prepared or admitted carries the
// error (a busy budget's says when to retry it).
func (b *Batch) admit(ctx context.Context, l *Locator, r *intake.Record, a admitted, wait bool) (admitted, bool) {
	if r.Err != nil {
		return a, true
	}
	g := r.Geom
	if l.CRS.IsWGS84() {
		g = r.WGS84
	}
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
	default:
		return a, true
	}
	if a.parcel == nil {
		p, err := l.PrepareParcel(ctx, g)
		if err != nil {
			return admitted{err: err}, true
		}
		a.parcel = p
	}
	what := fmt.Sprintf("record %d", r.N)
	var err error
	if !wait {
		var ok bool
		if a.res, ok, err = l.Budget.TryReserve(what, a.parcel.Cost()); err == nil && !ok {
			return a, false
		}
	} else {
		a.res, err = l.Budget.Reserve(ctx, what, a.parcel.Cost())
	}
	if err != nil {
		return admitted{err: err}, true
	}
	return a, true
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
		f.areaShares = hit.Area.ID + ":1"
	}
	f.cities = joinIDs(hit.Cities, featureID)
	f.cityShares = joinIDs(hit.Cities, wholeShare)
	f.bases = joinIDs(hit.Bases, featureID)
	f.baseShares = joinIDs(hit.Bases, wholeShare)
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

func featureID(f *layout.Feature) string  { return f.ID }
func wholeShare(f *layout.Feature) string { return f.ID + ":1" }
func refID(r FeatureRef) string           { return r.ID }
func refShare(r FeatureRef) string        { return r.ID + ":1" }
func baseID(r BaseRef) string             { return r.ID }
func baseShare(r BaseRef) string          { return r.ID + ":1" }
func overlapID(r OverlapRef) string       { return r.ID }
func overlapShare(r OverlapRef) string {
	return r.ID + ":" + strconv.FormatFloat(r.Share, 'f', 6, 64)
}

func flatPoint(a *PointAnswer) flat {
	f := flat{inside: a.InsideDistrict, onBoundary: a.OnBoundary, inCorridor: a.InCorridor, share: math.NaN()}
	if a.Area != nil {
		f.areaID, f.areaZH, f.areaEN = a.Area.ID, a.Area.NameZH, a.Area.NameEN
		f.areaShares = a.Area.ID + ":1"
	}
	f.cities, f.cityShares = joinIDs(a.Cities, refID), joinIDs(a.Cities, refShare)
	f.bases, f.baseShares = joinIDs(a.Bases, baseID), joinIDs(a.Bases, baseShare)
	flatNearest(&f, &a.Nearest)
	return f
}

func flatPolygon(a *PolygonAnswer) flat {
	f := flat{inCorridor: a.InCorridor, share: math.NaN(), inside: len(a.Areas) > 0}
	if p := a.PrimaryArea; p != nil {
		f.areaID, f.areaZH, f.areaEN, f.share = p.ID, p.NameZH, p.NameEN, p.Share
	}
	f.areaShares = joinIDs(a.Areas, overlapShare)
	f.cities, f.cityShares = joinIDs(a.Cities, overlapID), joinIDs(a.Cities, overlapShare)
	f.bases, f.baseShares = joinIDs(a.Bases, overlapID), joinIDs(a.Bases, overlapShare)
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

// status is district_status_zh.
func (f *flat) status() string {
	switch {
	case f.onBoundary:
		return StatusBoundary
	case f.inside:
		return StatusInside
	}
	return StatusOutside
}

// values renders the answer columns (in Columns order) into dst.
func (r *result) values(dst []string) []string {
	if r.errEN != "" {
		for range len(Columns) - 2 {
			dst = append(dst, "")
		}
		return append(dst, r.errEN, r.errZH)
	}
	f := &r.flat
	num := func(v float64, dec int) string {
		if !finite(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', dec, 64)
	}
	var inX, inY, wX, wY string
	if f.hasWGS {
		wX, wY = num(f.wgs[0], 9), num(f.wgs[1], 9)
	}
	if f.hasIn {
		if f.hasWGS && f.in == f.wgs { // WGS84 input: the same numbers
			inX, inY = wX, wY
		} else {
			inX, inY = num(f.in[0], 9), num(f.in[1], 9)
		}
	}
	return append(dst, strconv.FormatBool(f.inside), f.status(), strconv.FormatBool(f.onBoundary), f.areaID, f.areaZH, f.areaEN,
		num(f.share, 6), f.areaShares, f.cities, f.cityShares, f.bases, f.baseShares,
		strconv.FormatBool(f.inCorridor), num(f.dAxis, 3), num(f.dChain, 3),
		num(f.dCorr, 3), f.roadID, f.roadZH, num(f.dRoad, 3),
		inX, inY, wX, wY, "", "")
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
		case "area_share", "dist_axis_m", "dist_chain_m", "dist_corridor_m", "nearest_road_m", "input_x", "input_y", "wgs84_lon", "wgs84_lat":
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
	write(r *intake.Record, res *result) error
	end() error
}

// newWriter returns the writer of format f; version is the layout version
// answered from (CSV output names it in its response header only).
func newWriter(f Format, w *bufio.Writer, in *intake.Input, version int64) (writer, error) {
	switch f {
	case FormatCSV:
		return &csvWriter{w: csv.NewWriter(w), header: in.Columns}, nil
	case FormatNDJSON:
		return &ndjsonWriter{w: w, enc: json.NewEncoder(w), header: in.Columns, version: version}, nil
	}
	return &geojsonWriter{w: w, header: in.Columns, meta: InputMeta(in), version: version}, nil
}

// InputInfo describes what was read and assumed: the "input" member of
// GeoJSON batch output and of the inspect answer.
type InputInfo struct {
	Format   intake.Format       `json:"format"`
	Encoding string              `json:"encoding"`
	Columns  []string            `json:"columns"`
	Geometry intake.GeometrySpec `json:"geometry"`
	CRS      intake.CRSInfo      `json:"crs"`
	Warnings []string            `json:"warnings"`
	// Sheets are an .xlsx workbook's worksheets and Sheet the one read
	// (choose with sheet=); Layers and Layer a GeoPackage's feature
	// tables and the one read (layer=).
	Sheets []string `json:"sheets,omitempty"`
	Sheet  string   `json:"sheet,omitempty"`
	Layers []string `json:"layers,omitempty"`
	Layer  string   `json:"layer,omitempty"`
	// GeometryChoices are a table's candidate coordinate column sets when
	// the header has several (inspect only: it previews the first).
	GeometryChoices []intake.GeometrySpec `json:"geometry_choices,omitempty"`
}

// InputMeta returns in's InputInfo.
func InputMeta(in *intake.Input) InputInfo {
	cols := in.Columns
	if cols == nil {
		cols = []string{}
	}
	w := in.Warnings
	if w == nil {
		w = []string{}
	}
	return InputInfo{Format: in.Format, Encoding: in.Encoding, Columns: cols, Geometry: in.Geometry, CRS: in.CRS, Warnings: w,
		Sheets: in.Sheets, Sheet: in.Sheet, Layers: in.Layers, Layer: in.Layer, GeometryChoices: in.GeometryChoices}
}

type csvWriter struct {
	w       *csv.Writer
	header  []string // input table header, nil for JSON-like input
	keys    []string // JSON input: the first record's property names
	started bool
	row     []string
}

func (c *csvWriter) write(r *intake.Record, res *result) error {
	if !c.started {
		c.started = true
		h := c.header
		if h == nil {
			c.keys = sortedKeys(r.Props)
			h = append([]string{"id"}, c.keys...)
		}
		if err := c.w.Write(append(append([]string(nil), h...), Columns...)); err != nil {
			return err
		}
	}
	c.row = c.row[:0]
	if c.header != nil {
		c.row = append(c.row, r.Row...)
		for len(c.row) < len(c.header) {
			c.row = append(c.row, "")
		}
		c.row = c.row[:len(c.header)]
	} else {
		c.row = append(c.row, idString(r.ID))
		for _, k := range c.keys {
			c.row = append(c.row, rawString(r.Props[k]))
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
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// members returns the record's input properties or cells as a JSON
// object's members.
func members(r *intake.Record, header []string) map[string]any {
	m := make(map[string]any, len(r.Props)+len(r.Row)+len(Columns))
	for k, v := range r.Props {
		m[k] = v
	}
	for i, v := range r.Row {
		if i < len(header) {
			m[header[i]] = v
		}
	}
	return m
}

type ndjsonWriter struct {
	w       *bufio.Writer
	enc     *json.Encoder
	header  []string
	version int64
}

func (n *ndjsonWriter) write(r *intake.Record, res *result) error {
	m := members(r, n.header)
	res.object(m)
	m[MemberLayoutVersion] = n.version
	if r.IsFeature {
		f := map[string]any{"type": "Feature", "geometry": geometryJSON(r.WGS84), "properties": m}
		if r.ID != nil {
			f["id"] = r.ID
		}
		return n.enc.Encode(f)
	}
	return n.enc.Encode(m)
}

func (n *ndjsonWriter) end() error { return nil }

type geojsonWriter struct {
	w       *bufio.Writer
	header  []string
	meta    InputInfo
	version int64
	started bool
}

func (g *geojsonWriter) begin() error {
	g.started = true
	meta, err := json.Marshal(g.meta)
	if err != nil {
		return err
	}
	_, err = g.w.WriteString(`{"type":"FeatureCollection","` + MemberLayoutVersion + `":` + strconv.FormatInt(g.version, 10) +
		`,"input":` + string(meta) + `,"features":[` + "\n")
	return err
}

// write adds one Feature: the WGS84 geometry (RFC 7946), the input's
// members, the full answer under "locate" and the answer columns.
func (g *geojsonWriter) write(r *intake.Record, res *result) error {
	if !g.started {
		if err := g.begin(); err != nil {
			return err
		}
	} else if _, err := g.w.WriteString(",\n"); err != nil {
		return err
	}
	// The input's members stay at the top of properties; everything this
	// service adds is in three members: "answer" (the answer columns, as in
	// CSV, plus in_district), "locate" (the full answer or null) and
	// "locate_error" (error_en, for the page before issue 11).
	m := members(r, g.header)
	ans := make(map[string]any, len(Columns)+1)
	res.object(ans)
	ans[MemberInDistrict] = ans["inside_district"]
	m[MemberAnswer] = ans
	if res.full != nil {
		m[MemberLocate] = res.full
	} else {
		m[MemberLocate] = nil
	}
	if res.errEN != "" {
		m[MemberLocateError] = res.errEN
	}
	f := map[string]any{"type": "Feature", "geometry": geometryJSON(r.WGS84), "properties": m}
	if r.ID != nil {
		f["id"] = r.ID
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
		if err := g.begin(); err != nil {
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
