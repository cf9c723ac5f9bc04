package importer

import (
	"strings"

	"hetang/internal/intake"
)

// Format is the kind of file being imported (the intake formats that carry
// features).
type Format = intake.Format

// Supported input formats.
const (
	FormatGeoJSON    = intake.FormatGeoJSON
	FormatGeoPackage = intake.FormatGeoPackage
	FormatShapeZip   = intake.FormatShapeZip
)

// FormatOf guesses the format from a file name (.geojson/.json, .gpkg, .zip).
func FormatOf(name string) (Format, error) {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".geojson"), strings.HasSuffix(n, ".json"):
		return FormatGeoJSON, nil
	case strings.HasSuffix(n, ".gpkg"):
		return FormatGeoPackage, nil
	case strings.HasSuffix(n, ".zip"):
		return FormatShapeZip, nil
	}
	return "", inputErrorf("cannot tell the format of %q; use .geojson, .gpkg or a .zip holding a shapefile", name)
}
