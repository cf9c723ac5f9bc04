package decimal

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  error
	}{
		{"113.17", 113.17, nil},
		{"-27.5", -27.5, nil},
		{"+5", 5, nil},
		{".5", 0.5, nil},
		{"5.", 5, nil},
		{"0", 0, nil},
		{"-0", math.Copysign(0, -1), nil},
		{"4.2e5", 420000, nil},
		{"4.2E-3", 0.0042, nil},
		{"007", 7, nil},
		{"", 0, ErrEmpty},
		{"1_13.17", 0, ErrSyntax},
		{"0x1p-2", 0, ErrSyntax},
		{"0x71", 0, ErrSyntax},
		{"NaN", 0, ErrSyntax},
		{"nan", 0, ErrSyntax},
		{"Inf", 0, ErrSyntax},
		{"-infinity", 0, ErrSyntax},
		{"1e400", 0, ErrRange},
		{"-1e400", 0, ErrRange},
		{"1e", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1 ", 0, ErrSyntax},
		{"１１３", 0, ErrSyntax},
		{"113,17", 0, ErrSyntax},
		{"1" + string(make([]byte, 70)), 0, ErrTooLong},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if !errors.Is(err, tt.err) || err == nil && (got != tt.want || math.Signbit(got) != math.Signbit(tt.want)) {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"10", 10, nil},
		{"-3", -3, nil},
		{"+3", 3, nil},
		{"9223372036854775807", math.MaxInt64, nil},
		{"9223372036854775808", 0, ErrRange},
		{"99999999999999999999999", 0, ErrRange},
		{"1.5", 0, ErrNotWhole},
		{"1e3", 0, ErrNotWhole},
		{"0x10", 0, ErrSyntax},
		{"1_000", 0, ErrSyntax},
		{"", 0, ErrEmpty},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseInt(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// grammar is the package's grammar as a regular expression, the
// independent statement Valid is checked against.
var grammar = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"113.17", "1_13.17", "0x1p-2", "NaN", "Inf", "1e400", ".5", "5.", "-0", "+1e-3", "1e", "", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if want := grammar.MatchString(s); Valid(s) != want {
			t.Fatalf("Valid(%q) = %v, grammar says %v", s, !want, want)
		}
		if err != nil {
			return
		}
		if len(s) > MaxLen || !grammar.MatchString(s) || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("Parse(%q) = %v accepted", s, v)
		}
		if ref, rerr := strconv.ParseFloat(s, 64); rerr != nil || ref != v {
			t.Fatalf("Parse(%q) = %v, strconv says %v, %v", s, v, ref, rerr)
		}
	})
}
