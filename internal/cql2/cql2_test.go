package cql2

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

// village is a point feature inside the square (113.2 27.9)–(113.3 28.0):
//
//	28.0 +-------------+
//	     |             |
//	     |   * village |  (113.25, 27.95)
//	     |             |
//	27.9 +-------------+
//	   113.2         113.3
var (
	villageProps = map[string]any{"id": "v1", "kind": "village", "name_en": "Lianxing Village", "plan_order": float64(3), "key": true, "note": nil}
	villageGeom  = orb.Point{113.25, 27.95}
)

func TestParseEval(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		want   bool
	}{
		{"equal string", "kind = 'village'", true},
		{"equal string false", "kind = 'road'", false},
		{"not equal", "kind <> 'road'", true},
		{"keyword case", "kind = 'village' and plan_order = 3", true},
		{"number less", "plan_order < 4", true},
		{"number greater equal", "plan_order >= 3.5", false},
		{"number less equal", "plan_order <= 3", true},
		{"number greater", "plan_order > -1e3", true},
		{"literal on the left", "3 = plan_order", true},
		{"boolean property", "key = TRUE", true},
		{"boolean literal predicate", "TRUE", true},
		{"quoted property", `"kind" = 'village'`, true},
		{"mixed types are unknown", "kind = 3", false},
		{"not of unknown is unknown", "NOT (kind = 3)", false},
		{"like prefix", "name_en LIKE 'Lian%'", true},
		{"like underscore", "name_en LIKE 'Lianxin_ Village'", true},
		{"like no match", "name_en LIKE 'Xian%'", false},
		{"like escaped percent", `name_en LIKE 'Lian\%'`, false},
		{"not like", "name_en NOT LIKE 'Xian%'", true},
		{"in", "kind IN ('road', 'village')", true},
		{"not in", "kind NOT IN ('road', 'village')", false},
		{"in numbers", "plan_order IN (1, 2, 3)", true},
		{"is null on nil", "note IS NULL", true},
		{"is null on absent", "missing IS NULL", true},
		{"is not null", "kind IS NOT NULL", true},
		{"null comparison is unknown", "missing = 'x'", false},
		{"null comparison negated is unknown", "NOT missing = 'x'", false},
		{"or with unknown", "missing = 'x' OR kind = 'village'", true},
		{"and precedence", "kind = 'road' AND plan_order = 1 OR key = TRUE", true},
		{"parentheses", "kind = 'road' AND (plan_order = 1 OR key = TRUE)", false},
		{"not", "NOT kind = 'road'", true},
		{"string with quote", "name_en = 'O''Brien'", false},
		{"intersects point in bbox", "S_INTERSECTS(geometry, BBOX(113.2, 27.9, 113.3, 28.0))", true},
		{"intersects bbox outside", "S_INTERSECTS(geometry, BBOX(113.0, 27.0, 113.1, 27.1))", false},
		{"intersects polygon", "S_INTERSECTS(geometry, POLYGON((113.2 27.9, 113.3 27.9, 113.3 28.0, 113.2 28.0, 113.2 27.9)))", true},
		{"intersects multipolygon", "S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((113.2 27.9, 113.3 27.9, 113.3 28.0, 113.2 27.9))))", true},
		{"intersects literal first", "s_intersects(POINT(113.25 27.95), geometry)", true},
		{"intersects line through", "S_INTERSECTS(geometry, LINESTRING(113.2 27.9, 113.3 28.0))", true},
		{"intersects line past", "S_INTERSECTS(geometry, LINESTRING(113.2 27.9, 113.3 27.91))", false},
		{"intersects multipoint", "S_INTERSECTS(geometry, MULTIPOINT((1 1), (113.25 27.95)))", true},
		{"intersects multilinestring", "S_INTERSECTS(geometry, MULTILINESTRING((0 0, 1 1), (113.25 27.9, 113.25 28)))", true},
		{"spatial and attribute", "S_INTERSECTS(geometry, BBOX(113.2, 27.9, 113.3, 28.0)) AND kind = 'village'", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.filter)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.filter, err)
			}
			f, err := Compile(e)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := f.Match(villageProps, villageGeom); got != tc.want {
				t.Errorf("Match(%q) = %v, want %v (parsed as %s)", tc.filter, got, tc.want, e)
			}
			// The rendering parses back to an expression with the same result.
			e2, err := Parse(e.String())
			if err != nil {
				t.Fatalf("Parse(String()) of %q: %v", e.String(), err)
			}
			if diff := cmp.Diff(e.String(), e2.String()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		filter  string
		wantPos int
		wantMsg string
	}{
		{"empty", "  ", 0, "empty filter"},
		{"unterminated string", "kind = 'village", 7, "unterminated string"},
		{"missing operand", "kind = ", 7, "expected a property name or a literal, found end of filter"},
		{"missing operator", "kind 'village'", 5, "expected a comparison operator"},
		{"bang equal", "kind != 'x'", 5, `"!=" is not CQL2`},
		{"trailing garbage", "kind = 'a' 'b'", 11, "missing AND/OR"},
		{"unclosed paren", "(kind = 'a'", 11, `expected ")"`},
		{"bad IS", "kind IS 3", 8, "expected NULL after IS"},
		{"between unsupported", "plan_order BETWEEN 1 AND 3", 11, "BETWEEN is not supported"},
		{"unknown function", "upper(kind) = 'A'", 0, "function upper is not supported"},
		{"bbox arity", "S_INTERSECTS(geometry, BBOX(1, 2, 3))", 23, "BBOX takes 4 numbers"},
		{"unclosed ring", "S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))", 31, "not closed"},
		{"unsupported geometry", "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 1)))", 23, "GEOMETRYCOLLECTION is not supported"},
		{"two properties", "S_INTERSECTS(geometry, geom)", 23, "found two properties"},
		{"3D point", "S_INTERSECTS(geometry, POINT(1 2 3))", 33, "only 2D"},
		{"keyword as property", "AND = 1", 0, "found the keyword AND"},
		{"in list", "kind IN ('a' 'b')", 13, `expected "," or ")"`},
		{"bad char", "kind = #", 7, "unexpected character"},
		{"invalid utf8", "kind = \xff", 7, "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.filter)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tc.filter, err)
			}
			if se.Pos != tc.wantPos || !strings.Contains(se.Msg, tc.wantMsg) {
				t.Errorf("Parse(%q) = position %d %q, want position %d containing %q", tc.filter, se.Pos, se.Msg, tc.wantPos, tc.wantMsg)
			}
		})
	}
}

func TestDepthLimit(t *testing.T) {
	_, err := Parse(strings.Repeat("(", 500) + "a = 1" + strings.Repeat(")", 500))
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "nested") {
		t.Fatalf("deep nesting: got %v, want a nesting error", err)
	}
}

func TestPropertiesAndTransform(t *testing.T) {
	e, err := Parse("kind = 'a' AND (plan_order > 1 OR name_en IN (kind, 'x')) AND S_INTERSECTS(geometry, POINT(27.95 113.25))")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kind", "plan_order", "name_en"}, Properties(e)); diff != "" {
		t.Errorf("Properties (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"geometry"}, GeometryProperties(e)); diff != "" {
		t.Errorf("GeometryProperties (-want +got):\n%s", diff)
	}
	swap := func(g orb.Geometry) (orb.Geometry, error) { p := g.(orb.Point); return orb.Point{p[1], p[0]}, nil }
	if err := TransformGeometries(e, swap); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.String(), "POINT(113.25 27.95)") {
		t.Errorf("after transform: %s", e)
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		s, pattern string
		want       bool
	}{
		{"", "", true},
		{"", "%", true},
		{"a", "", false},
		{"荷塘区", "荷%", true},
		{"荷塘区", "_塘_", true},
		{"荷塘区", "__", false},
		{"50%", `50\%`, true},
		{"500", `50\%`, false},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%a%a%a%a%a%c", false},
	}
	for _, tc := range tests {
		if got := like(tc.s, tc.pattern); got != tc.want {
			t.Errorf("like(%q, %q) = %v, want %v", tc.s, tc.pattern, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"kind = 'village'",
		"plan_order >= 3 AND NOT (name_en LIKE 'X%' OR kind IN ('a', 'b'))",
		`"kind" IS NOT NULL`,
		"S_INTERSECTS(geometry, POLYGON((113.2 27.9, 113.3 27.9, 113.3 28.0, 113.2 27.9)))",
		"S_INTERSECTS(geometry, BBOX(113.2, 27.9, 113.3, 28.0))",
		"S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))))",
		"S_INTERSECTS(geometry, MULTIPOINT(1 2, 3 4))",
		"S_INTERSECTS(LINESTRING(0 0, 1 1), geometry)",
		"a <> -1.5e3 OR b < 2 OR c > 'x' OR d <= TRUE",
		"name_en = 'O''Brien'",
		"TRUE",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T, want *SyntaxError", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q) error position %d outside the input", s, se.Pos)
			}
			return
		}
		// What parses renders to text that parses to the same rendering.
		e2, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, e.String(), err)
		}
		if e.String() != e2.String() {
			t.Fatalf("round trip changed %q to %q", e.String(), e2.String())
		}
		flt, err := Compile(e)
		if err != nil {
			return
		}
		flt.Match(villageProps, villageGeom)
	})
}
