package apierr

import (
	"strconv"
	"unicode/utf8"
)

// MaxEcho is the most bytes of a client's input that an error message
// repeats.
const MaxEcho = 200

// Quote returns a client's input quoted for an error message: in Go's
// double-quoted syntax (control characters and bytes that are not UTF-8
// are escaped, so the result is valid UTF-8 and one line), cut to its
// first MaxEcho bytes at a rune boundary, with "…" and the full length
// when it was cut: "abc"… (7900000 bytes).
func Quote(s string) string {
	if len(s) <= MaxEcho {
		return strconv.Quote(s)
	}
	cut := MaxEcho
	for cut > 0 && cut > MaxEcho-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
