// Package style holds the map's cartography — the colours and line widths the
// page draws each layer and feature with — for the writers that carry styling
// into files (KML for Google Earth and 奥维互动地图, DXF for CAD), so a
// downloaded layer looks like the map it came from.
//
// The values mirror the page's DEFS table in web/static/js/layers.js; a test keeps
// the two in step.
package style

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
)

// Style is how one feature is drawn.
type Style struct {
	// Key names the style uniquely (layer, then the feature id or class it
	// depends on); equal keys mean equal styles.
	Key string
	// Stroke is the outline or line colour; StrokeWidth is in screen pixels.
	Stroke      color.NRGBA
	StrokeWidth float64
	// Dashed lines are drawn dashed on the page.
	Dashed bool
	// Fill is the polygon fill (alpha = the page's fill opacity); Filled is
	// false for outline-only layers (the district boundary).
	Fill   color.NRGBA
	Filled bool
	// Point is true for point layers (Stroke is then the marker colour).
	Point bool
}

// Hex returns c as #rrggbb.
func Hex(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// parse reads #rrggbb with an opacity in [0, 1].
func parse(hex string, opacity float64) color.NRGBA {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		panic("style: bad colour " + hex) // the table below is constant
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: uint8(opacity*255 + 0.5)}
}

func line(key, hex string, width float64, dashed bool) Style {
	return Style{Key: key, Stroke: parse(hex, 1), StrokeWidth: width, Dashed: dashed}
}

func area(key, strokeHex string, width float64, dashed bool, fillHex string, opacity float64) Style {
	return Style{Key: key, Stroke: parse(strokeHex, 1), StrokeWidth: width, Dashed: dashed, Fill: parse(fillHex, opacity), Filled: true}
}

func point(key, hex string) Style {
	return Style{Key: key, Stroke: parse(hex, 1), StrokeWidth: 1, Point: true}
}

// AreaColours are the fills of the five areas (片区), by feature id.
var AreaColours = map[string]string{
	"area-cbd":              "#f3a7a0",
	"area-shuizhuhu":        "#a6cee3",
	"area-taiyang":          "#fdd08a",
	"area-jinshan":          "#cab2e6",
	"area-hetang-moonlight": "#b9e3a1",
}

// CityColours are the outline colours of the two cities, by feature id.
var CityColours = map[string]string{"city-materials": "#a0175e", "city-logistics": "#1f5fa8"}

// For returns the style of feature id (with property values props) of layer.
// Layers the page does not know get a neutral grey.
func For(layer, id string, props map[string]any) Style {
	str := func(k string) string { s, _ := props[k].(string); return s }
	switch layer {
	case "district":
		return Style{Key: layer, Stroke: parse("#263238", 1), StrokeWidth: 3, Dashed: true}
	case "neighbours":
		return area(layer, "#ffffff", 1.5, false, "#d6d9d2", 0.7)
	case "areas":
		fill, ok := AreaColours[id]
		if !ok {
			fill, id = "#dddddd", "other"
		}
		return area(layer+"-"+id, "#ffffff", 2, false, fill, 0.55)
	case "agriculture":
		return area(layer, "#238443", 1.5, true, "#78c679", 0.3)
	case "services":
		switch str("kind") {
		case "belt":
			return area(layer+"-belt", "#c51b8a", 1.5, false, "#f768a1", 0.35)
		case "centre":
			return area(layer+"-centre", "#980043", 2, false, "#e7298a", 0.45)
		}
		return area(layer+"-zone", "#dd3497", 1.5, true, "#fcc5c0", 0.3)
	case "corridor":
		return area(layer, "#e66101", 1.5, true, "#fdae61", 0.22)
	case "bases":
		return area(layer, "#542788", 1.5, false, "#8073ac", 0.4)
	case "cities":
		c, ok := CityColours[id]
		if !ok {
			c, id = "#333333", "other"
		}
		// The page hatches the cities; files get a light fill of the outline colour.
		return area(layer+"-"+id, c, 2.5, true, c, 0.15)
	case "roads":
		if str("class") == "vertical" {
			return line(layer+"-vertical", "#7a4a12", 3.5, false)
		}
		return line(layer+"-horizontal", "#c58b32", 3, false)
	case "chain":
		return line(layer, "#1a9850", 4, true)
	case "axis":
		return line(layer, "#d7301f", 6, false)
	case "chain_nodes":
		return point(layer, "#1a9850")
	case "places":
		return point(layer, "#37474f")
	}
	return area("default", "#555555", 2, false, "#555555", 0.15)
}
