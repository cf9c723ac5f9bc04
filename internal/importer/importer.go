// Package importer replaces a layer of the layout with authoritative data:
// a GeoJSON file (RFC 7946 CRS84, or a legacy "crs" member, or an explicit
// srs), a GeoPackage feature table (CRS from gpkg_spatial_ref_sys) or a
// zipped ESRI Shapefile (CRS from the .prj through PROJ, text encoding from
// the .cpg, UTF-8 by default).
//
// An import is converted to WGS84 and validated before anything is written:
//
//   - each geometry is converted and must land on plausible lon/lat;
//   - its type must fit the layer (Polygon is promoted to MultiPolygon and
//     the like; a single-part multi-geometry is accepted for a single type);
//   - ids must be present and unique, name_zh present;
//   - source and accuracy are filled from the import when missing
//     (source "import: FILE by AGENT", accuracy as given or "as supplied");
//     other common properties missing from a feature are carried over from
//     the current feature with the same id, with a warning;
//   - a feature whose geometry matches the stored one within NoiseTolerance
//     (1e-9°, a round trip through a projected CRS) keeps the stored
//     coordinates exactly, so re-importing an export does not drift;
//   - plandata.Check runs on the would-be layout: GEOS validity (reported,
//     never repaired), the areas partition (union = district within 0.1 %,
//     overlaps < 1 m²), containment, plan structure and gazetteer checks.
//     Only findings the current data does not already have reject an import,
//     so an unrelated pre-existing problem does not block every import.
//
// A rejected import is a *RejectedError listing every failed check. An
// accepted one goes to store.Commit as a new version of the layout, written
// as one transaction (GeoPackage: a new file renamed into place; PostGIS: a
// transaction): on failure the old data is still served and still stored. The new data version is the
// old one's base, "+", and a short hash of the old version and the imported
// bytes, so it always changes.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"hetang/internal/apierr"
	"hetang/internal/crs"
	"hetang/internal/intake"
	"hetang/internal/layout"
	"hetang/internal/plandata"
	"hetang/internal/spatial"
	"hetang/internal/store"
)

// ErrInput is wrapped by errors about an input that cannot be read at all
// (not the format it claims, an unknown CRS …). Those errors are also of
// kind apierr.KindInvalid, with what to fix as their client message.
var ErrInput = errors.New("importer: unreadable input")

// inputErrorf returns an error about unreadable input: its text is
// "importer: unreadable input: " and the formatted message, it matches
// ErrInput and the causes given with %w, and a client reads the message.
func inputErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInput, apierr.Errorf(apierr.KindInvalid, format, args...))
}

// ErrRejected is matched (errors.Is) by *RejectedError.
var ErrRejected = errors.New("importer: import rejected")

// AccuracyAsSupplied is the accuracy given to features that lack one when
// the importer does not say.
const AccuracyAsSupplied = "as supplied"

// RejectedError lists the checks an import failed.
type RejectedError struct {
	Layer    string
	Findings []plandata.Finding
}

func (e *RejectedError) Error() string { return "importer: " + e.Detail() }

// Detail says which checks failed, for a client.
func (e *RejectedError) Detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import of layer %s rejected: %d check(s) failed", e.Layer, len(e.Findings))
	for _, f := range e.Findings {
		b.WriteString("; " + f.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Request is one import.
type Request struct {
	// Layer is the id of the layer to replace.
	Layer string
	// Format of Data; FormatOf(Filename) when empty.
	Format Format
	// Data is the file's bytes. For a GeoPackage, Path may be given instead.
	Data []byte
	// Path is a GeoPackage on disk (used instead of Data when set).
	Path string
	// Filename names the input in provenance and messages.
	Filename string
	// SRS overrides the input's own CRS (EPSG:n, CRS84, a name crs.Parse
	// knows, or WKT).
	SRS string
	// Table picks the GeoPackage table (default: the layer id, or the only one).
	Table string
	// Accuracy fills the accuracy of features that lack one
	// (AccuracyAsSupplied when empty).
	Accuracy string
	// Agent says who imported, in the features' provenance: the token's
	// name or "cli".
	Agent string
	// Author, Role, Message, RequestID and Remote go to the version history
	// and the audit log (Author defaults to Agent).
	Author, Role, Message, RequestID, Remote string
	// Limits bound each feature's geometry (vertices, parts, self-crossings)
	// before GEOS checks it; zero fields take spatial's defaults.
	Limits spatial.ParcelLimits
}

// Result describes an accepted import.
type Result struct {
	Layer string `json:"layer"`
	// Version is the number of the version the import created.
	Version         int64    `json:"version"`
	Message         string   `json:"message"`
	DataVersion     string   `json:"data_version"`
	PreviousVersion string   `json:"previous_data_version"`
	FeatureCount    int      `json:"feature_count"`
	Warnings        []string `json:"warnings"`
}

// Importer validates imports and applies them to a store, one at a time.
type Importer struct {
	store     *store.Store
	gazetteer []plandata.GazetteerPoint
	mu        sync.Mutex
}

// New returns an importer for st whose checks use the reference gazetteer gaz.
func New(st *store.Store, gaz []plandata.GazetteerPoint) *Importer {
	return &Importer{store: st, gazetteer: gaz}
}

// Import validates req against the current data and, if it passes, commits
// the layer as a new version. When another write (maybe on another replica)
// committed first, it validates again against the newest version. Errors:
// ErrInput (wrapped) for unreadable input, *RejectedError for failed checks,
// layout.ErrNotFound for an unknown layer, store.ErrReadOnly, or the store's
// write error (nothing changed).
func (im *Importer) Import(ctx context.Context, req Request) (*Result, error) {
	if im.store.ReadOnly() {
		return nil, store.ErrReadOnly
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	for attempt := 0; ; attempt++ {
		base := im.store.Current()
		p, err := Prepare(ctx, base.Layout, im.gazetteer, req)
		if err != nil {
			return nil, err
		}
		ly, version, warnings := p.Layer, p.Version, p.Warnings
		author := req.Author
		if author == "" {
			author = req.Agent
		}
		snap, err := im.store.Commit(ctx, base, store.Change{
			Layers: []*layout.Layer{ly}, DataVersion: version, Kind: store.KindImport,
			Author: author, Role: req.Role, Message: req.Message, RequestID: req.RequestID, Remote: req.Remote,
			Detail: fmt.Sprintf("layer %s: %d features from %s", ly.ID, len(ly.Features), req.Filename),
		})
		if errors.Is(err, store.ErrConflict) && attempt < 3 {
			if err := im.store.Refresh(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if warnings == nil {
			warnings = []string{}
		}
		return &Result{Layer: ly.ID, Version: snap.Version.N, DataVersion: version, PreviousVersion: base.Layout.Version,
			FeatureCount: len(ly.Features), Message: req.Message, Warnings: warnings}, nil
	}
}

// Prepared is an import that passed its checks, ready to be written.
type Prepared struct {
	// Layer is the new layer.
	Layer *layout.Layer
	// Version is the data version after the import (NextVersion).
	Version string
	// Warnings say what was filled in, carried over or kept.
	Warnings []string
}

// Prepare reads and validates req against the layout cur without writing
// anything: it returns the new layer, the new data version and warnings, or
// an error as Import does.
func Prepare(ctx context.Context, cur *layout.Layout, gaz []plandata.GazetteerPoint, req Request) (*Prepared, error) {
	old, err := cur.Layer(req.Layer)
	if err != nil {
		return nil, fmt.Errorf("importer: layer %q: %w", req.Layer, layout.ErrNotFound)
	}
	src, data, toWGS84, err := readSource(ctx, req, old)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ly, findings, warnings := buildLayer(ctx, old, src, toWGS84, "import: "+orDefault(req.Filename, "upload")+" by "+orDefault(req.Agent, "unknown client"),
		orDefault(req.Accuracy, AccuracyAsSupplied), req.Limits)
	warnings = append(src.Warnings, warnings...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Geometry over the limits, or invalid, rejects the import: the
	// layout-wide checks, which overlay it with the other layers, are not
	// run on it (they take far longer on a tangle, and tell nothing more).
	geometryBad := hasCheck(findings, checkLimits)
	if !geometryBad {
		invalid := newFindings(plandata.CheckValid(old), plandata.CheckValid(ly))
		findings, geometryBad = append(findings, invalid...), len(invalid) > 0
	}
	if len(ly.Features) > 0 && !geometryBad {
		added, kept, err := checkReplaced(cur, ly, gaz)
		if err != nil {
			return nil, err
		}
		findings = append(findings, added...)
		if kept > 0 {
			warnings = append(warnings, fmt.Sprintf("%d data check finding(s) the current data already has remain; `hetang check` lists them", kept))
		}
	}
	if len(findings) > 0 {
		return nil, &RejectedError{Layer: ly.ID, Findings: findings}
	}
	return &Prepared{Layer: ly, Version: NextVersion(cur.Version, data), Warnings: warnings}, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// readSource reads req's input as features for the layer old, with the
// bytes the new data version hashes (a GeoPackage given by path is read)
// and the conversion of its coordinates to WGS84 (nil: they are WGS84).
func readSource(ctx context.Context, req Request, old *layout.Layer) (*intake.Features, []byte, transformer, error) {
	format := req.Format
	if format == "" {
		var err error
		if format, err = FormatOf(req.Filename); err != nil {
			return nil, nil, nil, err
		}
	}
	data := req.Data
	if format == FormatGeoPackage && req.Path != "" {
		var err error
		if data, err = os.ReadFile(req.Path); err != nil {
			return nil, nil, nil, inputErrorf("%w", err)
		}
	}
	switch format {
	case FormatGeoJSON, FormatShapeZip, FormatGeoPackage:
	default:
		return nil, nil, nil, inputErrorf("unknown format %q", format)
	}
	src, err := intake.ReadFeatures(ctx, format, data, req.Path, intake.FeatureOptions{Table: req.Table, Layer: req.Layer, Known: knownNames(old)})
	if err != nil {
		return nil, nil, nil, inputError(err)
	}
	frame, err := intake.FeaturesToWGS84(src, req.SRS)
	if err != nil {
		return nil, nil, nil, inputError(err)
	}
	var toWGS84 transformer
	if !frame.IsKnown || !frame.Known.IsWGS84() {
		toWGS84 = frame.ToWGS84
	}
	return src, data, toWGS84, nil
}

// checkReplaced runs the data checks on cur with ly in place of its layer
// and returns the findings cur does not already have, and how many it has.
// Only new findings reject an import, so that an unrelated pre-existing
// problem does not block every import.
func checkReplaced(cur *layout.Layout, ly *layout.Layer, gaz []plandata.GazetteerPoint) (added []plandata.Finding, kept int, err error) {
	next, err := cur.WithLayers(cur.Version, ly)
	if err != nil {
		return nil, 0, err
	}
	before := map[string]bool{}
	for _, f := range plandata.Check(cur, gaz) {
		before[f.String()] = true
	}
	for _, f := range plandata.Check(next, gaz) {
		if before[f.String()] {
			kept++
			continue
		}
		added = append(added, f)
	}
	return added, kept, nil
}

// checkLimits names the finding of a feature over the geometry limits.
const checkLimits = "import-limits"

func hasCheck(fs []plandata.Finding, check string) bool {
	for _, f := range fs {
		if f.Check == check {
			return true
		}
	}
	return false
}

// newFindings returns the findings in after that before does not have.
func newFindings(before, after []plandata.Finding) []plandata.Finding {
	seen := map[string]bool{}
	for _, f := range before {
		seen[f.String()] = true
	}
	var out []plandata.Finding
	for _, f := range after {
		if !seen[f.String()] {
			out = append(out, f)
		}
	}
	return out
}

// DescriptionZHMissing fills description_zh of imported features that
// bring none and have no predecessor with one.
const DescriptionZHMissing = "（导入数据未附中文说明）"

// accuracyZH is the Chinese label of an import's accuracy.
func accuracyZH(v any) string {
	s, _ := v.(string)
	if s == AccuracyAsSupplied {
		return "按提供方数据"
	}
	return s
}

// kindZH is the label the layer already uses for this kind, else the kind.
func kindZH(old *layout.Layer, kind any) string {
	k, _ := kind.(string)
	for _, f := range old.Features {
		if f.Properties[layout.PropKind] == k {
			if zh, _ := f.Properties[layout.PropKindZH].(string); zh != "" {
				return zh
			}
		}
	}
	return k
}

// inputError rewraps an intake error as an importer input error (ErrInput,
// apierr.KindInvalid) with its English message.
func inputError(err error) error {
	var ie *intake.InputError
	if errors.As(err, &ie) {
		return inputErrorf("%s", ie.EN)
	}
	return err
}

// transformer converts one point to WGS84.
type transformer func(orb.Point) (orb.Point, error)

// NextVersion returns the data version after importing data into a layout
// at version old: old's part before any "+", "+", and 10 hex digits of
// SHA-256 over old and data.
func NextVersion(old string, data []byte) string {
	h := sha256.New()
	h.Write([]byte(old))
	h.Write([]byte{0})
	h.Write(data)
	base, _, _ := strings.Cut(old, "+")
	return base + "+" + hex.EncodeToString(h.Sum(nil))[:10]
}

// knownNames lists the property names the layer's features use plus the
// common ones, to restore shortened DBF field names.
func knownNames(ly *layout.Layer) []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range []string{layout.PropID, layout.PropNameZH, layout.PropNameEN, layout.PropKind, layout.PropPlanRef, layout.PropDescription, layout.PropSource, layout.PropAccuracy, layout.PropExtendsBeyond} {
		add(n)
	}
	for _, f := range ly.Fields() {
		add(f.Name)
	}
	return out
}

// buildLayer turns the source features into the new layer, collecting the
// per-feature findings (ids, names, CRS, geometry type) and warnings.
func buildLayer(ctx context.Context, old *layout.Layer, src *intake.Features, toWGS84 transformer, source, accuracy string, lim spatial.ParcelLimits) (*layout.Layer, []plandata.Finding, []string) {
	ly := &layout.Layer{ID: old.ID, TitleZH: old.TitleZH, TitleEN: old.TitleEN, Description: old.Description, GeometryType: old.GeometryType}
	var findings []plandata.Finding
	var warnings []string
	add := func(check, feature, format string, args ...any) {
		findings = append(findings, plandata.Finding{Check: check, Layer: old.ID, Feature: feature, Message: fmt.Sprintf(format, args...)})
	}
	if len(src.Features) == 0 {
		add("import-empty", "", "the input has no features")
		return ly, findings, nil
	}
	types := map[string]layout.FieldType{}
	for _, f := range old.Fields() {
		types[f.Name] = f.Type
	}
	seen := map[string]int{}
	carried := map[string]int{}
	unchanged := 0
	for i, f := range src.Features {
		where := f.ID
		if where == "" {
			where = "#" + strconv.Itoa(i+1)
		}
		if f.ID == "" {
			add("import-id", where, "feature %d has no id (property id)", i+1)
		} else if prev, dup := seen[f.ID]; dup {
			add("import-id", where, "id %q is used by features %d and %d", f.ID, prev, i+1)
			continue
		}
		seen[f.ID] = i + 1
		props := coerce(f.Properties, types)
		props[layout.PropID] = f.ID
		if s, _ := props[layout.PropNameZH].(string); strings.TrimSpace(s) == "" {
			add("import-name", where, "name_zh is missing or empty")
		} else if strings.Trim(s, "? ") == "" {
			add("import-name", where, "name_zh %q is only question marks: the text was lost to a code page that cannot hold Chinese (with GDAL, write shapefiles with -lco ENCODING=UTF-8)", s)
		}
		if s, _ := props[layout.PropSource].(string); strings.TrimSpace(s) == "" {
			props[layout.PropSource] = source
		}
		if s, _ := props[layout.PropAccuracy].(string); strings.TrimSpace(s) == "" {
			props[layout.PropAccuracy] = accuracy
		}
		if s, _ := props[layout.PropSourceZH].(string); strings.TrimSpace(s) == "" {
			props[layout.PropSourceZH] = "导入：" + strings.TrimPrefix(source, "import: ")
		}
		if s, _ := props[layout.PropAccuracyZH].(string); strings.TrimSpace(s) == "" {
			props[layout.PropAccuracyZH] = accuracyZH(props[layout.PropAccuracy])
		}
		if prev, err := old.Feature(f.ID); err == nil {
			for _, p := range []string{layout.PropNameEN, layout.PropKind, layout.PropPlanRef, layout.PropDescription, layout.PropDescriptionZH, layout.PropKindZH} {
				if s, _ := props[p].(string); strings.TrimSpace(s) == "" {
					if v, ok := prev.Properties[p]; ok {
						props[p] = v
						carried[p]++
					}
				}
			}
		}
		if s, _ := props[layout.PropDescriptionZH].(string); strings.TrimSpace(s) == "" {
			props[layout.PropDescriptionZH] = DescriptionZHMissing
		}
		if s, _ := props[layout.PropKindZH].(string); strings.TrimSpace(s) == "" {
			props[layout.PropKindZH] = kindZH(old, props[layout.PropKind])
		}
		if f.Geometry == nil {
			add("import-geometry", where, "feature has no geometry")
			continue
		}
		g := f.Geometry
		if toWGS84 != nil {
			var err error
			if g, err = crs.TransformGeometry(g, toWGS84); err != nil {
				add("import-crs", where, "cannot convert to WGS84: %v", err)
				continue
			}
		}
		if err := layout.CheckLonLat(g); err != nil {
			add("import-crs", where, "%v after conversion to WGS84; is the CRS right? (give srs=EPSG:n)", err)
			continue
		}
		fitted, ok := fitType(g, ly.GeometryType)
		if !ok {
			add("import-geometry-type", where, "a %s cannot go into layer %s of %s features", g.GeoJSONType(), ly.ID, ly.GeometryType)
			continue
		}
		if err := spatial.CheckGeometry(ctx, fitted, lim); err != nil {
			var le *spatial.LimitError
			if !errors.As(err, &le) {
				add(checkLimits, where, "not checked: %v", err)
				continue
			}
			msg := le.Detail("geometry")
			if le.TooComplex {
				msg = fmt.Sprintf("the geometry's edges cross or touch one another more than %d times (%s): it is not a valid outline; repair it first (PostGIS ST_MakeValid, QGIS Fix geometries)", le.Limit, le.Setting)
			}
			add(checkLimits, where, "%s", msg)
			continue
		}
		if prev, err := old.Feature(f.ID); err == nil && prev.Geometry != nil && sameUpToNoise(fitted, prev.Geometry) {
			fitted = prev.Geometry
			unchanged++
		}
		ly.Features = append(ly.Features, &layout.Feature{ID: f.ID, Properties: props, Geometry: fitted})
	}
	if unchanged > 0 {
		warnings = append(warnings, fmt.Sprintf("%d of %d feature(s) match the stored geometry within %g° and keep its exact coordinates", unchanged, len(ly.Features), NoiseTolerance))
	}
	for _, p := range slices.Sorted(maps.Keys(carried)) {
		warnings = append(warnings, fmt.Sprintf("property %s missing from %d feature(s): carried over from the current feature with the same id", p, carried[p]))
	}
	ly.Complete()
	return ly, findings, warnings
}

// coerce converts property values to the types the layer's columns have
// (a shapefile brings booleans as 0/1 numbers or T/F, numbers as text …);
// values that do not convert are kept as they are.
func coerce(props map[string]any, types map[string]layout.FieldType) map[string]any {
	out := make(map[string]any, len(props))
	for k, v := range props {
		out[k] = v
		switch types[k] {
		case layout.FieldBoolean:
			switch x := v.(type) {
			case float64:
				if x == 0 || x == 1 {
					out[k] = x == 1
				}
			case string:
				if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
					out[k] = b
				}
			}
		case layout.FieldInteger, layout.FieldReal:
			if s, ok := v.(string); ok {
				if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
					out[k] = f
				}
			}
		case layout.FieldText:
			if f, ok := v.(float64); ok {
				out[k] = strconv.FormatFloat(f, 'f', -1, 64)
			}
		}
	}
	return out
}

// fitType returns g as the layer's geometry type when it fits: the same
// type, a single geometry promoted to its multi type, or a one-part
// multi-geometry for a single type.
func fitType(g orb.Geometry, want string) (orb.Geometry, bool) {
	if g.GeoJSONType() == want || want == "Geometry" || want == "GeometryCollection" && g.GeoJSONType() == want {
		return g, true
	}
	switch x := g.(type) {
	case orb.Point:
		if want == "MultiPoint" {
			return orb.MultiPoint{x}, true
		}
	case orb.LineString:
		if want == "MultiLineString" {
			return orb.MultiLineString{x}, true
		}
	case orb.Polygon:
		if want == "MultiPolygon" {
			return orb.MultiPolygon{x}, true
		}
	case orb.MultiPoint:
		if want == "Point" && len(x) == 1 {
			return x[0], true
		}
	case orb.MultiLineString:
		if want == "LineString" && len(x) == 1 {
			return x[0], true
		}
	case orb.MultiPolygon:
		if want == "Polygon" && len(x) == 1 {
			return x[0], true
		}
	}
	return nil, false
}

// NoiseTolerance is how far, in degrees (about 0.1 mm), an imported vertex
// may be from the stored one for a feature to count as unchanged.
//
// A round trip through a projected CRS (export in EPSG:4547, edit, import)
// moves every point by ~1e-14°. That is harmless except where the stored data
// has edges a hair's breadth apart (the built areas have zero-area slivers
// where the partition cut them): there the noise turns a touch into a
// crossing and GEOS rightly calls the result invalid. So a feature whose
// imported geometry has the same rings or lines as the stored one (any start
// vertex, either direction, parts in any order) with every vertex within
// NoiseTolerance keeps the stored coordinates exactly, and the import says
// how many did. Changed geometry is taken as imported and validated as is.
const NoiseTolerance = 1e-9

// sameUpToNoise reports whether a and b hold the same point sequences up to
// NoiseTolerance (see there).
func sameUpToNoise(a, b orb.Geometry) bool {
	pa, pb := sequences(a), sequences(b)
	if pa == nil || len(pa) != len(pb) {
		return false
	}
	used := make([]bool, len(pb))
	for _, sa := range pa {
		found := false
		for j, sb := range pb {
			if !used[j] && sa.cyclic == sb.cyclic && sameSequence(sa, sb) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sequence is one ring (cyclic, without its closing point) or line.
type sequence struct {
	pts    []orb.Point
	cyclic bool
}

func sequences(g orb.Geometry) []sequence {
	var out []sequence
	ring := func(r orb.Ring) {
		if len(r) > 1 && r.Closed() {
			r = r[:len(r)-1]
		}
		out = append(out, sequence{pts: r, cyclic: true})
	}
	switch x := g.(type) {
	case orb.Point:
		out = append(out, sequence{pts: []orb.Point{x}})
	case orb.MultiPoint:
		for _, p := range x {
			out = append(out, sequence{pts: []orb.Point{p}})
		}
	case orb.LineString:
		out = append(out, sequence{pts: x})
	case orb.MultiLineString:
		for _, l := range x {
			out = append(out, sequence{pts: l})
		}
	case orb.Polygon:
		for _, r := range x {
			ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			for _, r := range p {
				ring(r)
			}
		}
	default:
		return nil
	}
	return out
}

func near(p, q orb.Point) bool {
	return math.Abs(p[0]-q[0]) <= NoiseTolerance && math.Abs(p[1]-q[1]) <= NoiseTolerance
}

// sameSequence compares two sequences forwards or backwards, from any
// start for rings.
func sameSequence(a, b sequence) bool {
	n := len(a.pts)
	if n != len(b.pts) {
		return false
	}
	if n == 0 {
		return true
	}
	starts := []int{0}
	if a.cyclic {
		starts = starts[:0]
		for j, q := range b.pts {
			if near(a.pts[0], q) {
				starts = append(starts, j)
			}
		}
	}
	for _, j := range starts {
		for _, dir := range []int{1, -1} {
			ok := true
			for i := 0; i < n && ok; i++ {
				k := j + dir*i
				if a.cyclic {
					k = ((k % n) + n) % n
				} else if dir == -1 {
					k = n - 1 - i
				}
				ok = near(a.pts[i], b.pts[k])
			}
			if ok {
				return true
			}
		}
	}
	return false
}
