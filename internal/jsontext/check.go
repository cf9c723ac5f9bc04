// Package jsontext owns JSON text at the service's edge, both ways.
//
// Reading: Check holds a request body to RFC 8259 strictly — one value and
// nothing after it, valid UTF-8, no key twice in an object at any depth, at
// most MaxDepth nested arrays and objects — and Unmarshal checks, then
// decodes with encoding/json. Their errors are written for people: a byte
// position and what was expected ("at byte 17: key \"lat\" is given twice in
// this object (first at byte 3)"), never a Go type name; Describe turns
// encoding/json's own errors into the same kind of message.
//
// Writing: Writer appends values byte for byte as encoding/json's Marshal
// writes them (HTML-safe strings, the same float format), for hand-written
// encoders of hot answers that golden tests compare with encoding/json.
package jsontext

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects Check accepts.
const MaxDepth = 1000

// SyntaxError is a JSON text that breaks the rules Check enforces.
type SyntaxError struct {
	// Offset is the 1-based position of the offending byte (len+1 at the
	// end of the input).
	Offset int64
	// Msg says what is wrong, for a person.
	Msg string
}

func (e *SyntaxError) Error() string {
	return "at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Msg
}

// BOM is the UTF-8 byte order mark some Windows editors put first in a
// UTF-8 file.
const BOM = "\xef\xbb\xbf"

// TrimBOM drops a leading UTF-8 byte order mark, which RFC 8259 §8.1 lets
// a parser ignore (files saved by Notepad or PowerShell 5 carry one).
func TrimBOM(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte(BOM))
}

// Check reports whether b is exactly one JSON value (with optional white
// space around it) that is valid UTF-8, has no duplicate keys in any object
// and nests at most MaxDepth arrays and objects. The error is a
// *SyntaxError.
func Check(b []byte) error {
	c := checker{b: b}
	c.ws()
	if c.i == len(c.b) {
		return &SyntaxError{Offset: 1, Msg: "the body is empty: expected a JSON value"}
	}
	if err := c.value(0); err != nil {
		return err
	}
	c.ws()
	if c.i < len(c.b) {
		return c.errf("unexpected data after the JSON value (%s); send one JSON value only", c.found())
	}
	return nil
}

// CheckValue checks the first JSON value of b, like Check, and returns the
// length of b it takes, so that a caller can look at what follows (a stream
// of values, or trailing data to refuse). Leading white space is skipped
// and counted.
func CheckValue(b []byte) (int, error) {
	c := checker{b: b}
	c.ws()
	if c.i == len(c.b) {
		return 0, &SyntaxError{Offset: 1, Msg: "expected a JSON value, found the end of the input"}
	}
	err := c.value(0)
	return c.i, err
}

type checker struct {
	b []byte
	i int
	// keys holds the keys of the open objects, innermost last; each object
	// remembers where its keys start.
	keys []keyAt
}

type keyAt struct {
	raw []byte // the key as written between the quotes, or unescaped
	at  int
}

func (c *checker) errf(format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: int64(c.i) + 1, Msg: fmt.Sprintf(format, args...)}
}

// found describes the byte at c.i for an error message.
func (c *checker) found() string {
	if c.i >= len(c.b) {
		return "found the end of the input"
	}
	return "found " + describeByte(c.b, c.i)
}

func describeByte(b []byte, i int) string {
	ch := b[i]
	switch {
	case ch >= 0x20 && ch < 0x7f:
		return "'" + string(rune(ch)) + "'"
	case ch < utf8.RuneSelf:
		return fmt.Sprintf("control character 0x%02X", ch)
	}
	r, n := utf8.DecodeRune(b[i:])
	if r == utf8.RuneError && n <= 1 {
		return fmt.Sprintf("byte 0x%02X, which is not UTF-8", ch)
	}
	return "'" + string(r) + "'"
}

func (c *checker) ws() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *checker) value(depth int) error {
	if c.i >= len(c.b) {
		return c.errf("expected a JSON value, found the end of the input (the text is cut short)")
	}
	switch ch := c.b[c.i]; {
	case ch == '{':
		return c.object(depth + 1)
	case ch == '[':
		return c.array(depth + 1)
	case ch == '"':
		_, err := c.str(false)
		return err
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number()
	case ch == 't':
		return c.literal("true")
	case ch == 'f':
		return c.literal("false")
	case ch == 'n':
		return c.literal("null")
	}
	return c.errf("expected a JSON value (object, array, string, number, true, false or null), %s", c.found())
}

func (c *checker) literal(word string) error {
	if !bytes.HasPrefix(c.b[c.i:], []byte(word)) {
		return c.errf("expected a JSON value (object, array, string, number, true, false or null), %s", c.found())
	}
	c.i += len(word)
	return nil
}

func (c *checker) deep(depth int) error {
	if depth > MaxDepth {
		return c.errf("arrays and objects are nested more than %d deep (the max depth)", MaxDepth)
	}
	return nil
}

func (c *checker) array(depth int) error {
	if err := c.deep(depth); err != nil {
		return err
	}
	c.i++ // '['
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return nil
	}
	for {
		c.ws()
		if err := c.value(depth); err != nil {
			return err
		}
		c.ws()
		if c.i >= len(c.b) {
			return c.errf("expected ',' or ']' in an array, found the end of the input (the text is cut short)")
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			return nil
		default:
			return c.errf("expected ',' or ']' after an array element, %s", c.found())
		}
	}
}

// smallObject is how many keys an object may have before its duplicate
// check switches from a linear scan to a map.
const smallObject = 16

func (c *checker) object(depth int) error {
	if err := c.deep(depth); err != nil {
		return err
	}
	c.i++ // '{'
	base := len(c.keys)
	defer func() { c.keys = c.keys[:base] }()
	var set map[string]int
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return nil
	}
	for {
		c.ws()
		if c.i >= len(c.b) {
			return c.errf("expected a key in an object, found the end of the input (the text is cut short)")
		}
		if c.b[c.i] != '"' {
			return c.errf("expected a key in double quotes, %s", c.found())
		}
		at := c.i
		key, err := c.str(true)
		if err != nil {
			return err
		}
		n := len(c.keys) - base
		switch {
		case set != nil:
			if first, ok := set[string(key)]; ok {
				return c.dup(at, key, first)
			}
			set[string(key)] = at
		case n < smallObject:
			for _, k := range c.keys[base:] {
				if bytes.Equal(k.raw, key) {
					return c.dup(at, key, k.at)
				}
			}
		default:
			set = make(map[string]int, 2*n)
			for _, k := range c.keys[base:] {
				set[string(k.raw)] = k.at
			}
			if first, ok := set[string(key)]; ok {
				return c.dup(at, key, first)
			}
			set[string(key)] = at
		}
		if set == nil {
			c.keys = append(c.keys, keyAt{raw: key, at: at})
		}
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return c.errf("expected ':' after the key %s, %s", Quote(string(key)), c.found())
		}
		c.i++
		c.ws()
		if err := c.value(depth); err != nil {
			return err
		}
		c.ws()
		if c.i >= len(c.b) {
			return c.errf("expected ',' or '}' in an object, found the end of the input (the text is cut short)")
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case '}':
			c.i++
			return nil
		default:
			return c.errf("expected ',' or '}' after an object member, %s", c.found())
		}
	}
}

func (c *checker) dup(at int, key []byte, first int) error {
	return &SyntaxError{Offset: int64(at) + 1, Msg: fmt.Sprintf("key %s is given twice in one object (first at byte %d); give each key once", Quote(string(key)), first+1)}
}

// str checks a string starting at c.i (a '"'). With wantKey it returns the
// string's content (unescaped when it has escapes) for duplicate checks.
func (c *checker) str(wantKey bool) ([]byte, error) {
	c.i++ // opening quote
	start := c.i
	escaped := false
	for c.i < len(c.b) {
		ch := c.b[c.i]
		switch {
		case ch == '"':
			s := c.b[start:c.i]
			c.i++
			if wantKey && escaped {
				return unescape(s), nil
			}
			return s, nil
		case ch == '\\':
			escaped = true
			if err := c.escape(); err != nil {
				return nil, err
			}
		case ch < 0x20:
			return nil, c.errf("control character 0x%02X in a string: write it as an escape (\\n, \\t, \\u00XX)", ch)
		case ch < utf8.RuneSelf:
			c.i++
		default:
			r, n := utf8.DecodeRune(c.b[c.i:])
			if r == utf8.RuneError && n <= 1 {
				return nil, c.errf("byte 0x%02X in a string is not UTF-8; send the text as UTF-8", ch)
			}
			c.i += n
		}
	}
	return nil, &SyntaxError{Offset: int64(start), Msg: "a string is not closed: expected '\"' before the end of the input"}
}

func (c *checker) escape() error {
	if c.i+1 >= len(c.b) {
		c.i = len(c.b)
		return c.errf("an escape in a string is cut short by the end of the input")
	}
	switch c.b[c.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		c.i += 2
		return nil
	case 'u':
		if c.i+6 > len(c.b) {
			c.i = len(c.b)
			return c.errf(`a \u escape in a string is cut short by the end of the input`)
		}
		for k := 2; k < 6; k++ {
			if !isHex(c.b[c.i+k]) {
				c.i += k
				return c.errf(`a \u escape needs four hex digits, %s`, c.found())
			}
		}
		c.i += 6
		return nil
	}
	c.i++
	return c.errf(`invalid escape in a string: \%s (use \", \\, \/, \b, \f, \n, \r, \t or \uXXXX)`, describeByte(c.b, c.i))
}

func isHex(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
}

// unescape decodes the escapes of a checked string's content, as
// encoding/json does (a lone surrogate becomes U+FFFD).
func unescape(s []byte) []byte {
	quoted := make([]byte, 0, len(s)+2)
	quoted = append(append(append(quoted, '"'), s...), '"')
	var out string
	if err := jsonUnmarshalString(quoted, &out); err != nil {
		return s
	}
	return []byte(out)
}

func (c *checker) number() error {
	start := c.i
	if c.b[c.i] == '-' {
		c.i++
	}
	switch {
	case c.i < len(c.b) && c.b[c.i] == '0':
		c.i++
	case c.i < len(c.b) && c.b[c.i] >= '1' && c.b[c.i] <= '9':
		c.digits()
	default:
		return c.errf("invalid number: expected a digit after '-', %s", c.found())
	}
	if c.i < len(c.b) && c.b[c.i] == '.' {
		c.i++
		if c.digits() == 0 {
			return c.errf("invalid number: expected a digit after the decimal point, %s", c.found())
		}
	}
	if c.i < len(c.b) && (c.b[c.i] == 'e' || c.b[c.i] == 'E') {
		c.i++
		if c.i < len(c.b) && (c.b[c.i] == '+' || c.b[c.i] == '-') {
			c.i++
		}
		if c.digits() == 0 {
			return c.errf("invalid number: expected a digit in the exponent, %s", c.found())
		}
	}
	if c.i < len(c.b) {
		if ch := c.b[c.i]; ch >= '0' && ch <= '9' || ch == '.' || ch == 'x' || ch == 'X' || ch == '_' {
			return &SyntaxError{Offset: int64(start) + 1, Msg: fmt.Sprintf("invalid number %s: JSON numbers are decimal, without leading zeros, hex or '_'", Quote(string(c.b[start:min(len(c.b), c.i+8)])))}
		}
	}
	return nil
}

func (c *checker) digits() int {
	n := 0
	for c.i < len(c.b) && c.b[c.i] >= '0' && c.b[c.i] <= '9' {
		c.i++
		n++
	}
	return n
}
