package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"hetang/internal/layout"
)

// MetadataURI is the md_standard_uri of the layout metadata this package
// writes into gpkg_metadata (the GeoPackage metadata extension): the data
// version and each layer's Chinese and English titles, description, declared
// geometry type and order. Desktop tools do not list the metadata tables as
// layers (QGIS 3.22 and GDAL hide gpkg_* tables), unlike attribute tables
// registered in gpkg_contents.
const MetadataURI = "urn:x-hetang:layout-metadata:1"

// layoutMeta is the dataset-scope metadata document (JSON).
type layoutMeta struct {
	Version     string      `json:"version"`
	Notice      string      `json:"notice,omitempty"`
	Attribution string      `json:"attribution,omitempty"`
	Layers      []layerMeta `json:"layers"`
}

// layerMeta describes one layer; it is also each layer's featureType-scope
// metadata document.
type layerMeta struct {
	ID           string `json:"id"`
	TitleZH      string `json:"title_zh"`
	TitleEN      string `json:"title_en"`
	Description  string `json:"description"`
	GeometryType string `json:"geometry_type"`
}

// Identifier is a layer's gpkg_contents identifier, the name desktop tools
// show for it: the Chinese title with the English one.
func Identifier(ly *layout.Layer) string {
	switch {
	case ly.TitleZH != "" && ly.TitleEN != "":
		return ly.TitleZH + " " + ly.TitleEN
	case ly.TitleZH != "":
		return ly.TitleZH
	case ly.TitleEN != "":
		return ly.TitleEN
	}
	return ly.ID
}

// writeMetadata replaces the layout metadata: one dataset document
// referenced by the whole GeoPackage and one document per layer referenced by
// its table (the tables exist: metadataSchema).
func writeMetadata(ctx context.Context, tx *sql.Tx, lay *layout.Layout, now string) error {
	exec := func(query string, args ...any) (sql.Result, error) { return tx.ExecContext(ctx, query, args...) }
	if _, err := exec(`DELETE FROM gpkg_metadata_reference WHERE md_file_id IN (SELECT id FROM gpkg_metadata WHERE md_standard_uri = ?)`, MetadataURI); err != nil {
		return fmt.Errorf("replacing gpkg_metadata_reference: %w", err)
	}
	if _, err := exec(`DELETE FROM gpkg_metadata WHERE md_standard_uri = ?`, MetadataURI); err != nil {
		return fmt.Errorf("replacing gpkg_metadata: %w", err)
	}
	doc := layoutMeta{Version: lay.Version, Notice: layout.Notice, Attribution: layout.Attribution}
	for _, ly := range lay.Layers {
		doc.Layers = append(doc.Layers, layerMeta{ID: ly.ID, TitleZH: ly.TitleZH, TitleEN: ly.TitleEN, Description: ly.Description, GeometryType: ly.GeometryType})
	}
	insert := func(scope string, v any, refScope string, table any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		res, err := exec(`INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES (?, ?, 'application/json', ?)`, scope, MetadataURI, string(b))
		if err != nil {
			return fmt.Errorf("writing gpkg_metadata: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := exec(`INSERT INTO gpkg_metadata_reference (reference_scope, table_name, timestamp, md_file_id) VALUES (?, ?, ?, ?)`, refScope, table, now, id); err != nil {
			return fmt.Errorf("writing gpkg_metadata_reference: %w", err)
		}
		return nil
	}
	if err := insert("dataset", doc, "geopackage", nil); err != nil {
		return err
	}
	for _, lm := range doc.Layers {
		if err := insert("featureType", lm, "table", lm.ID); err != nil {
			return err
		}
	}
	return nil
}

// readMetadata returns the layout metadata of a file written by Write, or
// nil for a GeoPackage without it.
func readMetadata(ctx context.Context, db *sql.DB) (*layoutMeta, error) {
	ok, err := tableExists(ctx, db, "gpkg_metadata")
	if err != nil || !ok {
		return nil, err
	}
	var s string
	err = db.QueryRowContext(ctx, `SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ? AND md_scope = 'dataset' ORDER BY id LIMIT 1`, MetadataURI).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gpkg: reading gpkg_metadata: %w", err)
	}
	var m layoutMeta
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("gpkg: the layout metadata in gpkg_metadata is not valid JSON: %w", err)
	}
	return &m, nil
}
