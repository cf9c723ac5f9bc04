// Package geodata embeds the layout's reviewable source data: one GeoJSON
// file per authored layer under layers/, and the public reference files
// (district boundaries in GCJ-02, gazetteer) under reference/. The build
// (plandata.Build) turns them into the GeoPackage the service reads; see
// README.md in this folder for formats and provenance.
package geodata

import "embed"

// FS holds layers/*.geojson, reference/*, the search aliases (aliases.csv)
// and the pinyin of the names (pinyin.tsv).
//
//go:embed layers/*.geojson reference/*.json reference/gazetteer.csv aliases.csv pinyin.tsv
var FS embed.FS

// Licence is the data licence (LICENCE.md): the project's schematic
// digitisation under CC BY 4.0, the reference boundaries under their
// source's terms.
//
//go:embed LICENCE.md
var Licence string
