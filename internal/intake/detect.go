package intake

import (
	"fmt"

	"github.com/paulmach/orb"

	"hetang/internal/crs"
)

// Ranges that tell coordinate systems apart by their numbers, for inputs in
// and around China.
const (
	lonMin, lonMax = 73.0, 136.0 // China's longitudes
	latMin, latMax = 3.0, 54.0   // China's latitudes
	// CGCS2000 3° Gauss–Krüger eastings without the zone prefix (a false
	// easting of 500 km; the 3° zones reach about ±170 km).
	gkEastMin, gkEastMax = 300_000.0, 700_000.0
	// The same with the zone number 38 in front (CM 114°E).
	gk38EastMin, gk38EastMax = 38_300_000.0, 38_700_000.0
	// Northings in China (metres from the equator); Hetang's are ~3.08 million.
	northMin, northMax = 2_000_000.0, 6_000_000.0
	// Web Mercator metres over China.
	mercXMin, mercXMax = 8_100_000.0, 15_200_000.0
	mercYMin, mercYMax = 300_000.0, 7_200_000.0
)

func in(v, lo, hi float64) bool { return v >= lo && v <= hi }

// guess is what one point's numbers suggest.
type guess struct {
	c    crs.CRS
	swap bool
}

func classify(p orb.Point) (guess, bool) {
	x, y := p[0], p[1]
	switch {
	case in(x, lonMin, lonMax) && in(y, latMin, latMax):
		return guess{c: crs.CRS84}, true
	case in(y, lonMin, lonMax) && in(x, latMin, latMax):
		return guess{c: crs.CRS84, swap: true}, true
	case in(x, gkEastMin, gkEastMax) && in(y, northMin, northMax):
		return guess{c: crs.CGCSGK}, true
	case in(y, gkEastMin, gkEastMax) && in(x, northMin, northMax):
		return guess{c: crs.CGCSGK, swap: true}, true
	case in(x, gk38EastMin, gk38EastMax) && in(y, northMin, northMax):
		return guess{c: crs.CGCSGK38}, true
	case in(y, gk38EastMin, gk38EastMax) && in(x, northMin, northMax):
		return guess{c: crs.CGCSGK38, swap: true}, true
	case in(x, mercXMin, mercXMax) && in(y, mercYMin, mercYMax):
		return guess{c: crs.WebMerc}, true
	}
	return guess{}, false
}

// maxSample is how many points detection looks at.
const maxSample = 1000

// detectCRS guesses the system of sample points (as read, first coordinate
// first) by majority. ok is false when no point looks like any system.
func detectCRS(sample []orb.Point) (info CRSInfo, c crs.CRS, ok bool) {
	votes := map[guess]int{}
	var best guess
	for _, p := range sample {
		g, ok := classify(p)
		if !ok {
			continue
		}
		votes[g]++
		if votes[g] > votes[best] {
			best = g
		}
	}
	n := votes[best]
	if n == 0 {
		if len(sample) == 0 {
			return CRSInfo{Code: crs.CRS84.Code, Name: crs.CRS84.Name, Source: SourceDefault,
				ReasonZH: "没有可读的坐标，按 WGS84 经纬度处理", ReasonEN: "no readable coordinates; taken as WGS84 longitude/latitude"}, crs.CRS84, false
		}
		p := sample[0]
		return CRSInfo{Code: crs.CRS84.Code, Name: crs.CRS84.Name, Source: SourceDefault,
			ReasonZH: fmt.Sprintf("坐标数值（如 %g, %g）不像经纬度、CGCS2000 高斯-克吕格（EPSG:4547/4526）或 Web 墨卡托，按 WGS84 经纬度处理；请用 crs= 指定坐标系", p[0], p[1]),
			ReasonEN: fmt.Sprintf("the numbers (e.g. %g, %g) look like none of lon/lat degrees, CGCS2000 Gauss–Krüger (EPSG:4547/4526) or Web Mercator; taken as WGS84 lon/lat: say which with crs=", p[0], p[1])}, crs.CRS84, false
	}
	share := ""
	shareEN := ""
	if n < len(sample) {
		share = fmt.Sprintf("（%d/%d 个点符合）", n, len(sample))
		shareEN = fmt.Sprintf(" (%d of %d points fit)", n, len(sample))
	}
	info = CRSInfo{Code: best.c.Code, Name: best.c.Name, Source: SourceDetected, SwapXY: best.swap}
	switch best.c.Code {
	case crs.CRS84.Code:
		info.ReasonZH = "数值为中国范围内的经纬度（度），按 WGS84 处理；若来自高德/腾讯请选 GCJ02，来自百度请选 BD09" + share
		info.ReasonEN = "values are longitude/latitude degrees in China → WGS84; choose GCJ02 for Amap/Tencent or BD09 for Baidu coordinates" + shareEN
		if best.swap {
			info.ReasonZH = "第一列为纬度、第二列为经度（数值判断），已交换；按 WGS84 处理" + share
			info.ReasonEN = "the first coordinate is the latitude and the second the longitude (by magnitude), swapped; → WGS84" + shareEN
		}
	case crs.CGCSGK.Code:
		info.ReasonZH = "东坐标约 30–70 万米且无带号 → CGCS2000 3度带高斯-克吕格 中央经线114°E（EPSG:4547）" + share
		info.ReasonEN = "eastings of 300 000–700 000 m without a zone prefix → CGCS2000 3° Gauss–Krüger CM 114°E (EPSG:4547)" + shareEN
	case crs.CGCSGK38.Code:
		info.ReasonZH = "东坐标带 38 带号（3830–3870 万米）→ CGCS2000 3度带高斯-克吕格 第38带（EPSG:4526）" + share
		info.ReasonEN = "eastings with the zone-38 prefix (38 300 000–38 700 000 m) → CGCS2000 3° Gauss–Krüger zone 38 (EPSG:4526)" + shareEN
	case crs.WebMerc.Code:
		info.ReasonZH = "数值为中国范围的 Web 墨卡托米（EPSG:3857）" + share
		info.ReasonEN = "values are Web Mercator metres over China (EPSG:3857)" + shareEN
	}
	if best.swap && best.c.Projected {
		info.ReasonZH += "；X 列为北坐标、Y 列为东坐标（测量习惯），已交换"
		info.ReasonEN += "; X holds the northing and Y the easting (the survey convention), swapped"
	}
	return info, best.c, true
}

// detectSwap tells, for a system given by the caller or the file, whether
// the first coordinate is the northing/latitude (by magnitude, by majority).
func detectSwap(c crs.CRS, sample []orb.Point) bool {
	swapped, straight := 0, 0
	for _, p := range sample {
		g, ok := classify(p)
		if !ok || !(g.c.Code == c.Code || !c.Projected && !g.c.Projected) {
			continue
		}
		if g.swap {
			swapped++
		} else {
			straight++
		}
	}
	return swapped > straight
}

// Candidates are the systems a page's selector offers first for an input
// detected as c: c, then the others in order of likelihood here.
func Candidates(first string) []string {
	order := []string{crs.CRS84.Code, crs.CGCSGK.Code, crs.CGCSGK38.Code, crs.CGCS.Code, crs.GCJ02.Code, crs.BD09.Code, crs.WebMerc.Code}
	out := []string{}
	if first != "" {
		out = append(out, first)
	}
	for _, c := range order {
		if c != first {
			out = append(out, c)
		}
	}
	return out
}

// ResolvePoint reads one coordinate pair (first coordinate first, as
// typed) in the system crsName names, or, when crsName is "", in the system
// its numbers suggest; axes are swapped when the magnitudes say the first
// is the northing or latitude. It returns the WGS84 point and what was
// assumed; ok is false when the numbers fit no system and none was given.
func ResolvePoint(p orb.Point, crsName string) (w orb.Point, info CRSInfo, ok bool, err error) {
	var c crs.CRS
	if crsName != "" {
		def, err := CRSNameDef(crsName)
		if err != nil {
			return w, info, false, err
		}
		fr, err := NewFrame(def)
		if err != nil {
			return w, info, false, err
		}
		info = CRSInfo{Code: fr.code, Name: fr.name, Source: SourceParameter, ReasonZH: "由 crs 参数指定", ReasonEN: "given by the crs parameter"}
		if fr.IsKnown && detectSwap(fr.Known, []orb.Point{p}) {
			p = orb.Point{p[1], p[0]}
			info.SwapXY = true
		}
		w, err = fr.ToWGS84(p)
		if err != nil || !finite(w[0]) || !finite(w[1]) || w[0] < -180 || w[0] > 180 || w[1] < -90 || w[1] > 90 {
			return w, info, false, nil
		}
		return w, info, true, nil
	}
	info, c, ok = detectCRS([]orb.Point{p})
	if !ok {
		return w, info, false, nil
	}
	if info.SwapXY {
		p = orb.Point{p[1], p[0]}
	}
	w, err = c.ToWGS84(p)
	if err != nil || !finite(w[0]) || !finite(w[1]) {
		return w, info, false, nil
	}
	return w, info, true, nil
}
