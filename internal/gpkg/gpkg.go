// Package gpkg stores the layout as an OGC GeoPackage 1.3 file and reads
// feature tables back from any GeoPackage, including ones written by GDAL or
// QGIS.
//
// A written file is a plain, valid GeoPackage: one feature table per layer
// (named by the layer id, geometry in column geom, EPSG:4326 from Write or
// one of EPSG:4490, 4547, 3857 from WriteSRS), an R*Tree
// spatial index per table with the standard triggers, and each table's
// Chinese and English title as its gpkg_contents identifier. What GeoPackage
// has no column for (the titles apart, the layer order, the data version) is
// a JSON document in the GeoPackage metadata extension (gpkg_metadata,
// gpkg_metadata_reference; see MetadataURI), which desktop tools do not list
// as a layer. The service's own files (written with an Extra, by the store)
// also keep two attribute tables, hetang_layers and hetang_metadata, which
// the store uses; files for desktop tools (Write, WriteSRS: the downloads)
// have none, so QGIS lists only the layers.
//
// Property values come back typed by their column: BOOLEAN → bool,
// INTEGER (and the other integer column types) → float64, REAL → float64,
// TEXT → string. Integers are returned as float64 so that a layout read from a
// GeoPackage equals one decoded from GeoJSON by encoding/json; integers beyond
// ±2^53 lose precision. A NULL leaves the property out.
//
// Geometry blobs are decoded here, at the storage edge, into orb geometries
// (EncodeGeometry, DecodeGeometry); coordinates are returned as stored, with
// no reprojection.
package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/paulmach/orb"

	"hetang/internal/layout"
)

// DriverName is the database/sql driver this package registers: go-sqlite3
// with the SQL functions the GeoPackage R*Tree triggers call (ST_IsEmpty,
// ST_MinX, ST_MaxX, ST_MinY, ST_MaxY) on every connection. Use it to open a
// GeoPackage for writing, or inserts into indexed tables fail.
const DriverName = "sqlite3_gpkg"

// ErrNotGeoPackage is returned when a file is not a GeoPackage: not SQLite,
// a wrong application_id, or the mandatory gpkg_ tables missing.
var ErrNotGeoPackage = errors.New("gpkg: not a GeoPackage")

// ErrCorrupt is returned when a GeoPackage fails SQLite's integrity check.
var ErrCorrupt = errors.New("gpkg: damaged file (SQLite integrity check failed); restore it from a backup or rebuild it with hetang build")

// GeoPackage header values (GeoPackage 1.3 §1.1.1.1.1).
const (
	applicationID = 0x47504B47 // "GPKG"
	userVersion   = 10300      // 1.3.0
	// Application ids of GeoPackage 1.0 and 1.1 files, still accepted on read.
	applicationIDGP10 = 0x47503130 // "GP10"
	applicationIDGP11 = 0x47503131 // "GP11"
)

// Names of the tables this package adds to hold layout metadata.
const (
	tableLayers   = "hetang_layers"
	tableMetadata = "hetang_metadata"
	metaVersion   = "version"
)

// Table is one feature table of a GeoPackage.
type Table struct {
	Name string
	// SRSID is the srs_id of the geometry column in gpkg_geometry_columns.
	SRSID int
	// GeometryType is the declared geometry_type_name, e.g. "POINT", "MULTIPOLYGON".
	GeometryType string
	// GeometryColumn is the name of the geometry column.
	GeometryColumn string
	// Fields are the attribute columns in table order, excluding the integer
	// primary key and the geometry column.
	Fields []layout.Field
	// Features are the rows in primary-key order. A feature's ID is its "id"
	// column when the table has one and the value is not NULL, else the
	// primary key. A NULL geometry is a nil Geometry.
	Features []*layout.Feature
}

func init() {
	sql.Register(DriverName, &sqlite3.SQLiteDriver{ConnectHook: registerFunctions})
}

// registerFunctions adds the ST_ functions of the GeoPackage R*Tree extension
// to conn.
func registerFunctions(conn *sqlite3.SQLiteConn) error {
	bound := func(name string, pick func(orb.Bound) float64) error {
		return conn.RegisterFunc(name, func(v any) (any, error) {
			b, ok := blobArg(v)
			if !ok {
				return nil, nil
			}
			bd, empty, err := blobBound(b)
			if err != nil || empty {
				return nil, err
			}
			return pick(bd), nil
		}, true)
	}
	if err := conn.RegisterFunc("ST_IsEmpty", func(v any) (any, error) {
		b, ok := blobArg(v)
		if !ok {
			return nil, nil
		}
		_, empty, err := blobBound(b)
		if err != nil {
			return nil, err
		}
		if empty {
			return int64(1), nil
		}
		return int64(0), nil
	}, true); err != nil {
		return fmt.Errorf("gpkg: registering ST_IsEmpty: %w", err)
	}
	for name, pick := range map[string]func(orb.Bound) float64{
		"ST_MinX": orb.Bound.Left,
		"ST_MaxX": orb.Bound.Right,
		"ST_MinY": orb.Bound.Bottom,
		"ST_MaxY": orb.Bound.Top,
	} {
		if err := bound(name, pick); err != nil {
			return fmt.Errorf("gpkg: registering %s: %w", name, err)
		}
	}
	return nil
}

// blobArg returns the bytes of a BLOB or TEXT SQL argument; ok is false for NULL.
func blobArg(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, x != nil
	case string:
		return []byte(x), true
	}
	return nil, false
}

// openReadOnly opens the GeoPackage at path read-only and checks that it is
// one. immutable tells SQLite the file cannot change (no locking, no WAL
// lookup); use it only for files this package wrote.
func openReadOnly(ctx context.Context, path string, immutable bool) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("gpkg: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("gpkg: %w", err)
	}
	q := url.Values{"mode": {"ro"}}
	if immutable {
		q.Set("immutable", "1")
	}
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: q.Encode()}).String()
	db, err := sql.Open(DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("gpkg: opening %s: %w", path, err)
	}
	if err := checkGeoPackage(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkGeoPackage returns ErrNotGeoPackage (wrapped) unless db has a
// GeoPackage application_id and the mandatory tables.
func checkGeoPackage(ctx context.Context, db *sql.DB, path string) error {
	var id int64
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && se.Code == sqlite3.ErrCorrupt {
			// A SQLite file whose schema pages are damaged.
			return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
		}
		if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
			return fmt.Errorf("%w: %s: %w", ErrNotGeoPackage, path, err)
		}
		return fmt.Errorf("gpkg: %s: reading application_id: %w", path, err)
	}
	if uint32(id) != applicationID && uint32(id) != applicationIDGP10 && uint32(id) != applicationIDGP11 {
		return fmt.Errorf("%w: %s: application_id is %#x, want %#x", ErrNotGeoPackage, path, uint32(id), applicationID)
	}
	// A damaged page can leave the header and catalog readable; SQLite's
	// quick_check reads every page (cheap at these sizes) and catches it.
	var verdict string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&verdict); err != nil {
		return fmt.Errorf("%w: %s: integrity check failed: %w", ErrCorrupt, path, err)
	}
	if verdict != "ok" {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, path, verdict)
	}
	for _, t := range []string{"gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns"} {
		ok, err := tableExists(ctx, db, t)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s: table %s is missing", ErrNotGeoPackage, path, t)
		}
	}
	return nil
}

func tableExists(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = ?", name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("gpkg: looking for table %s: %w", name, err)
	}
	return n > 0, nil
}

// Tables lists the feature tables of the GeoPackage at path, by name.
func Tables(ctx context.Context, path string) ([]string, error) {
	db, err := openReadOnly(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return featureTables(ctx, db, "ORDER BY c.table_name")
}

// featureTables lists the feature tables registered in gpkg_contents and
// gpkg_geometry_columns, in the order given by the orderBy clause.
func featureTables(ctx context.Context, db *sql.DB, orderBy string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.table_name FROM gpkg_contents c
		JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
		WHERE c.data_type = 'features' `+orderBy)
	if err != nil {
		return nil, fmt.Errorf("gpkg: listing feature tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("gpkg: listing feature tables: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: listing feature tables: %w", err)
	}
	return names, nil
}

// ReadTable reads the feature table named table from the GeoPackage at path,
// which may be any GeoPackage (GDAL, QGIS…). Geometries are returned as
// decoded, in the table's own CRS (see Table.SRSID). An unknown table is an
// error wrapping layout.ErrNotFound.
func ReadTable(ctx context.Context, path, table string) (*Table, error) {
	db, err := openReadOnly(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return readTable(ctx, db, table)
}

func readTable(ctx context.Context, db *sql.DB, table string) (*Table, error) {
	t := &Table{Name: table}
	err := db.QueryRowContext(ctx, `SELECT g.column_name, g.geometry_type_name, g.srs_id
		FROM gpkg_geometry_columns g JOIN gpkg_contents c ON c.table_name = g.table_name
		WHERE c.data_type = 'features' AND g.table_name = ?`, table).
		Scan(&t.GeometryColumn, &t.GeometryType, &t.SRSID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("gpkg: feature table %q: %w", table, layout.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("gpkg: table %q: reading gpkg_geometry_columns: %w", table, err)
	}

	cols, err := tableColumns(ctx, db, table)
	if err != nil {
		return nil, err
	}
	pk := ""
	var selected []column
	for _, c := range cols {
		switch {
		case c.pk && pk == "" && strings.HasPrefix(strings.ToUpper(c.declType), "INT"):
			pk = c.name
		case strings.EqualFold(c.name, t.GeometryColumn):
		default:
			selected = append(selected, c)
			t.Fields = append(t.Fields, layout.Field{Name: c.name, Type: fieldTypeOfColumn(c.declType)})
		}
	}
	pkExpr := "rowid"
	if pk != "" {
		pkExpr = quoteIdent(pk)
	}
	var sb strings.Builder
	sb.WriteString("SELECT " + pkExpr + ", " + quoteIdent(t.GeometryColumn))
	for _, c := range selected {
		sb.WriteString(", " + quoteIdent(c.name))
	}
	sb.WriteString(" FROM " + quoteIdent(table) + " ORDER BY " + pkExpr)

	rows, err := db.QueryContext(ctx, sb.String())
	if err != nil {
		return nil, fmt.Errorf("gpkg: table %q: %w", table, err)
	}
	defer rows.Close()
	vals := make([]any, len(selected)+2)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("gpkg: table %q: %w", table, err)
		}
		fid, _ := vals[0].(int64)
		f := &layout.Feature{ID: strconv.FormatInt(fid, 10), Properties: map[string]any{}}
		switch b := vals[1].(type) {
		case nil:
		case []byte:
			g, _, err := DecodeGeometry(b)
			if err != nil {
				return nil, fmt.Errorf("gpkg: table %q, feature fid=%d: %w", table, fid, err)
			}
			f.Geometry = g
		default:
			return nil, fmt.Errorf("gpkg: table %q, feature fid=%d: %w: geometry is %T, not a BLOB", table, fid, ErrInvalidGeometry, b)
		}
		for i, c := range selected {
			// NULL stays a null property: every feature of a table carries
			// every column, as clients that read a layer's first features
			// expect (layout.Layer.Complete).
			v := propertyValue(vals[i+2], t.Fields[i].Type, c.declType)
			f.Properties[c.name] = v
			if v == nil {
				continue
			}
			if c.name == layout.PropID {
				f.ID = fmt.Sprint(v)
			}
		}
		t.Features = append(t.Features, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: table %q: %w", table, err)
	}
	return t, nil
}

type column struct {
	name     string
	declType string
	pk       bool
}

func tableColumns(ctx context.Context, db *sql.DB, table string) ([]column, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, fmt.Errorf("gpkg: table %q: reading columns: %w", table, err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		var pk int
		if err := rows.Scan(&c.name, &c.declType, &pk); err != nil {
			return nil, fmt.Errorf("gpkg: table %q: reading columns: %w", table, err)
		}
		c.pk = pk == 1
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gpkg: table %q: reading columns: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("gpkg: feature table %q is listed in gpkg_contents but does not exist: %w", table, layout.ErrNotFound)
	}
	return cols, nil
}

// fieldTypeOfColumn maps a GeoPackage column type to a layout field type.
func fieldTypeOfColumn(declType string) layout.FieldType {
	t := strings.ToUpper(strings.TrimSpace(declType))
	if i := strings.IndexByte(t, '('); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	switch t {
	case "BOOLEAN":
		return layout.FieldBoolean
	case "INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT":
		return layout.FieldInteger
	case "REAL", "FLOAT", "DOUBLE":
		return layout.FieldReal
	}
	return layout.FieldText
}

// propertyValue converts a scanned SQLite value to the property value of a
// column of type ft (see the package comment). nil means absent.
func propertyValue(v any, ft layout.FieldType, declType string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		return x
	case int64:
		if ft == layout.FieldBoolean {
			return x != 0
		}
		if ft == layout.FieldText {
			return strconv.FormatInt(x, 10)
		}
		return float64(x)
	case float64:
		return x
	case []byte:
		if ft == layout.FieldText && !strings.EqualFold(declType, "BLOB") {
			return string(x)
		}
		return x
	case string:
		return x
	case time.Time:
		if strings.EqualFold(declType, "DATE") {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	}
	return v
}

// Read reads a GeoPackage written by Write (EPSG:4326): every feature table listed in
// gpkg_contents becomes a layer, in the order they were written, with the
// titles, description, declared geometry type and data version restored
// exactly. A GeoPackage from elsewhere is read too: its feature tables come in
// name order, titled by their gpkg_contents identifier, with an empty Version.
//
// Read does not reproject and does not report the SRS: coordinates come back
// as stored, so a layout read from a file written by WriteSRS with another
// srs_id is in that SRS, not in WGS 84. Use ReadTable, whose Table.SRSID says
// the SRS, for such files and for GeoPackages from elsewhere.
//
// The file is opened immutable (no locking, no WAL lookup), so it must not be
// changed while being read; use ReadTable for files other programs may be writing.
func Read(ctx context.Context, path string) (*layout.Layout, error) {
	db, err := openReadOnly(ctx, path, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	meta, err := readMetadata(ctx, db)
	if err != nil {
		return nil, err
	}
	// The service's own files (and files from before the metadata
	// extension) keep the layer list in hetang_layers too.
	ours, err := tableExists(ctx, db, tableLayers)
	if err != nil {
		return nil, err
	}
	order := "ORDER BY c.table_name"
	switch {
	case meta != nil:
		order = "ORDER BY c.rowid"
	case ours:
		order = "ORDER BY (SELECT l.fid FROM " + tableLayers + " l WHERE l.id = c.table_name) IS NULL, " +
			"(SELECT l.fid FROM " + tableLayers + " l WHERE l.id = c.table_name), c.table_name"
	}
	names, err := featureTables(ctx, db, order)
	if err != nil {
		return nil, err
	}
	lay := &layout.Layout{}
	switch {
	case meta != nil:
		lay.Version = meta.Version
		names = metaOrder(meta, names)
	case ours:
		if lay.Version, err = readVersion(ctx, db); err != nil {
			return nil, err
		}
	}
	for _, name := range names {
		ly, err := readLayerMeta(ctx, db, name, meta, ours)
		if err != nil {
			return nil, err
		}
		t, err := readTable(ctx, db, name)
		if err != nil {
			return nil, err
		}
		if ly.GeometryType == "" {
			ly.GeometryType = ogcTypeName(t.GeometryType)
		}
		ly.Features = t.Features
		lay.Layers = append(lay.Layers, ly)
	}
	return lay, nil
}

// metaOrder puts the tables in the metadata's layer order; tables it does not
// list follow in their own order.
func metaOrder(meta *layoutMeta, names []string) []string {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	var out []string
	listed := map[string]bool{}
	for _, l := range meta.Layers {
		if have[l.ID] && !listed[l.ID] {
			out = append(out, l.ID)
			listed[l.ID] = true
		}
	}
	for _, n := range names {
		if !listed[n] {
			out = append(out, n)
		}
	}
	return out
}

func readVersion(ctx context.Context, db *sql.DB) (string, error) {
	v, _, err := Metadata(ctx, db, metaVersion)
	return v, err
}

// Metadata returns the value of key in the file's hetang_metadata table;
// ok is false when the file has no such table (written by another program)
// or the table no such key.
func Metadata(ctx context.Context, db *sql.DB, key string) (v string, ok bool, err error) {
	if ok, err := tableExists(ctx, db, tableMetadata); err != nil || !ok {
		return "", false, err
	}
	err = db.QueryRowContext(ctx, "SELECT value FROM "+tableMetadata+" WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("gpkg: reading %s: %w", tableMetadata, err)
	}
	return v, true, nil
}

// readLayerMeta returns the layer's metadata from the layout metadata
// (gpkg_metadata) or hetang_layers when the file has them, else from
// gpkg_contents.
func readLayerMeta(ctx context.Context, db *sql.DB, name string, meta *layoutMeta, ours bool) (*layout.Layer, error) {
	ly := &layout.Layer{ID: name}
	if meta != nil {
		for _, l := range meta.Layers {
			if l.ID == name {
				ly.TitleZH, ly.TitleEN, ly.Description, ly.GeometryType = l.TitleZH, l.TitleEN, l.Description, l.GeometryType
				return ly, nil
			}
		}
	}
	if ours {
		err := db.QueryRowContext(ctx, "SELECT title_zh, title_en, description, geometry_type FROM "+tableLayers+" WHERE id = ?", name).
			Scan(&ly.TitleZH, &ly.TitleEN, &ly.Description, &ly.GeometryType)
		if err == nil {
			return ly, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("gpkg: layer %q: reading %s: %w", name, tableLayers, err)
		}
	}
	var ident, desc sql.NullString
	err := db.QueryRowContext(ctx, "SELECT identifier, description FROM gpkg_contents WHERE table_name = ?", name).Scan(&ident, &desc)
	if err != nil {
		return nil, fmt.Errorf("gpkg: layer %q: reading gpkg_contents: %w", name, err)
	}
	ly.TitleEN, ly.Description = ident.String, desc.String
	return ly, nil
}

// GeoPackage geometry type names and their OGC simple-feature spelling.
var geometryTypeNames = map[string]string{
	"GEOMETRY":           "Geometry",
	"POINT":              "Point",
	"LINESTRING":         "LineString",
	"POLYGON":            "Polygon",
	"MULTIPOINT":         "MultiPoint",
	"MULTILINESTRING":    "MultiLineString",
	"MULTIPOLYGON":       "MultiPolygon",
	"GEOMETRYCOLLECTION": "GeometryCollection",
}

func ogcTypeName(gpkgType string) string {
	if n, ok := geometryTypeNames[strings.ToUpper(gpkgType)]; ok {
		return n
	}
	return gpkgType
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// OpenReadOnly opens the GeoPackage at path, which this package wrote, for
// reading tables of the caller's own (see WriteWith). It is opened immutable:
// Write and Update replace a file by renaming a new one over it, so an open
// file never changes.
func OpenReadOnly(ctx context.Context, path string) (*sql.DB, error) {
	return openReadOnly(ctx, path, true)
}

// Stored returns property value v as Read returns it after Write stored it in
// a column of type t: the typing a round trip through a GeoPackage applies
// (a number in a TEXT column comes back as text, an integer as float64, …).
// A value Write cannot store is returned unchanged.
func Stored(v any, t layout.FieldType) any {
	cv, err := columnValue(v, t)
	if err != nil {
		return v
	}
	return propertyValue(cv, t, string(t))
}
