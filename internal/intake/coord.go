package intake

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/width"

	"hetang/internal/decimal"
)

// Hemisphere letters a coordinate value may carry (0 when none).
const (
	HemiN = 'N'
	HemiS = 'S'
	HemiE = 'E'
	HemiW = 'W'
)

// dmsRe matches degrees, minutes and seconds in the spellings people type:
// 27°51'36"N, N27°51′36″, 27度51分36秒, 27:51:36, 27 51 36 N, 113.17E
// (东经/北纬 … are read as E/N … first).
var dmsRe = regexp.MustCompile(`^([NSEW北南东西]?)\s*(-?[0-9]+(?:\.[0-9]*)?)\s*(?:°|度|:|\s|d)\s*(?:([0-9]+(?:\.[0-9]*)?)\s*(?:'|′|分|:|\s|m)?\s*(?:([0-9]+(?:\.[0-9]*)?)\s*(?:"|″|''|′′|秒|s)?)?)?\s*([NSEW北南东西]?)$`)

// hemiWords are the two-character hemisphere words of Chinese documents
// (东经113°10′12″, 北纬27°51′36″), read as the letters.
var hemiWords = strings.NewReplacer("东经", "E", "西经", "W", "北纬", "N", "南纬", "S")

var hemiOf = map[string]byte{"N": HemiN, "S": HemiS, "E": HemiE, "W": HemiW, "北": HemiN, "南": HemiS, "东": HemiE, "西": HemiW}

// ParseValue parses one coordinate value: a decimal number (metres or
// degrees; full-width digits and a trailing hemisphere letter accepted) or
// degrees-minutes-seconds. S and W make it negative. hemi is the hemisphere
// letter given, or 0.
func ParseValue(s string) (v float64, hemi byte, ok bool) {
	// The common case first: a plain decimal, without allocating.
	if t := strings.TrimSpace(s); plainNumber(t) && decimal.Valid(t) {
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return f, 0, !math.IsInf(f, 0)
		}
	}
	t := strings.TrimSpace(width.Fold.String(s))
	t = hemiWords.Replace(strings.ToUpper(t))
	if t == "" || len(t) > 64 {
		return 0, 0, false
	}
	if decimal.Valid(t) {
		f, err := decimal.Parse(t)
		return f, 0, err == nil
	}
	m := dmsRe.FindStringSubmatch(t)
	if m == nil {
		// a bare decimal with a hemisphere letter before or after it:
		// 113.17E, N27.86, 北27.86
		for h, hemi := range hemiOf {
			num, found := strings.CutSuffix(t, h)
			if !found {
				num, found = strings.CutPrefix(t, h)
			}
			if !found {
				continue
			}
			if f, err := decimal.Parse(strings.TrimSpace(num)); err == nil {
				return signed(f, hemi), hemi, true
			}
		}
		return 0, 0, false
	}
	if m[1] != "" && m[5] != "" {
		return 0, 0, false
	}
	h := hemiOf[m[1]+m[5]]
	deg, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		return 0, 0, false
	}
	var mins, secs float64
	if m[3] != "" {
		if mins, err = strconv.ParseFloat(m[3], 64); err != nil || mins >= 60 {
			return 0, 0, false
		}
	}
	if m[4] != "" {
		if secs, err = strconv.ParseFloat(m[4], 64); err != nil || secs >= 60 {
			return 0, 0, false
		}
	}
	if m[3] == "" && m[4] == "" && h == 0 && !strings.ContainsAny(t, "°度") {
		return 0, 0, false
	}
	neg := deg < 0 || strings.HasPrefix(m[2], "-")
	v = math.Abs(deg) + mins/60 + secs/3600
	if neg {
		v = -v
	}
	return signed(v, h), h, true
}

func signed(v float64, h byte) float64 {
	if h == HemiS || h == HemiW {
		return -math.Abs(v)
	}
	return v
}

// plainNumber reports whether t has only the bytes of a decimal number
// (digits, sign, point, exponent), so strconv reads it as one: no NaN, Inf
// or hexadecimal.
func plainNumber(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}
