// Package decimal reads the numbers the service takes from outside —
// coordinates and numeric parameters — in one strict grammar:
//
//	[+-]? digits [. digits]? ([eE] [+-]? digits)?   (also ".5" and "5.")
//
// that is, plain decimal notation. Go's strconv.ParseFloat also accepts
// hexadecimal floats (0x1p-2), digit separators (1_13.17), "Inf", "NaN"
// and "infinity"; a person who types one of those has made a mistake, so
// they are refused here with a message that says what to write instead.
// Values must be finite.
package decimal

import (
	"errors"
	"strconv"
)

// MaxLen is the longest number text accepted (digits, sign, point and
// exponent); no coordinate needs more.
const MaxLen = 64

// Errors, wrapped by *Error.
var (
	ErrEmpty    = errors.New("empty; give a decimal number")
	ErrSyntax   = errors.New("not a decimal number (digits with an optional sign, decimal point and exponent, e.g. 113.17 or -2.5e3)")
	ErrTooLong  = errors.New("longer than 64 characters")
	ErrRange    = errors.New("out of range (too large for a number)")
	ErrNotWhole = errors.New("not a whole number")
)

// Error is a number that cannot be read: Text is the input, Err one of the
// errors above.
type Error struct {
	Text string
	Err  error
}

func (e *Error) Error() string { return "decimal: " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Valid reports whether s is a number in the grammar (not whether it is in
// range).
func Valid(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intDigits := digits(s, &i)
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		fracDigits = digits(s, &i)
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits(s, &i) == 0 {
			return false
		}
	}
	return i == len(s)
}

func digits(s string, i *int) int {
	n := 0
	for *i < len(s) && s[*i] >= '0' && s[*i] <= '9' {
		*i++
		n++
	}
	return n
}

// Parse reads s (no surrounding space) as a finite float64.
func Parse(s string) (float64, error) {
	switch {
	case s == "":
		return 0, &Error{Text: s, Err: ErrEmpty}
	case len(s) > MaxLen:
		return 0, &Error{Text: s, Err: ErrTooLong}
	case !Valid(s):
		return 0, &Error{Text: s, Err: ErrSyntax}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// The grammar leaves only overflow: ParseFloat gives ±Inf with ErrRange.
		return 0, &Error{Text: s, Err: ErrRange}
	}
	return v, nil
}

// ParseInt reads s (no surrounding space) as a whole number in decimal
// digits with an optional sign. A whole number too large for an int64 is
// ErrRange.
func ParseInt(s string) (int64, error) {
	switch {
	case s == "":
		return 0, &Error{Text: s, Err: ErrEmpty}
	case len(s) > MaxLen:
		return 0, &Error{Text: s, Err: ErrTooLong}
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	if digits(s, &i) == 0 || i != len(s) {
		if Valid(s) {
			return 0, &Error{Text: s, Err: ErrNotWhole}
		}
		return 0, &Error{Text: s, Err: ErrSyntax}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, &Error{Text: s, Err: ErrRange}
	}
	return v, nil
}
