package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/layout"
)

// Column names of every feature table this package writes.
const (
	columnFID  = "fid"
	columnGeom = "geom"
)

// Extension rows (GeoPackage 1.3 Annex F.3).
const (
	extRTree           = "gpkg_rtree_index"
	extRTreeDefinition = "http://www.geopackage.org/spec120/#extension_rtree"
	extRTreeScope      = "write-only"
)

// Metadata extension rows (GeoPackage 1.3 Annex F.8), as GDAL registers them.
const (
	extMetadata           = "gpkg_metadata"
	extMetadataDefinition = "http://www.geopackage.org/spec120/#extension_metadata"
	extMetadataScope      = "read-write"
)

// schema creates the mandatory GeoPackage tables, as GDAL writes them.
var schema = []string{
	`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
	`CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
	`CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	`CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))`,
}

// metadataSchema creates the tables of the metadata extension (also in a
// file written before they were used, which Update brings up to date).
var metadataSchema = []string{
	`CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')`,
	`CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))`,
	`INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES ('gpkg_metadata', NULL, '` + extMetadata + `', '` + extMetadataDefinition + `', '` + extMetadataScope + `')`,
	`INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES ('gpkg_metadata_reference', NULL, '` + extMetadata + `', '` + extMetadataDefinition + `', '` + extMetadataScope + `')`,
}

// storeSchema creates the two attribute tables the service's own files (those
// written with an Extra, and so by the store) keep next to the layers: the
// store records its history schema in hetang_metadata and finds its layer
// tables through hetang_layers. Files for desktop tools (Write, WriteSRS:
// the downloads) do without them, so that QGIS, which lists every table
// that is not a GeoPackage system table, shows only the layers.
var storeSchema = []string{
	`CREATE TABLE ` + tableLayers + ` (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, id TEXT NOT NULL UNIQUE, title_zh TEXT NOT NULL, title_en TEXT NOT NULL, description TEXT NOT NULL, geometry_type TEXT NOT NULL)`,
	`CREATE TABLE ` + tableMetadata + ` (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT NOT NULL UNIQUE, value TEXT NOT NULL)`,
}

// rtreeTriggers are the R*Tree maintenance triggers exactly as GDAL 3.6
// creates them; %[1]s is the quoted feature table, %[2]s the quoted rtree
// table, %[3]s the quoted geometry column, %[4]s the quoted primary key, %[5]s
// the unquoted rtree table name used as trigger name prefix.
var rtreeTriggers = []string{
	`CREATE TRIGGER "%[5]s_insert" AFTER INSERT ON %[1]s WHEN (new.%[3]s NOT NULL AND NOT ST_IsEmpty(NEW.%[3]s)) BEGIN INSERT OR REPLACE INTO %[2]s VALUES (NEW.%[4]s,ST_MinX(NEW.%[3]s), ST_MaxX(NEW.%[3]s),ST_MinY(NEW.%[3]s), ST_MaxY(NEW.%[3]s)); END`,
	`CREATE TRIGGER "%[5]s_update1" AFTER UPDATE OF %[3]s ON %[1]s WHEN OLD.%[4]s = NEW.%[4]s AND (NEW.%[3]s NOTNULL AND NOT ST_IsEmpty(NEW.%[3]s)) BEGIN INSERT OR REPLACE INTO %[2]s VALUES (NEW.%[4]s,ST_MinX(NEW.%[3]s), ST_MaxX(NEW.%[3]s),ST_MinY(NEW.%[3]s), ST_MaxY(NEW.%[3]s)); END`,
	`CREATE TRIGGER "%[5]s_update2" AFTER UPDATE OF %[3]s ON %[1]s WHEN OLD.%[4]s = NEW.%[4]s AND (NEW.%[3]s ISNULL OR ST_IsEmpty(NEW.%[3]s)) BEGIN DELETE FROM %[2]s WHERE id = OLD.%[4]s; END`,
	`CREATE TRIGGER "%[5]s_update3" AFTER UPDATE ON %[1]s WHEN OLD.%[4]s != NEW.%[4]s AND (NEW.%[3]s NOTNULL AND NOT ST_IsEmpty(NEW.%[3]s)) BEGIN DELETE FROM %[2]s WHERE id = OLD.%[4]s; INSERT OR REPLACE INTO %[2]s VALUES (NEW.%[4]s,ST_MinX(NEW.%[3]s), ST_MaxX(NEW.%[3]s),ST_MinY(NEW.%[3]s), ST_MaxY(NEW.%[3]s)); END`,
	`CREATE TRIGGER "%[5]s_update4" AFTER UPDATE ON %[1]s WHEN OLD.%[4]s != NEW.%[4]s AND (NEW.%[3]s ISNULL OR ST_IsEmpty(NEW.%[3]s)) BEGIN DELETE FROM %[2]s WHERE id IN (OLD.%[4]s, NEW.%[4]s); END`,
	`CREATE TRIGGER "%[5]s_delete" AFTER DELETE ON %[1]s WHEN old.%[3]s NOT NULL BEGIN DELETE FROM %[2]s WHERE id = OLD.%[4]s; END`,
}

// Write writes lay, whose geometries are WGS 84 longitude/latitude, to path
// as a GeoPackage 1.3 file: WriteSRS(ctx, path, lay, SRSWGS84).
func Write(ctx context.Context, path string, lay *layout.Layout) error {
	return WriteSRS(ctx, path, lay, SRSWGS84)
}

// Extra runs further statements in the transaction that writes a GeoPackage
// (WriteWith, Update), so that they are committed with the layout or not at
// all. It may create and fill tables of its own.
type Extra func(ctx context.Context, tx *sql.Tx) error

// WriteWith is Write with extra run in the same transaction, before the
// commit.
func WriteWith(ctx context.Context, path string, lay *layout.Layout, extra Extra) error {
	return writeSRS(ctx, path, lay, SRSWGS84, extra)
}

// ErrUnsupportedSRS is returned by WriteSRS for an srs_id it has no
// gpkg_spatial_ref_sys definition for.
var ErrUnsupportedSRS = errors.New("gpkg: unsupported srs_id")

// SupportedSRS reports whether WriteSRS accepts srsID: EPSG:4326 (SRSWGS84),
// 4490 (SRSCGCS2000), 4547 (SRSCGCS2000GK114E) or 3857 (SRSWebMercator).
func SupportedSRS(srsID int) bool {
	switch srsID {
	case SRSWGS84, SRSCGCS2000, SRSCGCS2000GK114E, SRSWebMercator:
		return true
	}
	return false
}

// WriteSRS writes lay to path as a GeoPackage 1.3 file whose geometries are
// in the spatial reference system srsID, atomically: the file is built under
// a temporary name in the same directory, synced to disk and then renamed
// over path. On any error the file already at path is untouched and the
// temporary file is removed.
//
// The geometries of lay must already be in srsID: WriteSRS records the SRS
// and does not reproject. Coordinates are x/y as GeoPackage stores them
// whatever the EPSG axis order: longitude/latitude for 4326 and 4490,
// easting/northing for 4547 and 3857. srsID must be one SupportedSRS accepts
// (an error wrapping ErrUnsupportedSRS otherwise); it is written to
// gpkg_contents, gpkg_geometry_columns and every geometry blob, and the
// gpkg_contents extents are in its units.
//
// Each layer becomes a feature table named by its id with a geom column of
// the layer's geometry type, followed by one column per layer.Fields() entry
// (the feature id in column "id").
func WriteSRS(ctx context.Context, path string, lay *layout.Layout, srsID int) error {
	return writeSRS(ctx, path, lay, srsID, nil)
}

func writeSRS(ctx context.Context, path string, lay *layout.Layout, srsID int, extra Extra) error {
	if lay == nil {
		return errors.New("gpkg: write: nil layout")
	}
	if !SupportedSRS(srsID) {
		return fmt.Errorf("%w %d; WriteSRS writes %d, %d, %d or %d", ErrUnsupportedSRS, srsID,
			SRSWGS84, SRSCGCS2000, SRSCGCS2000GK114E, SRSWebMercator)
	}
	if err := validate(lay); err != nil {
		return err
	}
	return replaceFile(path, nil, func(tmpName string) error {
		return writeDB(ctx, tmpName, lay, srsID, extra)
	})
}

// Update replaces the layout held by the GeoPackage at path, which Write or
// WriteWith wrote, with lay (EPSG:4326) and runs extra in the same
// transaction, keeping every other table of the file (such as ones extra
// created before). Like Write it is atomic: the change is made to a copy in
// the same directory, which is synced and renamed over path. The caller
// serialises writers.
func Update(ctx context.Context, path string, lay *layout.Layout, extra Extra) error {
	if lay == nil {
		return errors.New("gpkg: update: nil layout")
	}
	if err := validate(lay); err != nil {
		return err
	}
	src, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("gpkg: update %s: %w", path, err)
	}
	defer src.Close()
	return replaceFile(path, src, func(tmpName string) error {
		db, err := openWritable(tmpName)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := checkGeoPackage(ctx, db, path); err != nil {
			return err
		}
		if ok, err := tableExists(ctx, db, tableLayers); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%w: %s was not written by hetang (no %s table)", ErrNotGeoPackage, path, tableLayers)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := dropLayers(ctx, tx); err != nil {
			return err
		}
		for _, q := range metadataSchema {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("adding the metadata extension: %w", err)
			}
		}
		if err := writeContent(ctx, tx, lay, SRSWGS84, true); err != nil {
			return err
		}
		if extra != nil {
			if err := extra(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return db.Close()
	})
}

// replaceFile builds the new content of path in a temporary file in the same
// directory (a copy of src when src is not nil), lets fill write it, syncs
// it and renames it over path. On any error path is untouched and the
// temporary file is removed.
func replaceFile(path string, src *os.File, fill func(tmpName string) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("gpkg: write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	if src != nil {
		_, err = io.Copy(tmp, src)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	defer func() {
		if err != nil {
			for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
				os.Remove(tmpName + suffix)
			}
		}
	}()
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("gpkg: write %s: the disk is full: %w", path, err)
	}
	if err != nil {
		return fmt.Errorf("gpkg: write %s: %w", path, err)
	}
	if err := fill(tmpName); err != nil {
		return fmt.Errorf("gpkg: write %s: %w", path, err)
	}
	if err := syncFile(tmpName); err != nil {
		return fmt.Errorf("gpkg: write %s: %w", path, err)
	}
	if err := os.Chmod(tmpName, 0o644); err != nil {
		return fmt.Errorf("gpkg: write %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("gpkg: write %s: %w", path, err)
	}
	// Make the rename durable. Some filesystems cannot sync a directory; the
	// new file is in place either way, so this is best effort.
	_ = syncFile(dir)
	return nil
}

// dropLayers removes every layer table Write created (those listed in
// hetang_layers) with its spatial index and registrations.
func dropLayers(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT id FROM "+tableLayers)
	if err != nil {
		return fmt.Errorf("reading %s: %w", tableLayers, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		for _, q := range []string{
			"DROP TABLE IF EXISTS " + quoteIdent(id),
			"DROP TABLE IF EXISTS " + quoteIdent("rtree_"+id+"_"+columnGeom),
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("layer %q: %w", id, err)
			}
		}
		for _, t := range []string{"gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE table_name = ?", id); err != nil {
				return fmt.Errorf("layer %q: %s: %w", id, t, err)
			}
		}
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM "+tableLayers)
	return err
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// validate checks what SQL would otherwise reject halfway through, with a
// message that names the layer or feature.
func validate(lay *layout.Layout) error {
	seen, seenIdent := map[string]bool{}, map[string]bool{}
	for _, ly := range lay.Layers {
		if ly == nil {
			return errors.New("gpkg: write: nil layer")
		}
		lower := strings.ToLower(ly.ID)
		switch {
		case ly.ID == "":
			return errors.New("gpkg: write: layer with empty id")
		case strings.HasPrefix(lower, "gpkg_"), strings.HasPrefix(lower, "rtree_"), strings.HasPrefix(lower, "sqlite_"),
			lower == tableLayers, lower == tableMetadata:
			return fmt.Errorf("gpkg: write: layer id %q is a reserved table name", ly.ID)
		case seen[lower]:
			return fmt.Errorf("gpkg: write: duplicate layer id %q", ly.ID)
		}
		seen[lower] = true
		if ident := Identifier(ly); seenIdent[ident] {
			return fmt.Errorf("gpkg: write: two layers have the title %q (gpkg_contents identifiers must be unique)", ident)
		}
		seenIdent[Identifier(ly)] = true
		if _, err := gpkgTypeName(ly.GeometryType); err != nil {
			return fmt.Errorf("gpkg: write: layer %q: %w", ly.ID, err)
		}
		for i, f := range ly.Features {
			if f == nil {
				return fmt.Errorf("gpkg: write: layer %q: feature %d is nil", ly.ID, i)
			}
		}
		cols := map[string]string{columnFID: columnFID, columnGeom: columnGeom}
		for _, f := range fieldsOf(ly) {
			l := strings.ToLower(f.Name)
			if prev, ok := cols[l]; ok {
				return fmt.Errorf("gpkg: write: layer %q: property %q clashes with column %q", ly.ID, f.Name, prev)
			}
			cols[l] = f.Name
		}
	}
	return nil
}

// gpkgTypeName returns the GeoPackage geometry_type_name for an OGC
// simple-feature type name such as "MultiPolygon".
func gpkgTypeName(t string) (string, error) {
	u := strings.ToUpper(t)
	if _, ok := geometryTypeNames[u]; !ok {
		return "", fmt.Errorf("unsupported geometry type %q", t)
	}
	return u, nil
}

// fieldsOf returns the columns of ly: layer.Fields(), with an "id" TEXT column
// first if no feature carries an "id" property.
func fieldsOf(ly *layout.Layer) []layout.Field {
	fields := ly.Fields()
	for _, f := range fields {
		if f.Name == layout.PropID {
			return fields
		}
	}
	return append([]layout.Field{{Name: layout.PropID, Type: layout.FieldText}}, fields...)
}

// openWritable opens the SQLite file name for writing with foreign keys on.
func openWritable(name string) (*sql.DB, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	q := url.Values{"_journal_mode": {"DELETE"}, "_foreign_keys": {"1"}, "_txlock": {"exclusive"}}
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: q.Encode()}).String()
	return sql.Open(DriverName, dsn)
}

func writeDB(ctx context.Context, name string, lay *layout.Layout, srsID int, extra Extra) error {
	db, err := openWritable(name)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	exec := func(query string, args ...any) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}
	if err := exec(fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("setting application_id: %w", err)
	}
	if err := exec(fmt.Sprintf("PRAGMA user_version = %d", userVersion)); err != nil {
		return fmt.Errorf("setting user_version: %w", err)
	}
	tables := append(slices.Clone(schema), metadataSchema...)
	if extra != nil {
		tables = append(tables, storeSchema...)
	}
	for _, s := range tables {
		if err := exec(s); err != nil {
			return fmt.Errorf("creating GeoPackage tables: %w", err)
		}
	}
	for _, s := range spatialRefSystems {
		if err := exec(`INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description) VALUES (?, ?, ?, ?, ?, ?)`,
			s.name, s.id, s.organization, s.orgID, s.definition, s.description); err != nil {
			return fmt.Errorf("inserting srs %d: %w", s.id, err)
		}
	}
	if extra != nil {
		now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		for _, t := range []struct{ name, desc string }{
			{tableLayers, "Hetang layout: layer titles, descriptions and order"},
			{tableMetadata, "Hetang layout: data version"},
		} {
			if err := exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES (?, 'attributes', ?, ?, ?)`,
				t.name, t.name, t.desc, now); err != nil {
				return fmt.Errorf("registering %s: %w", t.name, err)
			}
		}
	}
	if err := writeContent(ctx, tx, lay, srsID, extra != nil); err != nil {
		return err
	}
	if extra != nil {
		if err := extra(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return db.Close()
}

// writeContent writes the data version and the layers of lay: the layout
// metadata into gpkg_metadata and, in the service's own files (store), into
// hetang_metadata and hetang_layers too.
func writeContent(ctx context.Context, tx *sql.Tx, lay *layout.Layout, srsID int, store bool) error {
	if store {
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+tableMetadata+" (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", metaVersion, lay.Version); err != nil {
			return fmt.Errorf("writing %s: %w", tableMetadata, err)
		}
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	if err := writeMetadata(ctx, tx, lay, now); err != nil {
		return err
	}
	for _, ly := range lay.Layers {
		if err := writeLayer(ctx, tx, ly, now, srsID, store); err != nil {
			return fmt.Errorf("layer %q: %w", ly.ID, err)
		}
	}
	return nil
}

// writeLayer writes one layer in tx: its registration (and its row in
// hetang_layers when store is set), its feature table, its features and
// their R*Tree spatial index.
func writeLayer(ctx context.Context, tx *sql.Tx, ly *layout.Layer, now string, srsID int, store bool) error {
	geomType, err := gpkgTypeName(ly.GeometryType)
	if err != nil {
		return err
	}
	w := &layerWriter{ctx: ctx, tx: tx, ly: ly, srsID: srsID, geomType: geomType, fields: fieldsOf(ly),
		table: quoteIdent(ly.ID), rtree: "rtree_" + ly.ID + "_" + columnGeom}
	if err := w.register(now, store); err != nil {
		return err
	}
	insert, err := w.createTables()
	if err != nil {
		return err
	}
	// The features go in first and the index is filled from Go with the
	// bounds already at hand; the triggers that keep it current afterwards
	// are created last. (Filling it through the triggers works too, but calls
	// five Go functions per row.)
	if err := w.insertFeatures(insert); err != nil {
		return err
	}
	return w.indexTriggers()
}

// layerWriter writes one layer's tables.
type layerWriter struct {
	ctx      context.Context
	tx       *sql.Tx
	ly       *layout.Layer
	srsID    int
	geomType string
	fields   []layout.Field
	table    string // the quoted feature table name
	rtree    string // the (unquoted) R*Tree table name
}

func (w *layerWriter) exec(query string, args ...any) error {
	_, err := w.tx.ExecContext(w.ctx, query, args...)
	return err
}

// register records the layer in gpkg_contents and gpkg_geometry_columns,
// and in hetang_layers when store is set.
func (w *layerWriter) register(now string, store bool) error {
	ly := w.ly
	if store {
		if err := w.exec("INSERT INTO "+tableLayers+" (id, title_zh, title_en, description, geometry_type) VALUES (?, ?, ?, ?, ?)",
			ly.ID, ly.TitleZH, ly.TitleEN, ly.Description, ly.GeometryType); err != nil {
			return fmt.Errorf("writing %s: %w", tableLayers, err)
		}
	}
	var minX, minY, maxX, maxY any
	if b, ok := layerBound(ly); ok {
		minX, minY, maxX, maxY = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	}
	if err := w.exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)`,
		ly.ID, Identifier(ly), ly.Description, now, minX, minY, maxX, maxY, w.srsID); err != nil {
		return fmt.Errorf("registering in gpkg_contents: %w", err)
	}
	if err := w.exec(`INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?, ?, ?, ?, 0, 0)`,
		ly.ID, columnGeom, w.geomType, w.srsID); err != nil {
		return fmt.Errorf("registering in gpkg_geometry_columns: %w", err)
	}
	return nil
}

// createTables creates the feature table and the R*Tree and returns the
// feature table's INSERT statement.
func (w *layerWriter) createTables() (string, error) {
	var create, insert, marks strings.Builder
	create.WriteString("CREATE TABLE " + w.table + " (" + quoteIdent(columnFID) + " INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, " + quoteIdent(columnGeom) + " " + w.geomType)
	insert.WriteString("INSERT INTO " + w.table + " (" + quoteIdent(columnGeom))
	marks.WriteString("?")
	for _, f := range w.fields {
		create.WriteString(", " + quoteIdent(f.Name) + " " + string(f.Type))
		insert.WriteString(", " + quoteIdent(f.Name))
		marks.WriteString(", ?")
	}
	create.WriteString(")")
	insert.WriteString(") VALUES (" + marks.String() + ")")
	if err := w.exec(create.String()); err != nil {
		return "", fmt.Errorf("creating table: %w", err)
	}
	if err := w.exec("CREATE VIRTUAL TABLE " + quoteIdent(w.rtree) + " USING rtree(id, minx, maxx, miny, maxy)"); err != nil {
		return "", fmt.Errorf("creating spatial index: %w", err)
	}
	return insert.String(), nil
}

// insertFeatures inserts the features with insert and their bounds into
// the R*Tree.
func (w *layerWriter) insertFeatures(insert string) error {
	stmt, err := w.tx.PrepareContext(w.ctx, insert)
	if err != nil {
		return fmt.Errorf("preparing insert: %w", err)
	}
	defer stmt.Close()
	index, err := w.tx.PrepareContext(w.ctx, "INSERT INTO "+quoteIdent(w.rtree)+" (id, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("preparing spatial index insert: %w", err)
	}
	defer index.Close()
	args := make([]any, len(w.fields)+1)
	for _, f := range w.ly.Features {
		if err := featureArgs(args, f, w.fields, w.geomType, w.srsID); err != nil {
			return fmt.Errorf("feature %q: %w", featureID(f), err)
		}
		res, err := stmt.ExecContext(w.ctx, args...)
		if err != nil {
			return fmt.Errorf("feature %q: %w", f.ID, err)
		}
		if f.Geometry == nil {
			continue
		}
		if n, _ := checkCoords(f.Geometry); n == 0 {
			continue
		}
		fid, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("feature %q: %w", f.ID, err)
		}
		b := f.Geometry.Bound()
		if _, err := index.ExecContext(w.ctx, fid, b.Min[0], b.Max[0], b.Min[1], b.Max[1]); err != nil {
			return fmt.Errorf("feature %q: spatial index: %w", f.ID, err)
		}
	}
	return nil
}

// indexTriggers creates the triggers that keep the R*Tree current and
// registers the extension.
func (w *layerWriter) indexTriggers() error {
	for _, t := range rtreeTriggers {
		q := fmt.Sprintf(t, w.table, quoteIdent(w.rtree), quoteIdent(columnGeom), quoteIdent(columnFID), strings.ReplaceAll(w.rtree, `"`, `""`))
		if err := w.exec(q); err != nil {
			return fmt.Errorf("creating spatial index trigger: %w", err)
		}
	}
	if err := w.exec(`INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES (?, ?, ?, ?, ?)`,
		w.ly.ID, columnGeom, extRTree, extRTreeDefinition, extRTreeScope); err != nil {
		return fmt.Errorf("registering spatial index extension: %w", err)
	}
	return nil
}

func featureID(f *layout.Feature) string {
	if f == nil {
		return "<nil>"
	}
	return f.ID
}

// featureArgs fills args with the geometry blob and column values of f.
func featureArgs(args []any, f *layout.Feature, fields []layout.Field, geomType string, srsID int) error {
	if f == nil {
		return errors.New("nil feature")
	}
	args[0] = nil
	if f.Geometry != nil {
		if got := gpkgGeometryType(f.Geometry); geomType != "GEOMETRY" && got != geomType {
			return fmt.Errorf("geometry is %s, the layer is %s", got, geomType)
		}
		b, err := EncodeGeometry(f.Geometry, srsID)
		if err != nil {
			return err
		}
		args[0] = b
	}
	for i, fd := range fields {
		if fd.Name == layout.PropID {
			args[i+1] = f.ID
			continue
		}
		v, err := columnValue(f.Properties[fd.Name], fd.Type)
		if err != nil {
			return fmt.Errorf("property %q: %w", fd.Name, err)
		}
		args[i+1] = v
	}
	return nil
}

// gpkgGeometryType is the GeoPackage geometry type name of g.
func gpkgGeometryType(g orb.Geometry) string {
	switch g.(type) {
	case orb.Ring, orb.Bound:
		return "POLYGON"
	case orb.Collection:
		return "GEOMETRYCOLLECTION"
	}
	return strings.ToUpper(g.GeoJSONType())
}

// columnValue converts a property value to the SQL value of a column of type t.
func columnValue(v any, t layout.FieldType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case layout.FieldBoolean:
		if b, ok := v.(bool); ok {
			if b {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case layout.FieldInteger, layout.FieldReal:
		var x float64
		switch n := v.(type) {
		case int:
			x = float64(n)
			if t == layout.FieldInteger {
				return int64(n), nil
			}
		case int32:
			x = float64(n)
			if t == layout.FieldInteger {
				return int64(n), nil
			}
		case int64:
			x = float64(n)
			if t == layout.FieldInteger {
				return n, nil
			}
		case float64:
			x = n
		default:
			return nil, fmt.Errorf("value %v (%T) in a %s column", v, v, t)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("non-finite number %v", x)
		}
		if t == layout.FieldInteger {
			return int64(x), nil
		}
		return x, nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// layerBound is the bounding box of the non-empty geometries of ly.
func layerBound(ly *layout.Layer) (orb.Bound, bool) {
	var b orb.Bound
	found := false
	for _, f := range ly.Features {
		if f == nil || f.Geometry == nil {
			continue
		}
		if n, _ := checkCoords(f.Geometry); n == 0 {
			continue
		}
		if !found {
			b, found = f.Geometry.Bound(), true
			continue
		}
		b = b.Union(f.Geometry.Bound())
	}
	return b, found
}
