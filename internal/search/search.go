// Package search finds what people type in the layout: names (exact,
// prefix, substring), curated aliases (株洲站 → 株洲火车站, 区政府 → 荷塘区人民政府;
// geodata/aliases.csv), full pinyin and initials (jsxc → 金山新城片区; the table
// geodata/pinyin.tsv), near misses (edit distance), English names, and
// coordinates in decimal degrees, degrees-minutes-seconds or Gauss–Krüger
// metres in any supported frame (internal/intake detects which). Results are
// ranked by how well they match, areas first among equals, then cities,
// bases and the rest.
//
// GET /api/v1/search?q=&limit=10[&crs=]
package search

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/text/width"

	"hetang/internal/layout"
)

// Match kinds (Result.Match).
const (
	MatchExact      = "exact"
	MatchAlias      = "alias"
	MatchPrefix     = "prefix"
	MatchSubstring  = "substring"
	MatchPinyin     = "pinyin"
	MatchInitials   = "initials"
	MatchFuzzy      = "fuzzy"
	MatchCoordinate = "coordinate"
)

// Kind of a result: the layer's feature kind, or "coordinate".
const KindCoordinate = "coordinate"

// layerKind names the result kind of each searchable layer, in rank order:
// areas first.
var layerKind = []struct{ layer, kind string }{
	{"areas", "area"}, {"cities", "city"}, {"bases", "base"}, {"chain_nodes", "chain_node"},
	{"services", "service"}, {"agriculture", "agriculture"}, {"axis", "axis"}, {"corridor", "corridor"},
	{"chain", "chain"}, {"roads", "road"}, {"places", "place"},
}

// Result is one hit.
type Result struct {
	Kind   string      `json:"kind"`
	Layer  string      `json:"layer,omitempty"`
	ID     string      `json:"id,omitempty"`
	NameZH string      `json:"name_zh"`
	NameEN string      `json:"name_en"`
	Match  string      `json:"match"`
	Score  float64     `json:"score"`
	Center [2]float64  `json:"center"`
	BBox   *[4]float64 `json:"bbox,omitempty"`
	// Alias is the alias that matched (match "alias").
	Alias string `json:"alias,omitempty"`
	// Coordinate results: the frame assumed, why, and the area there.
	CRS      string `json:"crs,omitempty"`
	ReasonZH string `json:"reason_zh,omitempty"`
	ReasonEN string `json:"reason_en,omitempty"`
	AreaID   string `json:"area_id,omitempty"`
	rank     int
}

// entry is one searchable feature.
type entry struct {
	r        Result
	zh, en   string // normalised names
	py, ini  string // pinyin of name_zh without spaces, and its initials
	zhRunes  []rune
	aliases  []string
	aliasRaw []string
}

// Index is the search index of one layout version.
type Index struct {
	entries []*entry
}

// Data are the curated inputs: the pinyin table and the aliases.
type Data struct {
	Pinyin  map[rune][]string
	Aliases []Alias
}

// Alias maps a name people use to a feature id, with its source.
type Alias struct{ Alias, Target, Source string }

// ReadData reads pinyin.tsv and aliases.csv from fsys (the geodata FS).
func ReadData(fsys fs.FS) (*Data, error) {
	d := &Data{Pinyin: map[rune][]string{}}
	b, err := fs.ReadFile(fsys, "pinyin.tsv")
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c, py, ok := strings.Cut(line, "\t")
		r, n := utf8.DecodeRuneInString(c)
		if !ok || n != len(c) || py == "" {
			return nil, fmt.Errorf("search: pinyin.tsv line %d: want CHAR<TAB>pinyin", i+1)
		}
		d.Pinyin[r] = strings.Split(py, ",")
	}
	f, err := fsys.Open("aliases.csv")
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil || strings.Join(head, ",") != "alias,target,source" {
		return nil, errors.New("search: aliases.csv must start with the header alias,target,source")
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("search: aliases.csv: %w", err)
		}
		if strings.TrimSpace(rec[2]) == "" {
			return nil, fmt.Errorf("search: alias %s has no source", rec[0])
		}
		d.Aliases = append(d.Aliases, Alias{rec[0], rec[1], rec[2]})
	}
	return d, nil
}

// PinyinOf returns the toneless pinyin of s's Han characters joined without
// spaces, their initials, and the characters the table lacks.
func (d *Data) PinyinOf(s string) (full, initials string, missing []rune) {
	var fb, ib strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			py, ok := d.Pinyin[r]
			if !ok {
				missing = append(missing, r)
				continue
			}
			fb.WriteString(py[0])
			ib.WriteByte(py[0][0])
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			fb.WriteRune(unicode.ToLower(r))
			ib.WriteRune(unicode.ToLower(r))
		}
	}
	return fb.String(), ib.String(), missing
}

// normalize folds what people type: width, case, spaces and punctuation
// that does not distinguish names.
func normalize(s string) string {
	s = width.Fold.String(s)
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '·' || r == '-' || r == '—' || r == '(' || r == ')' || r == '（' || r == '）' || r == '_' || r == '\'' {
			return -1
		}
		return r
	}, s)
}

// NewIndex builds the index of ly's searchable layers.
func NewIndex(ly *layout.Layout, d *Data) *Index {
	ix := &Index{}
	byID := map[string]*entry{}
	for rank, lk := range layerKind {
		l, err := ly.Layer(lk.layer)
		if err != nil {
			continue
		}
		for _, f := range l.Features {
			zh, _ := f.Properties[layout.PropNameZH].(string)
			en, _ := f.Properties[layout.PropNameEN].(string)
			e := &entry{r: Result{Kind: lk.kind, Layer: l.ID, ID: f.ID, NameZH: zh, NameEN: en, rank: rank}, zh: normalize(zh), en: normalize(en)}
			e.zhRunes = []rune(e.zh)
			e.py, e.ini, _ = d.PinyinOf(zh)
			if f.Geometry != nil {
				b := f.Geometry.Bound()
				e.r.BBox = &[4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
				e.r.Center = center(f.Geometry)
			}
			ix.entries = append(ix.entries, e)
			byID[f.ID] = e
		}
	}
	for _, a := range d.Aliases {
		if e, ok := byID[a.Target]; ok {
			e.aliases = append(e.aliases, normalize(a.Alias))
			e.aliasRaw = append(e.aliasRaw, a.Alias)
		}
	}
	return ix
}

// center is where a map should centre on a feature: a point itself, a
// polygon's centroid, a line's middle vertex.
func center(g orb.Geometry) [2]float64 {
	switch x := g.(type) {
	case orb.Point:
		return [2]float64{x[0], x[1]}
	case orb.Polygon, orb.MultiPolygon:
		c, _ := planar.CentroidArea(x)
		return [2]float64{c[0], c[1]}
	case orb.LineString:
		m := x[len(x)/2]
		return [2]float64{m[0], m[1]}
	case orb.MultiLineString:
		longest := orb.LineString{}
		for _, l := range x {
			if len(l) > len(longest) {
				longest = l
			}
		}
		if len(longest) > 0 {
			return center(longest)
		}
	}
	c := g.Bound().Center()
	return [2]float64{c[0], c[1]}
}

// MaxQuery is the longest query in runes.
const MaxQuery = 100

// Search returns up to limit results for q, best first.
func (ix *Index) Search(q string, limit int) []Result {
	nq := normalize(q)
	if nq == "" {
		return []Result{}
	}
	qr := []rune(nq)
	ascii := isASCII(nq)
	var out []Result
	for _, e := range ix.entries {
		r, ok := e.match(nq, qr, ascii)
		if ok {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		si, sj := out[i].Score+kindBonus(out[i].rank), out[j].Score+kindBonus(out[j].rank)
		if si != sj {
			return si > sj
		}
		if out[i].rank != out[j].rank {
			return out[i].rank < out[j].rank
		}
		return utf8.RuneCountInString(out[i].NameZH) < utf8.RuneCountInString(out[j].NameZH)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i].Score = math.Round(out[i].Score*1000) / 1000
	}
	if out == nil {
		out = []Result{}
	}
	return out
}

// kindBonus ranks areas first among matches of similar quality: small
// enough that an exact name beats another kind's prefix match.
func kindBonus(rank int) float64 {
	return 0.06 * float64(len(layerKind)-rank) / float64(len(layerKind))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (e *entry) match(nq string, qr []rune, ascii bool) (Result, bool) {
	r := e.r
	best := 0.0
	set := func(score float64, m string) {
		if score > best {
			best, r.Match = score, m
		}
	}
	switch {
	case nq == e.zh || nq == e.en:
		set(1, MatchExact)
	case strings.HasPrefix(e.zh, nq):
		set(0.85+0.1*float64(len(qr))/float64(len(e.zhRunes)), MatchPrefix)
	case strings.Contains(e.zh, nq):
		set(0.7+0.1*float64(len(qr))/float64(len(e.zhRunes)), MatchSubstring)
	}
	for i, a := range e.aliases {
		switch {
		case nq == a:
			if 0.97 > best {
				set(0.97, MatchAlias)
				r.Alias = e.aliasRaw[i]
			}
		case strings.HasPrefix(a, nq) && len(qr) >= 2:
			if 0.8 > best {
				set(0.8, MatchAlias)
				r.Alias = e.aliasRaw[i]
			}
		}
	}
	if ascii && len(nq) >= 2 {
		switch {
		case e.en != "" && strings.HasPrefix(e.en, nq):
			set(0.8+0.1*float64(len(nq))/float64(len(e.en)), MatchPrefix)
		case e.en != "" && len(nq) >= 3 && strings.Contains(e.en, nq):
			set(0.65, MatchSubstring)
		}
		switch {
		case nq == e.py:
			set(0.95, MatchPinyin)
		case strings.HasPrefix(e.py, nq) && len(nq) >= 3:
			set(0.75+0.15*float64(len(nq))/float64(len(e.py)), MatchPinyin)
		}
		switch {
		case nq == e.ini:
			set(0.9, MatchInitials)
		case strings.HasPrefix(e.ini, nq):
			set(0.7+0.2*float64(len(nq))/float64(len(e.ini)), MatchInitials)
		}
	}
	if best < 0.7 && len(qr) >= 2 {
		// near misses: the edit distance to the name, or to its start of the
		// query's length (a typo in a prefix).
		d := editDistance(qr, e.zhRunes)
		if len(e.zhRunes) > len(qr) {
			d = min(d, editDistance(qr, e.zhRunes[:len(qr)])+1)
		}
		allowed := max(1, len(qr)/3)
		if d <= allowed {
			set(0.6*(1-float64(d)/float64(len(qr)+1)), MatchFuzzy)
		}
		if ascii && e.en != "" && len(nq) >= 4 {
			en := []rune(e.en)
			if len(en) > len(qr) {
				en = en[:len(qr)]
			}
			if d := editDistance(qr, en); d <= max(1, len(qr)/4) {
				set(0.55*(1-float64(d)/float64(len(qr)+1)), MatchFuzzy)
			}
		}
	}
	r.Score = best
	return r, best > 0
}

// editDistance is the Levenshtein distance between a and b in runes.
func editDistance(a, b []rune) int {
	if len(a) > MaxQuery || len(b) > 4*MaxQuery {
		return math.MaxInt32
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// cache holds the index of the current data version.
type cache struct {
	mu      sync.Mutex
	version string
	ix      *Index
}

func (c *cache) get(ly *layout.Layout, d *Data) *Index {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix == nil || c.version != ly.Version {
		c.ix, c.version = NewIndex(ly, d), ly.Version
	}
	return c.ix
}
