package jsontext

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// ErrUnsupportedValue is the error of a Writer asked to write NaN or an
// infinity, which JSON cannot represent (encoding/json refuses them too).
var ErrUnsupportedValue = errors.New("jsontext: NaN or infinity cannot be written as JSON")

// Writer appends JSON to B, byte for byte as encoding/json's Marshal and
// Encoder (with HTML escaping, the default) write the same values. It keeps
// the first error (a non-finite number) in Err and writes null for it, so
// an encoder can write on and check once at the end.
type Writer struct {
	B   []byte
	Err error
}

// Raw appends s as it is (punctuation, keys known to need no escaping).
func (w *Writer) Raw(s string) { w.B = append(w.B, s...) }

// Byte appends one byte.
func (w *Writer) Byte(c byte) { w.B = append(w.B, c) }

// Null appends null.
func (w *Writer) Null() { w.B = append(w.B, "null"...) }

// Bool appends true or false.
func (w *Writer) Bool(v bool) { w.B = strconv.AppendBool(w.B, v) }

// Int appends a whole number.
func (w *Writer) Int(v int64) { w.B = strconv.AppendInt(w.B, v, 10) }

// Float appends a float64 as encoding/json does: the shortest decimal that
// reads back to v, in exponent form only below 1e-6 or from 1e21.
func (w *Writer) Float(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if w.Err == nil {
			w.Err = ErrUnsupportedValue
		}
		w.Null()
		return
	}
	w.B = AppendFloat(w.B, v)
}

// String appends s as a JSON string.
func (w *Writer) String(s string) { w.B = AppendString(w.B, s) }

// AppendFloat appends a finite v as encoding/json writes a float64.
func AppendFloat(dst []byte, v float64) []byte {
	if b, ok := appendShortDecimal(dst, v); ok {
		return b
	}
	abs := math.Abs(v)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, v, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendShortDecimal is AppendFloat's fast path for the values answers are
// full of: metres rounded to millimetres, coordinates typed with a few
// decimals. When v is the double nearest to a decimal with at most 6
// places and |v| < 1e9, that decimal (trailing zeros dropped) is the
// shortest text that reads back to v — any shorter decimal is at least
// 1e-6 away, more than the spacing of doubles below 1e9 — so it is what
// strconv writes, made here with integer arithmetic. ok is false otherwise.
func appendShortDecimal(dst []byte, v float64) ([]byte, bool) {
	const scale = 1e6
	if !(math.Abs(v) < 1e9) {
		return dst, false
	}
	n := math.Round(v * scale)
	if n/scale != v {
		return dst, false
	}
	if math.Signbit(v) {
		dst = append(dst, '-')
	}
	u := uint64(math.Abs(n))
	dst = strconv.AppendUint(dst, u/scale, 10)
	frac := u % scale
	if frac == 0 {
		return dst, true
	}
	var digits [6]byte
	for i := 5; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 6
	for digits[end-1] == '0' {
		end--
	}
	dst = append(dst, '.')
	return append(dst, digits[:end]...), true
}

const hexDigits = "0123456789abcdef"

// asciiSafe[b] is true for the ASCII bytes that go into a JSON string as
// they are (encoding/json's htmlSafeSet).
var asciiSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// AppendString appends s as a JSON string as encoding/json writes it with
// HTML escaping: <, > and & as \u003c, \u003e, \u0026; U+2028 and U+2029
// escaped; bytes that are not UTF-8 as \ufffd.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if asciiSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		if b >= 0xE0 && b < 0xF0 && i+2 < len(s) {
			// Three-byte sequences (Chinese text) without the general
			// decoder: valid unless overlong or a surrogate; U+2028 and
			// U+2029 (E2 80 A8/A9) are escaped below.
			b1, b2 := s[i+1], s[i+2]
			if b1&0xC0 == 0x80 && b2&0xC0 == 0x80 && (b != 0xE0 || b1 >= 0xA0) && (b != 0xED || b1 < 0xA0) &&
				!(b == 0xE2 && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9)) {
				i += 3
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			start = i + size
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
