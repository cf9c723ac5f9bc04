// Package kml writes the layout as KML 2.2 and KMZ for Google Earth,
// 奥维互动地图 (Ovital Map) and the other map apps Chinese planners load
// placemarks into. Geometry is encoded by github.com/twpayne/go-geom's
// encoding/kml (through internal/geomorb); the document around it with
// github.com/twpayne/go-kml, which go-geom's encoder builds on.
//
// Each layer is a Folder named with its Chinese and English titles and
// carrying the layer id as its id; each feature a Placemark whose name is the
// Chinese name (name_zh), whose description gives the English name, the
// descriptions and the feature's provenance, and whose ExtendedData holds
// every property of the layer as a Data element (a null property has none).
// Untyped Data rather than a typed Schema: GDAL's LIBKML driver (and so
// QGIS) ignores a Schema inside a KMZ, and map apps show Data the same way. Styles follow the map page (internal/style): area fill
// colours, road and line colours and widths, point colours.
//
// Coordinates are WGS84 longitude, latitude (KML's only CRS). With
// Options.GCJ02 they are shifted to GCJ-02 instead, the frame of Amap,
// Tencent and other Chinese map apps (which would otherwise draw WGS84 data
// several hundred metres off); such a document says so in its name and
// description, and is not for Google Earth or GIS software.
package kml

import (
	"archive/zip"
	"fmt"
	"image/color"
	"io"
	"strconv"
	"strings"
	"time"

	gkml "github.com/twpayne/go-geom/encoding/kml"
	gokml "github.com/twpayne/go-kml/v3"

	"hetang/internal/crs"
	"hetang/internal/geomorb"
	"hetang/internal/layout"
	"hetang/internal/style"
)

// Options say how a document is written.
type Options struct {
	// Name is the document's name (a title for people).
	Name string
	// GCJ02 shifts coordinates to GCJ-02 for Chinese map apps.
	GCJ02 bool
	// DataVersion identifies the data the document was made from.
	DataVersion string
	// Notice and Attribution are written into the document's description.
	Notice, Attribution string
	// LicenceURL, when set, is linked from the description.
	LicenceURL string
}

// gcjLabel marks documents in GCJ-02.
const gcjLabel = "GCJ-02 火星坐标（高德、腾讯、奥维等国内地图用；Google Earth / GIS 请用 WGS84 版）"

// Document builds the KML document of layers.
func Document(layers []*layout.Layer, opt Options) (*gokml.KMLElement, error) {
	name := opt.Name
	if opt.GCJ02 {
		name += " — " + gcjLabel
	}
	children := []gokml.Element{
		gokml.Name(name),
		gokml.Open(true),
		gokml.Description(documentDescription(opt)),
	}
	seen := map[string]bool{}
	var styles, folders []gokml.Element
	for _, ly := range layers {
		fields := ly.Fields()
		folder := []gokml.Element{
			gokml.Name(ly.TitleZH + " " + ly.TitleEN),
			gokml.Description(ly.Description),
		}
		for _, f := range ly.Features {
			st := style.For(ly.ID, f.ID, f.Properties)
			if !seen[st.Key] {
				seen[st.Key] = true
				styles = append(styles, kmlStyle(st))
			}
			pm, err := placemark(fields, f, st, opt.GCJ02)
			if err != nil {
				return nil, err
			}
			folder = append(folder, pm)
		}
		folders = append(folders, gokml.Folder(folder...))
	}
	children = append(children, styles...)
	children = append(children, folders...)
	return gokml.KML(gokml.Document(children...)), nil
}

func documentDescription(opt Options) string {
	var b strings.Builder
	if opt.GCJ02 {
		b.WriteString("坐标系 Coordinates: " + gcjLabel + ".\n")
	} else {
		b.WriteString("坐标系 Coordinates: WGS84 (EPSG:4326).\n")
	}
	if opt.DataVersion != "" {
		b.WriteString("Data version: " + opt.DataVersion + ".\n")
	}
	if opt.Notice != "" {
		b.WriteString(opt.Notice + "\n")
	}
	if opt.Attribution != "" {
		b.WriteString(opt.Attribution + ".\n")
	}
	if opt.LicenceURL != "" {
		b.WriteString("Licence: " + opt.LicenceURL + "\n")
	}
	return b.String()
}

func placemark(fields []layout.Field, f *layout.Feature, st style.Style, gcj bool) (gokml.Element, error) {
	g := f.Geometry
	if gcj && g != nil {
		var err error
		if g, err = crs.GCJ02.GeometryFromWGS84(g); err != nil {
			return nil, fmt.Errorf("kml: feature %s to GCJ-02: %w", f.ID, err)
		}
	}
	name, _ := f.Properties[layout.PropNameZH].(string)
	if name == "" {
		name = f.ID
	}
	children := []gokml.Element{
		gokml.Name(name),
		gokml.Description(featureDescription(f)),
		gokml.StyleURL("#" + st.Key),
	}
	var data []gokml.Element
	for _, fd := range fields {
		v := f.Properties[fd.Name]
		if fd.Name == layout.PropID && v == nil {
			v = f.ID
		}
		if s, ok := value(v); ok {
			data = append(data, gokml.Data(fd.Name, gokml.Value(s)))
		}
	}
	children = append(children, gokml.ExtendedData(data...))
	if g != nil {
		gg, err := geomorb.ToGeom(g)
		if err != nil {
			return nil, fmt.Errorf("kml: feature %s: %w", f.ID, err)
		}
		el, err := gkml.Encode(gg)
		if err != nil {
			return nil, fmt.Errorf("kml: feature %s: %w", f.ID, err)
		}
		children = append(children, el)
	}
	return gokml.Placemark(children...), nil
}

// featureDescription is the balloon text: the English name, the Chinese and
// English descriptions and the provenance.
func featureDescription(f *layout.Feature) string {
	var parts []string
	for _, p := range []string{layout.PropNameEN, "description_zh", layout.PropDescription} {
		if s, _ := f.Properties[p].(string); s != "" {
			parts = append(parts, s)
		}
	}
	var prov []string
	for _, p := range []string{layout.PropPlanRef, layout.PropSource, layout.PropAccuracy} {
		if s, _ := f.Properties[p].(string); s != "" {
			prov = append(prov, p+": "+s)
		}
	}
	if len(prov) > 0 {
		parts = append(parts, strings.Join(prov, "\n"))
	}
	return strings.Join(parts, "\n\n")
}

// value formats a property for SimpleData; false for null.
func value(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return fmt.Sprint(v), true
}

// kmlStyle is the shared style of st: line colour and width, polygon fill
// (with the page's opacity) and outline, point colour and label size.
func kmlStyle(st style.Style) gokml.Element {
	if st.Point {
		return gokml.SharedStyle(st.Key,
			gokml.IconStyle(gokml.Color(straight(st.Stroke)), gokml.Scale(0.8)),
			gokml.LabelStyle(gokml.Scale(0.9)),
		)
	}
	children := []gokml.Element{gokml.LineStyle(gokml.Color(straight(st.Stroke)), gokml.Width(st.StrokeWidth))}
	if st.Filled {
		children = append(children, gokml.PolyStyle(gokml.Color(straight(st.Fill)), gokml.Fill(true), gokml.Outline(true)))
	} else {
		children = append(children, gokml.PolyStyle(gokml.Fill(false), gokml.Outline(true)))
	}
	return gokml.SharedStyle(st.Key, children...)
}

// straight hands go-kml a colour whose RGBA method returns the components as
// they are: go-kml reads color.Color.RGBA, which for color.NRGBA would give
// them premultiplied by alpha (darkening every translucent fill).
type straight color.NRGBA

// RGBA implements color.Color without premultiplying.
func (c straight) RGBA() (r, g, b, a uint32) {
	return uint32(c.R) * 0x101, uint32(c.G) * 0x101, uint32(c.B) * 0x101, uint32(c.A) * 0x101
}

// Write writes the KML document of layers to w.
func Write(w io.Writer, layers []*layout.Layer, opt Options) error {
	doc, err := Document(layers, opt)
	if err != nil {
		return err
	}
	return doc.WriteIndent(w, "", " ")
}

// KMZFile is the name of the document inside a KMZ, as Google Earth expects.
const KMZFile = "doc.kml"

// WriteKMZ writes the KMZ of layers to w: a zip holding doc.kml as its first
// entry (KML 2.2 Annex C: the root document comes first; Google Earth, libkml
// and map apps that take the first entry all open it) and, when licence is
// not empty, LICENCE.md after it. modified stamps the entries (a zero time
// is written as the DOS epoch, 1980-01-01, not as the invalid date 0).
func WriteKMZ(w io.Writer, layers []*layout.Layer, opt Options, licence string, modified time.Time) error {
	if modified.Before(dosEpoch) {
		modified = dosEpoch
	}
	zw := zip.NewWriter(w)
	entry := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	}
	doc, err := entry(KMZFile)
	if err != nil {
		return err
	}
	if err := Write(doc, layers, opt); err != nil {
		return err
	}
	if licence != "" {
		lw, err := entry("LICENCE.md")
		if err != nil {
			return err
		}
		if _, err := io.WriteString(lw, licence); err != nil {
			return err
		}
	}
	return zw.Close()
}

// dosEpoch is the earliest time a zip entry's DOS date can hold.
var dosEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
