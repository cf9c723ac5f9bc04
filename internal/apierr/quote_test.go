package apierr_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"hetang/internal/apierr"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("荷", 100) // 300 bytes
	tests := []struct{ in, want string }{
		{"abc", `"abc"`},
		{"荷塘", `"荷塘"`},
		{"a\nb\x00\xff", `"a\nb\x00\xff"`},
		{strings.Repeat("x", apierr.MaxEcho), `"` + strings.Repeat("x", apierr.MaxEcho) + `"`},
		{strings.Repeat("x", apierr.MaxEcho+1), `"` + strings.Repeat("x", apierr.MaxEcho) + `"… (201 bytes)`},
		// Cut at a rune boundary: 66 whole runes are 198 bytes.
		{long, `"` + strings.Repeat("荷", 66) + `"… (300 bytes)`},
	}
	for _, tt := range tests {
		got := apierr.Quote(tt.in)
		if got != tt.want {
			t.Errorf("Quote(%.40q) = %.60s, want %.60s", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) || len(got) > 4*apierr.MaxEcho+40 {
			t.Errorf("Quote(%.40q) is not short, valid UTF-8: %d bytes", tt.in, len(got))
		}
	}
	huge := strings.Repeat("lon,", 1_000_000)
	if got := apierr.Quote(huge); len(got) > 260 {
		t.Errorf("Quote of 4 MB gives %d bytes", len(got))
	}
}
