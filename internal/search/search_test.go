package search

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"hetang/geodata"
	"hetang/internal/fixture"
	"hetang/internal/plandata"
)

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	st := fixture.Store(t)
	return fixture.Server(t, fixture.Config(t), st, New(st, geodata.FS))
}

func search(t *testing.T, srv *httptest.Server, q string, extra string) (int, Answer, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/api/v1/search?q=" + url.QueryEscape(q) + extra)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a Answer
	_ = json.Unmarshal(b, &a)
	return resp.StatusCode, a, string(b)
}

// cs2cs converts lon/lat to EPSG:4547 easting, northing with PROJ's tool.
func cs2cs(t *testing.T, lon, lat float64) (float64, float64) {
	t.Helper()
	if _, err := exec.LookPath("cs2cs"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cs2cs is not installed")
		}
		t.Skip("cs2cs not installed")
	}
	cmd := exec.Command("cs2cs", "-f", "%.3f", "EPSG:4326", "EPSG:4547")
	cmd.Stdin = strings.NewReader(strconv.FormatFloat(lat, 'f', -1, 64) + " " + strconv.FormatFloat(lon, 'f', -1, 64) + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	n, _ := strconv.ParseFloat(f[0], 64)
	e, _ := strconv.ParseFloat(f[1], 64)
	return e, n
}

// TestSearchWhatPeopleType: the queries planners type, with what must come first.
func TestSearchWhatPeopleType(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		q, extra  string
		wantFirst string // id, or "coordinate"
		wantMatch string
		wantArea  string // coordinate results: the area there
	}{
		{q: "株洲站", wantFirst: "place-zhuzhou-station", wantMatch: MatchAlias},
		{q: "株洲火车站", wantFirst: "place-zhuzhou-station", wantMatch: MatchExact},
		{q: "荷塘区政府", wantFirst: "place-district-government", wantMatch: MatchAlias},
		{q: "区政府", wantFirst: "place-district-government", wantMatch: MatchAlias},
		{q: "金山", wantFirst: "area-jinshan", wantMatch: MatchPrefix},
		{q: "jsxc", wantFirst: "area-jinshan", wantMatch: MatchInitials},
		{q: "jinshanxincheng", wantFirst: "area-jinshan", wantMatch: MatchPinyin},
		{q: "shuizhuhu", wantFirst: "area-shuizhuhu", wantMatch: MatchPrefix}, // the English name "Shuizhuhu area"
		{q: "xianyuling", wantFirst: "node-xianyuling", wantMatch: MatchPinyin},
		{q: "水竹湖", wantFirst: "area-shuizhuhu", wantMatch: MatchAlias},
		{q: "水竹湖片", wantFirst: "area-shuizhuhu", wantMatch: MatchPrefix},
		{q: "红旗路", wantFirst: "road-hongqi", wantMatch: MatchExact},
		{q: "金山新成片区", wantFirst: "area-jinshan", wantMatch: MatchFuzzy}, // a typo
		{q: "Jinshan New City", wantFirst: "area-jinshan", wantMatch: MatchPrefix},
		{q: "材料科技城", wantFirst: "city-materials", wantMatch: MatchExact},
		{q: "113.17,27.86", wantFirst: "coordinate", wantMatch: MatchCoordinate, wantArea: "area-shuizhuhu"},
		{q: `27°51'36"N 113°10'12"E`, wantFirst: "coordinate", wantMatch: MatchCoordinate, wantArea: "area-shuizhuhu"},
		{q: "N27.86 E113.17", wantFirst: "coordinate", wantMatch: MatchCoordinate, wantArea: "area-shuizhuhu"},
		{q: "27.86N 113.17E", wantFirst: "coordinate", wantMatch: MatchCoordinate, wantArea: "area-shuizhuhu"},
		{q: "北27.86 东113.17", wantFirst: "coordinate", wantMatch: MatchCoordinate, wantArea: "area-shuizhuhu"},
		// as Chinese documents write them
		{q: "东经113°10′12″ 北纬27°51′36″", wantFirst: "coordinate", wantMatch: MatchCoordinate, wantArea: "area-shuizhuhu"},
		{q: "北纬27°51′36″，东经113°10′12″", wantFirst: "coordinate", wantMatch: MatchCoordinate, wantArea: "area-shuizhuhu"},
		{q: "421200 3082500", wantFirst: "coordinate", wantMatch: MatchCoordinate},
		{q: "3082500 421200", wantFirst: "coordinate", wantMatch: MatchCoordinate},
		{q: "38421200,3082500", wantFirst: "coordinate", wantMatch: MatchCoordinate},
		{q: "113.17,27.86", extra: "&crs=GCJ02", wantFirst: "coordinate", wantMatch: MatchCoordinate},
	}
	for _, tc := range tests {
		t.Run(tc.q+tc.extra, func(t *testing.T) {
			status, a, body := search(t, srv, tc.q, tc.extra)
			if status != 200 || len(a.Results) == 0 {
				t.Fatalf("status %d: %s", status, body)
			}
			got := a.Results[0]
			id := got.ID
			if got.Kind == KindCoordinate {
				id = "coordinate"
			}
			if id != tc.wantFirst || got.Match != tc.wantMatch {
				t.Fatalf("first %s (%s, %s %.3f), want %s (%s); all: %s", id, got.NameZH, got.Match, got.Score, tc.wantFirst, tc.wantMatch, body)
			}
			if tc.wantArea != "" && got.AreaID != tc.wantArea {
				t.Errorf("coordinate in %q, want %q", got.AreaID, tc.wantArea)
			}
			if got.Kind == KindCoordinate && tc.extra == "" && strings.Contains(got.ReasonEN, "crs parameter") {
				t.Errorf("no crs= was given, but the reason says %q", got.ReasonEN)
			}
		})
	}
}

// TestSearchCoordinatesAgreeWithPROJ: a GK pair typed either way round lands
// where PROJ's cs2cs says the WGS84 point is.
func TestSearchCoordinatesAgreeWithPROJ(t *testing.T) {
	srv := newServer(t)
	lon, lat := 113.21, 27.9
	e, n := cs2cs(t, lon, lat)
	for _, q := range []string{
		strconv.FormatFloat(e, 'f', 3, 64) + " " + strconv.FormatFloat(n, 'f', 3, 64),
		strconv.FormatFloat(n, 'f', 3, 64) + "," + strconv.FormatFloat(e, 'f', 3, 64),
		"38" + strconv.FormatFloat(e, 'f', 3, 64) + " " + strconv.FormatFloat(n, 'f', 3, 64),
	} {
		_, a, body := search(t, srv, q, "")
		if len(a.Results) == 0 || a.Results[0].Kind != KindCoordinate {
			t.Fatalf("%s: %s", q, body)
		}
		c := a.Results[0].Center
		if math.Abs(c[0]-lon) > 1e-7 || math.Abs(c[1]-lat) > 1e-7 {
			t.Errorf("%s → %v, want %v,%v", q, c, lon, lat)
		}
		if a.Results[0].AreaID != "area-jinshan" || a.Results[0].ReasonZH == "" {
			t.Errorf("%s: %+v", q, a.Results[0])
		}
	}
}

func TestSearchAreasFirst(t *testing.T) {
	srv := newServer(t)
	_, a, body := search(t, srv, "金山", "&limit=50")
	if len(a.Results) < 4 {
		t.Fatalf("%s", body)
	}
	seenOther := false
	for _, r := range a.Results {
		if r.Kind != "area" {
			seenOther = true
		} else if seenOther {
			t.Fatalf("an area after another kind: %s", body)
		}
	}
}

func TestSearchBadInput(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		q, extra string
		status   int
		substr   string
	}{
		{"", "", 400, "q is required"},
		{strings.Repeat("金", 101), "", 400, "at most 100"},
		{"金山", "&limit=0", 400, "limit"},
		{"金山", "&limit=51", 400, "limit"},
		{"113.17,27.86", "&crs=EPSG:999999", 400, "crs"},
		{"\xff\xfe", "", 400, "UTF-8"},
		{"zzzzqqqq", "", 200, `"results":[]`},
	}
	for _, tc := range tests {
		status, _, body := search(t, srv, tc.q, tc.extra)
		if status != tc.status || !strings.Contains(body, tc.substr) {
			t.Errorf("q=%q%s: %d %s, want %d containing %q", tc.q, tc.extra, status, body, tc.status, tc.substr)
		}
	}
}

// TestPinyinTableCoversNames: every Han character of every name and alias
// has a pinyin (the table is generated; see geodata/README.md).
func TestPinyinTableCoversNames(t *testing.T) {
	d, err := ReadData(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	ly, err := plandata.Build(geodata.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, lk := range layerKind {
		l, err := ly.Layer(lk.layer)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range l.Features {
			zh, _ := f.Properties["name_zh"].(string)
			if _, _, miss := d.PinyinOf(zh); len(miss) > 0 {
				t.Errorf("%s %s: no pinyin for %q", l.ID, f.ID, string(miss))
			}
		}
	}
	for _, a := range d.Aliases {
		if _, _, miss := d.PinyinOf(a.Alias); len(miss) > 0 {
			t.Errorf("alias %s: no pinyin for %q", a.Alias, string(miss))
		}
		found := false
		for _, l := range ly.Layers {
			for _, f := range l.Features {
				found = found || f.ID == a.Target
			}
		}
		if !found {
			t.Errorf("alias %s → %s: no such feature", a.Alias, a.Target)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"金山新城", "金山新成", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"株洲站", "株洲站", 0}} {
		if got := editDistance([]rune(tc.a), []rune(tc.b)); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

// FuzzSearch: any query is answered without panicking, within the limit.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"株洲站", "jsxc", "113.17,27.86", `27°51'36"N 113°10'12"E`, "421200 3082500", "N", "°", "金山新成", ""} {
		f.Add(s)
	}
	d, err := ReadData(geodata.FS)
	if err != nil {
		f.Fatal(err)
	}
	ly, err := plandata.Build(geodata.FS)
	if err != nil {
		f.Fatal(err)
	}
	ix := NewIndex(ly, d)
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 4*MaxQuery {
			return
		}
		if rs := ix.Search(q, 10); len(rs) > 10 {
			t.Fatalf("%d results", len(rs))
		}
		if p, geo, ok := parsePair(q); ok {
			_, _, _ = coordinateResult(p, geo, "")
		}
	})
}
