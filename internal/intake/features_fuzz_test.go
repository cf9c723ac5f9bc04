package intake

import (
	"archive/zip"
	"bytes"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/shapefile"
)

func FuzzParseGeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4547"}},"features":[{"type":"Feature","id":"a","properties":{"id":"a","name_zh":"荷塘"},"geometry":{"type":"Point","coordinates":[500000,3090000]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[]}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[null]}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":3857}},"features":[{"type":"Feature","id":7,"properties":null,"geometry":null}]}`))
	f.Add([]byte(`{"type":"Feature","properties":{"id":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"x"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := parseGeoJSON(b)
		if err != nil {
			return
		}
		// A CRS definition the parser returns is one crs or PROJ can be asked about.
		if src.CRSDef != "" {
			if _, err := CRSNameDef(src.CRSDef); err != nil {
				t.Fatalf("parser returned CRS %q that does not parse again: %v", src.CRSDef, err)
			}
		}
		for _, f := range src.Features {
			if f == nil || f.Properties == nil {
				t.Fatal("nil feature or properties")
			}
		}
	})
}

func FuzzReadShapeZip(f *testing.F) {
	shp, _, err := shapefile.EncodeSHP(shapefile.Point, []orb.Geometry{orb.Point{113.25, 27.93}})
	if err != nil {
		f.Fatal(err)
	}
	dbf, _, err := shapefile.EncodeDBF([]shapefile.Field{{Name: "id", Type: shapefile.FieldChar, Length: 4}, {Name: "name_zh", Type: shapefile.FieldChar, Length: 9}},
		[][]any{{"p1", "仙庾岭"}}, time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range map[string][]byte{"x.shp": shp, "x.dbf": dbf, "x.cpg": []byte("UTF-8"), "x.prj": []byte("GEOGCS[\"GCS_WGS_1984\"]")} {
		w, _ := zw.Create(name)
		w.Write(b)
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := readShapeZip(b, []string{"id", "name_zh", "description"}, Limits{})
		if err != nil {
			return
		}
		if len(src.Features) == 0 && len(b) == 0 {
			t.Fatal("features from nothing")
		}
	})
}
