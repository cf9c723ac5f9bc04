package search

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paulmach/orb"
	"golang.org/x/text/width"

	"hetang/internal/intake"
)

var (
	hemiLetters = regexp.MustCompile(`[NSEWnsew北南东西]`)
	separators  = regexp.MustCompile(`[\s,;，、；]+`)
)

// parsePair reads a coordinate pair as people type it: "113.17,27.86",
// "421200 3082500", `27°51'36"N 113°10'12"E`, "N27.86 E113.17". It
// returns the pair in typed order, or with hemispheres (lon, lat) and
// geographic true.
func parsePair(q string) (p orb.Point, geographic bool, ok bool) {
	s := strings.TrimSpace(width.Fold.String(q))
	if s == "" || len(s) > 120 {
		return p, false, false
	}
	var parts []string
	locs := hemiLetters.FindAllStringIndex(s, -1)
	switch len(locs) {
	case 2:
		if locs[0][0] == 0 { // prefixed: N27… E113…
			parts = []string{s[:locs[1][0]], s[locs[1][0]:]}
		} else { // suffixed: 27…N 113…E
			parts = []string{s[:locs[0][1]], s[locs[0][1]:]}
		}
	case 0:
		parts = separators.Split(s, -1)
	default:
		return p, false, false
	}
	if len(parts) != 2 {
		return p, false, false
	}
	var v [2]float64
	var h [2]byte
	for i, part := range parts {
		part = strings.Trim(strings.TrimSpace(part), ",;，、；")
		x, hemi, ok := intake.ParseValue(part)
		if !ok {
			return p, false, false
		}
		v[i], h[i] = x, hemi
	}
	if h[0] != 0 || h[1] != 0 {
		isLat := func(c byte) bool { return c == intake.HemiN || c == intake.HemiS }
		switch {
		case isLat(h[0]) && !isLat(h[1]):
			return orb.Point{v[1], v[0]}, true, true
		case isLat(h[1]) && !isLat(h[0]):
			return orb.Point{v[0], v[1]}, true, true
		}
		return p, false, false
	}
	return orb.Point{v[0], v[1]}, false, true
}

// coordinateResult resolves a typed pair to WGS84 (crsName, or detected)
// and names it.
func coordinateResult(p orb.Point, geographic bool, crsName string) (Result, bool, error) {
	byLetters := geographic && crsName == ""
	if byLetters {
		crsName = "CRS84"
	}
	w, info, ok, err := intake.ResolvePoint(p, crsName)
	if err != nil || !ok {
		return Result{}, false, err
	}
	if byLetters {
		// Hemisphere letters or degree signs say it: no crs= was given.
		info.Source = intake.SourceDetected
		info.ReasonZH = "带南北/东西标记或度分秒的经纬度，按 WGS84 经纬度读取"
		info.ReasonEN = "latitude and longitude marked with N/S/E/W or degrees: read as WGS84"
	}
	r := Result{
		Kind: KindCoordinate, Match: MatchCoordinate, Score: 1, Center: [2]float64{w[0], w[1]},
		NameZH:   fmt.Sprintf("坐标 %.6f, %.6f", w[0], w[1]),
		NameEN:   fmt.Sprintf("coordinate %.6f, %.6f (WGS84 lon, lat)", w[0], w[1]),
		CRS:      info.Code,
		ReasonZH: info.ReasonZH, ReasonEN: info.ReasonEN,
	}
	return r, true, nil
}

func orbPoint(c [2]float64) orb.Point { return orb.Point{c[0], c[1]} }
