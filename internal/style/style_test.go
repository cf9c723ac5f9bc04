package style

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestMatchesPage reads the page's cartography (web/static/js/layers.js) and checks
// that every colour this package uses appears there with the same role, so the
// files and the page stay in step when either changes.
func TestMatchesPage(t *testing.T) {
	b, err := os.ReadFile("../../web/static/js/layers.js")
	if err != nil {
		t.Fatalf("the page's cartography (web/static/js/layers.js) moved? %v", err)
	}
	js := string(b)
	for id, hex := range AreaColours {
		if !regexp.MustCompile(`'` + regexp.QuoteMeta(id) + `':\s*'` + hex + `'`).MatchString(js) {
			t.Errorf("area %s: colour %s not in the page's AREA_COLOURS", id, hex)
		}
	}
	for id, hex := range CityColours {
		if !strings.Contains(js, `'`+id+`': '`+hex+`'`) {
			t.Errorf("city %s: colour %s not in the page's CITY_COLOURS", id, hex)
		}
	}
	for _, tc := range []struct {
		layer, id string
		props     map[string]any
	}{
		{"district", "", nil}, {"neighbours", "", nil}, {"agriculture", "", nil},
		{"services", "", map[string]any{"kind": "belt"}}, {"services", "", map[string]any{"kind": "centre"}}, {"services", "", map[string]any{"kind": "zone"}},
		{"corridor", "", nil}, {"bases", "", nil},
		{"roads", "", map[string]any{"class": "vertical"}}, {"roads", "", map[string]any{"class": "horizontal"}},
		{"chain", "", nil}, {"axis", "", nil}, {"chain_nodes", "", nil}, {"places", "", nil},
	} {
		s := For(tc.layer, tc.id, tc.props)
		for _, c := range []string{Hex(s.Stroke), Hex(s.Fill)} {
			if c == "#000000" && !s.Filled {
				continue
			}
			if !strings.Contains(js, "'"+c+"'") {
				t.Errorf("%s %v: colour %s is not used by the page", tc.layer, tc.props, c)
			}
		}
	}
}

func TestForKeys(t *testing.T) {
	a := For("areas", "area-cbd", nil)
	b := For("areas", "area-jinshan", nil)
	if a.Key == b.Key || a.Fill == b.Fill {
		t.Errorf("two areas share style %q / %v", a.Key, a.Fill)
	}
	if got := For("areas", "area-cbd", nil).Fill.A; got != 140 {
		t.Errorf("area fill alpha = %d, want 140 (0.55 opacity)", got)
	}
	if s := For("district", "", nil); s.Filled {
		t.Error("the district boundary is an outline only")
	}
	if s := For("places", "", nil); !s.Point {
		t.Error("places are points")
	}
}
