package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hetang/internal/fixture"
	"hetang/internal/layout"
	"hetang/internal/mediatype"
)

// TestAnswersNameTheirVersion: the JSON body of every query endpoint names
// the layout version it was answered from in a layout_version member (as
// /healthz and /api/v1/versions do), equal to the Hetang-Layout-Version
// header, for the current version and for an earlier one asked for with
// ?version=.
func TestAnswersNameTheirVersion(t *testing.T) {
	ctx := context.Background()
	st := fixture.WritableStore(t)
	base := st.Current()
	places, err := base.Layout.Layer(layout.LayerPlaces)
	if err != nil {
		t.Fatal(err)
	}
	ly := *places
	ly.Features = slices.Clone(places.Features)
	ly.Description = "changed by TestAnswersNameTheirVersion"
	next, err := st.ReplaceLayer(ctx, &ly, "answers-test")
	if err != nil {
		t.Fatal(err)
	}
	if next.Version.N == base.Version.N {
		t.Fatalf("the commit did not make a new version: %d", next.Version.N)
	}
	srv := httptest.NewServer(newTestHandler(t, testConfig(t), st))
	t.Cleanup(srv.Close)

	parcel := `{"type":"Polygon","coordinates":[[[113.16,27.85],[113.17,27.85],[113.17,27.86],[113.16,27.86],[113.16,27.85]]]}`
	points := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Point","coordinates":[113.17,27.86]}},` +
		`{"type":"Feature","properties":{"name":"b"},"geometry":` + parcel + `}]}`
	tests := []struct {
		name, method, path, ctype, body string
		ndjson                          bool     // the body is NDJSON: every line names the version
		members                         []string // dotted paths to the members that must name it
	}{
		{name: "point locate", method: "GET", path: "/api/v1/locate?lon=113.17&lat=27.86", members: []string{"layout_version"}},
		{name: "parcel locate", method: "POST", path: "/api/v1/locate", ctype: mediatype.GeoJSON, body: parcel, members: []string{"layout_version"}},
		{name: "distance", method: "GET", path: "/api/v1/distance?from=113.17,27.86&to=113.2,27.9", members: []string{"layout_version"}},
		{name: "nearest", method: "GET", path: "/api/v1/nearest?lon=113.17&lat=27.86&layer=roads", members: []string{"layout_version"}},
		{name: "batch NDJSON", method: "POST", path: "/api/v1/locate/batch", ctype: mediatype.NDJSON,
			body: `{"lon":113.17,"lat":27.86}` + "\n" + `{"lon":113.3,"lat":27.9}` + "\n", ndjson: true, members: []string{"layout_version"}},
		{name: "batch GeoJSON", method: "POST", path: "/api/v1/locate/batch", ctype: mediatype.GeoJSON, body: points,
			members: []string{"layout_version", "features.0.properties.locate.layout_version", "features.1.properties.locate.layout_version"}},
		{name: "search", method: "GET", path: "/api/v1/search?q=" + "金山", members: []string{"layout_version"}},
		{name: "point report", method: "GET", path: "/api/v1/report?lon=113.17&lat=27.86", members: []string{"layout_version", "answers.layout_version"}},
		{name: "parcel report", method: "POST", path: "/api/v1/report", ctype: mediatype.GeoJSON, body: parcel, members: []string{"layout_version", "answers.layout_version"}},
		{name: "catalog", method: "GET", path: "/api/v1/layers", members: []string{"layout_version"}},
		// OGC API answers carry no member of ours; the header still names
		// the version, and ?version= is taken like everywhere else.
		{name: "OGC API items", method: "GET", path: "/ogcapi/collections/places/items?limit=2"},
		{name: "OGC API feature", method: "GET", path: "/ogcapi/collections/places/items/" + places.Features[0].ID},
		{name: "OGC API collection", method: "GET", path: "/ogcapi/collections/places"},
	}
	for _, tc := range tests {
		for _, want := range []int64{next.Version.N, base.Version.N} {
			t.Run(tc.name+" v"+strconv.FormatInt(want, 10), func(t *testing.T) {
				url := srv.URL + tc.path
				if want != next.Version.N {
					sep := "?"
					if strings.Contains(url, "?") {
						sep = "&"
					}
					url += sep + "version=" + strconv.FormatInt(want, 10)
				}
				req, err := http.NewRequest(tc.method, url, strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.ctype != "" {
					req.Header.Set("Content-Type", tc.ctype)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body bytes.Buffer
				_, _ = body.ReadFrom(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%d: %s", resp.StatusCode, body.Bytes())
				}
				if got := resp.Header.Get("Hetang-Layout-Version"); got != strconv.FormatInt(want, 10) {
					t.Fatalf("Hetang-Layout-Version %q, want %d", got, want)
				}
				docs := [][]byte{body.Bytes()}
				if tc.ndjson {
					docs = nil
					sc := bufio.NewScanner(&body)
					for sc.Scan() {
						docs = append(docs, slices.Clone(sc.Bytes()))
					}
					if len(docs) < 2 {
						t.Fatalf("%d NDJSON lines, want 2", len(docs))
					}
				}
				for _, doc := range docs {
					var v any
					if err := json.Unmarshal(doc, &v); err != nil {
						t.Fatalf("%v: %s", err, doc)
					}
					for _, m := range tc.members {
						if got, ok := member(v, m).(float64); !ok || got != float64(want) {
							t.Errorf("%s = %v, want %d", m, member(v, m), want)
						}
					}
				}
			})
		}
	}

	// A TileJSON of an earlier version points at that version's tiles (the
	// current one at the current tiles), so a map never mixes the two.
	for _, want := range []int64{next.Version.N, base.Version.N} {
		url := srv.URL + "/tiles/places.json"
		if want != next.Version.N {
			url += "?version=" + strconv.FormatInt(want, 10)
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		var tj struct {
			Tiles []string `json:"tiles"`
		}
		err = json.NewDecoder(resp.Body).Decode(&tj)
		resp.Body.Close()
		if err != nil || len(tj.Tiles) != 1 {
			t.Fatalf("TileJSON: %v, %v", tj, err)
		}
		tile := strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0").Replace(tj.Tiles[0])
		resp, err = http.Get(tile)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Hetang-Layout-Version"); resp.StatusCode != http.StatusOK || got != strconv.FormatInt(want, 10) {
			t.Errorf("the TileJSON of version %d leads to %s: %d, version %q", want, tj.Tiles[0], resp.StatusCode, got)
		}
	}
}

// member follows a dotted path (object keys and array indexes) into a
// decoded JSON value; nil when it leads nowhere.
func member(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
