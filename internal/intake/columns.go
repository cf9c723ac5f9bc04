package intake

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/width"
)

// GeometryKind says where a record's geometry comes from.
type GeometryKind string

// Geometry kinds.
const (
	GeometryXY       GeometryKind = "xy"       // two coordinate columns
	GeometryWKT      GeometryKind = "wkt"      // one WKT column
	GeometryFeature  GeometryKind = "geometry" // the format's own geometry (GeoJSON, Shapefile, GeoPackage)
	GeometryFlatJSON GeometryKind = "members"  // NDJSON objects with coordinate members
)

// GeometrySpec names the geometry source of a tabular input.
type GeometrySpec struct {
	Kind   GeometryKind `json:"kind"`
	X      string       `json:"x,omitempty"`
	Y      string       `json:"y,omitempty"`
	Column string       `json:"column,omitempty"`
	// XIndex, YIndex, WKTIndex are the 0-based columns (-1 when unused).
	XIndex   int `json:"-"`
	YIndex   int `json:"-"`
	WKTIndex int `json:"-"`
}

// role is what a column name says about its content.
type role int

const (
	roleNone role = iota
	roleLon
	roleLat
	roleX
	roleY
	roleWKT
)

// Column names by role, normalised by NormalizeName. Chinese survey tables
// call the northing "X" and the easting "Y" (纵坐标/横坐标 likewise); the
// magnitudes decide the axis order later, so the names only pair up here.
var roleNames = map[role][]string{
	roleLon: {"lon", "lng", "long", "longitude", "经度", "东经", "经度(°)", "经度°"},
	roleLat: {"lat", "latitude", "纬度", "北纬", "纬度(°)", "纬度°"},
	roleX:   {"x", "x坐标", "xcoord", "x_coord", "easting", "east", "东坐标", "东向坐标", "横坐标", "x(m)", "坐标x"},
	roleY:   {"y", "y坐标", "ycoord", "y_coord", "northing", "north", "北坐标", "北向坐标", "纵坐标", "y(m)", "坐标y"},
	roleWKT: {"wkt", "geometry", "geom", "the_geom", "wkt_geometry", "shape", "几何", "图形"},
}

var nameRole = func() map[string]role {
	m := map[string]role{}
	for r, names := range roleNames {
		for _, n := range names {
			m[n] = r
		}
	}
	return m
}()

// roleOf is the role a normalised column name says, also when the name
// ends in a unit or note in brackets, as survey tables write them:
// X坐标(m), 经度(°), 纬度（N）, X(北坐标), 经度(CGCS2000).
func roleOf(n string) role {
	if r, ok := nameRole[n]; ok {
		return r
	}
	if i := strings.LastIndexByte(n, '('); i > 0 && strings.HasSuffix(n, ")") {
		return nameRole[n[:i]]
	}
	return roleNone
}

// NormalizeName folds a column name for matching: BOM, quotes and spaces
// removed, full-width forms narrowed, lower case.
func NormalizeName(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	s = width.Fold.String(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '"', '\'', '\u3000', '\ufeff':
			return -1
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, "（", "(")
	s = strings.ReplaceAll(s, "）", ")")
	return strings.ToLower(s)
}

// detectColumns finds the geometry columns of a header. x, y and wkt are
// the caller's explicit choices ("" to detect).
func detectColumns(header []string, x, y, wkt string) (GeometrySpec, error) {
	spec := GeometrySpec{XIndex: -1, YIndex: -1, WKTIndex: -1}
	find := func(param, name string) (int, error) {
		want := NormalizeName(name)
		for i, h := range header {
			if NormalizeName(h) == want {
				return i, nil
			}
		}
		return -1, inputErr("参数 %s=%s 指定的列不存在；表头为：%s", "%s=%s names no column; the header is: %s", param, Echo(name), echoList(header))
	}
	if wkt != "" {
		i, err := find("wkt", wkt)
		if err != nil {
			return spec, err
		}
		spec.Kind, spec.Column, spec.WKTIndex = GeometryWKT, header[i], i
		return spec, nil
	}
	if x != "" || y != "" {
		if x == "" || y == "" {
			return spec, inputErr("x= 与 y= 须同时给出", "give both x= and y= (the easting/longitude and northing/latitude columns)")
		}
		xi, err := find("x", x)
		if err != nil {
			return spec, err
		}
		yi, err := find("y", y)
		if err != nil {
			return spec, err
		}
		spec.Kind, spec.X, spec.Y, spec.XIndex, spec.YIndex = GeometryXY, header[xi], header[yi], xi, yi
		return spec, nil
	}
	byRole := map[role][]int{}
	for i, h := range header {
		if r := roleOf(NormalizeName(h)); r != roleNone {
			byRole[r] = append(byRole[r], i)
		}
	}
	names := func(ix []int) string {
		var s []string
		for _, i := range ix {
			s = append(s, header[i])
		}
		return echoList(s)
	}
	for _, r := range []role{roleLon, roleLat, roleX, roleY, roleWKT} {
		if len(byRole[r]) > 1 {
			return spec, inputErr("有多列可作同一坐标：%s；请用 x=、y= 或 wkt= 指定用哪一列",
				"several columns could hold the same coordinate: %s; say which with x=, y= or wkt=", names(byRole[r]))
		}
	}
	type set struct {
		name string
		a, b role
	}
	var complete []set
	for _, s := range []set{{"lon/lat", roleLon, roleLat}, {"x/y", roleX, roleY}} {
		na, nb := len(byRole[s.a]), len(byRole[s.b])
		switch {
		case na == 1 && nb == 1:
			complete = append(complete, s)
		case na == 1 || nb == 1:
			have := byRole[s.a]
			if nb == 1 {
				have = byRole[s.b]
			}
			if len(byRole[roleWKT]) == 0 && len(complete) == 0 {
				return spec, inputErr("表头有坐标列 %s 但缺少与之配对的另一列；请用 x= 和 y= 指定", "the header has the coordinate column %s but not its partner; name both with x= and y=", names(have))
			}
		}
	}
	nSets := len(complete) + len(byRole[roleWKT])
	if nSets > 1 {
		var desc []string
		for _, s := range complete {
			desc = append(desc, s.name+" ("+names([]int{byRole[s.a][0], byRole[s.b][0]})+")")
		}
		if len(byRole[roleWKT]) == 1 {
			desc = append(desc, "wkt ("+names(byRole[roleWKT])+")")
		}
		d := Echo(strings.Join(desc, "; "))
		ie := inputErr("有两组可用的坐标列：%s；请用 x=&y= 或 wkt= 指定用哪一组", "two candidate coordinate column sets: %s; choose one with x=&y= or wkt=", d)
		for _, s := range complete {
			xi, yi := byRole[s.a][0], byRole[s.b][0]
			ie.choices = append(ie.choices, GeometrySpec{Kind: GeometryXY, X: header[xi], Y: header[yi], XIndex: xi, YIndex: yi, WKTIndex: -1})
		}
		if len(byRole[roleWKT]) == 1 {
			wi := byRole[roleWKT][0]
			ie.choices = append(ie.choices, GeometrySpec{Kind: GeometryWKT, Column: header[wi], XIndex: -1, YIndex: -1, WKTIndex: wi})
		}
		return spec, ie
	}
	switch {
	case len(complete) == 1:
		s := complete[0]
		spec.Kind, spec.XIndex, spec.YIndex = GeometryXY, byRole[s.a][0], byRole[s.b][0]
		spec.X, spec.Y = header[spec.XIndex], header[spec.YIndex]
	case len(byRole[roleWKT]) == 1:
		spec.Kind, spec.WKTIndex = GeometryWKT, byRole[roleWKT][0]
		spec.Column = header[spec.WKTIndex]
	default:
		return spec, inputErr("表头 %s 中找不到坐标列：需要 经度/纬度（lon/lat、lng）、X坐标/Y坐标（x/y）、东坐标/北坐标 或 wkt 列，或用 x=、y=、wkt= 指定",
			"the header %s has no coordinate columns: it needs lon/lat (lng, 经度/纬度), x/y (X坐标/Y坐标, 东坐标/北坐标) or a wkt column, or name them with x=, y= or wkt=", echoList(header))
	}
	return spec, nil
}

// maxHeaderScan is how many non-blank rows of a table are looked at for
// its header: sheets and Excel's CSV exports often start with a title row
// (merged over the columns) or a two-row header above the data.
const maxHeaderScan = 10

// headerLike reports whether a row can be the header: it names a
// coordinate column, or the columns the caller named.
func headerLike(row []string, opt Options) bool {
	named := []string{opt.X, opt.Y, opt.WKT}
	for _, h := range row {
		n := NormalizeName(h)
		if n == "" {
			continue
		}
		if opt.X == "" && opt.Y == "" && opt.WKT == "" {
			if roleOf(n) != roleNone {
				return true
			}
			continue
		}
		for _, c := range named {
			if c != "" && NormalizeName(c) == n {
				return true
			}
		}
	}
	return false
}

// pickHeader chooses the header among the first non-blank rows of a table
// (at most maxHeaderScan): the first row that is headerLike, else the first
// row (whose column detection then says what is missing). An empty cell of
// the header takes the name in the same column of the row above when that
// row is the upper part of a two-row header (a name merged over two
// columns, "坐标" over 经度 and 纬度, leaves the cells below other merged
// names empty); a one-cell title row lends nothing. skipped is how many
// rows lie above the header.
func pickHeader(rows [][]string, opt Options) (header []string, skipped int) {
	at := 0
	for i, r := range rows {
		if headerLike(r, opt) {
			at = i
			break
		}
	}
	header = slices.Clone(rows[at])
	if at > 0 {
		above := rows[at-1]
		filled := 0
		for _, c := range above {
			if strings.TrimSpace(c) != "" {
				filled++
			}
		}
		if filled > 1 {
			for len(header) < len(above) {
				header = append(header, "")
			}
			for i := range header {
				if strings.TrimSpace(header[i]) == "" && i < len(above) {
					header[i] = above[i]
				}
			}
		}
	}
	return header, at
}

// skippedWarning says that rows above the header were not read as data.
func skippedWarning(n int) string {
	return fmt.Sprintf("%d row(s) above the header (a title?) were skipped", n)
}

// uniqueNames gives every column a name of its own, for answers that key
// cells by name (GeoJSON properties, NDJSON members, the page's table): an
// empty name becomes field_N (N the 1-based column, as GDAL names them) and
// a repeated one gets _2, _3 …, so no cell is lost to a later one of the
// same name. Detection has already run on the names as read.
func uniqueNames(cols []string) []string {
	if cols == nil {
		return nil
	}
	out := make([]string, len(cols))
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		seen[c] = true
	}
	used := map[string]bool{}
	for i, c := range cols {
		name := c
		if strings.TrimSpace(c) == "" {
			name = fmt.Sprintf("field_%d", i+1)
		}
		for k := 2; used[name] || name != c && seen[name]; k++ {
			name = fmt.Sprintf("%s_%d", strings.TrimSpace(c), k)
			if strings.TrimSpace(c) == "" {
				name = fmt.Sprintf("field_%d_%d", i+1, k)
			}
		}
		used[name] = true
		out[i] = name
	}
	return out
}

// detectTable finds a table's geometry columns as detectColumns does; with
// opt.FirstColumns, two candidate sets are not an error: the first (lon/lat,
// then x/y, then wkt) is read and all are returned, with a warning.
func detectTable(header []string, opt Options) (spec GeometrySpec, choices []GeometrySpec, warn string, err error) {
	spec, err = detectColumns(header, opt.X, opt.Y, opt.WKT)
	if !opt.FirstColumns {
		return spec, nil, "", err
	}
	// The candidates, also when the caller chose among them, so that the
	// choice can be changed again.
	_, auto := detectColumns(header, "", "", "")
	var ie *InputError
	if !errors.As(auto, &ie) || len(ie.choices) < 2 {
		return spec, nil, "", err
	}
	if err != nil {
		return ie.choices[0], ie.choices, ie.EN + " (the first is previewed)", nil
	}
	return spec, ie.choices, "", nil
}
