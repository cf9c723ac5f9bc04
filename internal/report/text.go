package report

import (
	"os"
	"strings"
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	"github.com/paulmach/orb"
)

// The PDF uses two Debian fonts, each embedded as a subset with a
// ToUnicode map (so pdftotext and screen readers get the text back):
// DejaVu Sans (fonts-dejavu-core) for Latin, digits and symbols, and Droid
// Sans Fallback (fonts-droid-fallback) for Chinese, which it covers but
// Latin it does not. Text is split into runs by script and each run is set
// in its font.
const (
	fontLatin = "latin"
	fontCJK   = "cjk"
)

// LatinFontPaths are where the Latin font is looked for; HETANG_REPORT_LATIN_FONT overrides.
var LatinFontPaths = []string{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"}

// LatinFontEnv names the environment variable overriding LatinFontPaths.
const LatinFontEnv = "HETANG_REPORT_LATIN_FONT"

var latinFont = sync.OnceValues(func() ([]byte, error) {
	paths := LatinFontPaths
	if p := os.Getenv(LatinFontEnv); p != "" {
		paths = []string{p}
	}
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, ErrNoFont
})

// isCJK reports whether r is set in the CJK font.
func isCJK(r rune) bool {
	return r >= 0x2E80 || unicode.Is(unicode.Han, r)
}

// writer sets mixed Chinese/Latin text on a page.
type writer struct {
	pdf  *fpdf.Fpdf
	size float64
	// placed are the boxes of the map labels set so far.
	placed []orb.Bound
}

type run struct {
	s   string
	cjk bool
}

func runs(s string) []run {
	var out []run
	var b strings.Builder
	cur := false
	for i, r := range s {
		c := isCJK(r)
		if i > 0 && c != cur && b.Len() > 0 {
			out = append(out, run{b.String(), cur})
			b.Reset()
		}
		cur = c
		b.WriteRune(r)
	}
	if b.Len() > 0 {
		out = append(out, run{b.String(), cur})
	}
	return out
}

func (w *writer) font(cjk bool) {
	if cjk {
		w.pdf.SetFont(fontCJK, "", w.size)
	} else {
		w.pdf.SetFont(fontLatin, "", w.size)
	}
}

// setSize sets the text size in points.
func (w *writer) setSize(pt float64) { w.size = pt }

// width is the width of s in mm at the current size.
func (w *writer) width(s string) float64 {
	var t float64
	for _, r := range runs(s) {
		w.font(r.cjk)
		t += w.pdf.GetStringWidth(r.s)
	}
	return t
}

// text sets s with its baseline at (x, y).
func (w *writer) text(x, y float64, s string) {
	for _, r := range runs(s) {
		w.font(r.cjk)
		w.pdf.Text(x, y, r.s)
		x += w.pdf.GetStringWidth(r.s)
	}
}

// line sets s in a line of height h whose top is at y, aligned left, or
// right of the box [x, x+boxW] when right is true.
func (w *writer) line(x, y, h, boxW float64, s string, right bool) {
	if right {
		x += boxW - w.width(s)
	}
	w.text(x, y+h*0.75, s)
}

// wrap breaks s into lines no wider than maxW: Chinese may break between
// any two characters, Latin text at spaces when it can. Newlines in s
// start new lines.
func (w *writer) wrap(s string, maxW float64) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		rs := []rune(para)
		start := 0
		for start < len(rs) {
			end := start
			lastSpace := -1
			for end < len(rs) && w.width(string(rs[start:end+1])) <= maxW {
				if rs[end] == ' ' {
					lastSpace = end
				}
				end++
			}
			if end == len(rs) {
				out = append(out, string(rs[start:]))
				break
			}
			if end == start {
				end = start + 1 // a glyph wider than the line
			}
			cut := end
			// Do not split a Latin word: go back to its last space.
			if !isCJK(rs[end]) && rs[end] != ' ' && lastSpace > start && end > 0 && !isCJK(rs[end-1]) {
				cut = lastSpace
			}
			// Chinese closing punctuation stays with the text before it.
			for cut < len(rs) && strings.ContainsRune("，。、；：）”》！？", rs[cut]) && cut > start+1 {
				cut--
			}
			out = append(out, strings.TrimRight(string(rs[start:cut]), " "))
			start = cut
			for start < len(rs) && rs[start] == ' ' {
				start++
			}
		}
		if len(rs) == 0 {
			out = append(out, "")
		}
	}
	return out
}

// para sets s wrapped to width maxW from (x, y), line height h, at most
// maxLines lines (the last one ending in an ellipsis when cut), and returns
// the y below it.
func (w *writer) para(x, y, maxW, h float64, s string, maxLines int) float64 {
	lines := w.wrap(s, maxW)
	if maxLines > 0 && len(lines) > maxLines {
		lines = lines[:maxLines]
		last := []rune(lines[maxLines-1])
		for len(last) > 0 && w.width(string(last)+"…") > maxW {
			last = last[:len(last)-1]
		}
		lines[maxLines-1] = string(last) + "…"
	}
	for _, l := range lines {
		w.line(x, y, h, maxW, l, false)
		y += h
	}
	return y
}
