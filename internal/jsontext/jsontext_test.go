package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	okDeep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	many := "{"
	for i := range 40 {
		many += fmt.Sprintf(`"k%d":1,`, i)
	}
	tests := []struct {
		name, in string
		offset   int64  // 0: valid
		msg      string // part of the message
	}{
		{"object", `{"type":"Polygon","coordinates":[[[1,2],[3,4]]]}`, 0, ""},
		{"white space around", " \t\r\n[1, 2.5e-3, -0, true, false, null, \"\\u00e9\\n\"]\n", 0, ""},
		{"Chinese", `{"name_zh":"荷塘区"}`, 0, ""},
		{"same key in sibling objects", `[{"a":1},{"a":2}]`, 0, ""},
		{"same key at two depths", `{"a":{"a":1}}`, 0, ""},
		{"nested to the limit", okDeep, 0, ""},
		{"empty", "", 1, "the body is empty"},
		{"only white space", "  \n", 1, "the body is empty"},
		{"duplicate key", `{"lon":1,"lat":2,"lat":3}`, 18, `key "lat" is given twice in one object (first at byte 10)`},
		{"duplicate key deep", `{"a":[{"b":{"c":1,"c":2}}]}`, 19, `key "c" is given twice`},
		{"duplicate key by escape", `{"a":1,"\u0061":2}`, 8, `key "a" is given twice`},
		{"duplicate key in a big object", many + `"k30":2}`, 312, `key "k30" is given twice`},
		{"trailing data", `{"a":1} x`, 9, "unexpected data after the JSON value (found 'x')"},
		{"two values", `{"a":1}{"a":2}`, 8, "send one JSON value only"},
		{"cut short", `{"a":[1,2`, 10, "found the end of the input"},
		{"unclosed string", `{"a":"xyz`, 6, "a string is not closed"},
		{"bad literal", `[tru]`, 2, "expected a JSON value"},
		{"NaN", `[NaN]`, 2, "expected a JSON value"},
		{"hex number", `[0x10]`, 2, "JSON numbers are decimal"},
		{"leading zero", `[01]`, 2, "JSON numbers are decimal"},
		{"underscore", `[1_13.17]`, 2, "JSON numbers are decimal"},
		{"bare dot", `[1.]`, 4, "after the decimal point"},
		{"bad exponent", `[1e]`, 4, "in the exponent"},
		{"plus sign", `[+1]`, 2, "expected a JSON value"},
		{"single quotes", `{'a':1}`, 2, "expected a key in double quotes, found '''"},
		{"missing colon", `{"a" 1}`, 6, `expected ':' after the key "a"`},
		{"missing comma", `[1 2]`, 4, "expected ',' or ']'"},
		{"trailing comma", `[1,]`, 4, "expected a JSON value"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", 7, "byte 0xFF in a string is not UTF-8"},
		{"invalid UTF-8 outside strings", "[\xc3]", 2, "which is not UTF-8"},
		{"control character", "[\"a\tb\"]", 4, "control character 0x09"},
		{"bad escape", `["\x"]`, 4, `invalid escape in a string: \'x'`},
		{"short unicode escape", `["\u12"]`, 7, `four hex digits`},
		{"too deep", deep, MaxDepth + 1, "the max depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.in))
			if tt.offset == 0 {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Check = %v, want a *SyntaxError", err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Check = %q (offset %d), want offset %d and %q", err, se.Offset, tt.offset, tt.msg)
			}
			if !utf8.ValidString(err.Error()) {
				t.Errorf("message is not UTF-8: %q", err)
			}
		})
	}
}

func TestCheckValue(t *testing.T) {
	in := []byte(" {\"a\":1}\n{\"b\":2}")
	n, err := CheckValue(in)
	if err != nil || n != 8 {
		t.Fatalf("CheckValue = %d, %v; want 8, nil", n, err)
	}
	if _, err := CheckValue([]byte(`{"a":1,"a":2} rest`)); err == nil {
		t.Error("CheckValue accepted a duplicate key")
	}
}

func TestUnmarshalDescribes(t *testing.T) {
	var probe struct {
		Type string `json:"type"`
	}
	var m map[string]json.RawMessage
	var k struct {
		K int `json:"k"`
	}
	var f struct {
		X float64 `json:"x"`
	}
	tests := []struct {
		name string
		in   string
		v    any
		want string
	}{
		{"type is a number", `{"type":5}`, &probe, `"type": expected a string, found a number`},
		{"not an object", `[1,2]`, &m, `expected an object, found an array`},
		{"whole number", `{"k":1.5}`, &k, `"k": expected a whole number, found the number 1.5`},
		{"out of range", `{"x":1e400}`, &f, `"x": expected a number, found the number 1e400, which is out of range`},
		{"duplicate", `{"type":"a","type":"b"}`, &probe, `key "type" is given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Unmarshal([]byte(tt.in), tt.v)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unmarshal = %v, want %q", err, tt.want)
			}
			for _, goName := range []string{"Go value", "Go struct", "json.RawMessage", "map[", "struct {", "float64", "int"} {
				if strings.Contains(err.Error(), goName) {
					t.Errorf("message %q names a Go type (%s)", err, goName)
				}
			}
		})
	}
}

// refCheck is Check's rule made of encoding/json's own pieces: Valid for
// the grammar, UTF-8 validity, and a Decoder's tokens (which unescape keys)
// for duplicate keys and depth.
func refCheck(b []byte) bool {
	if !json.Valid(b) || !utf8.Valid(b) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		obj    bool
		keys   map[string]bool
		expKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.obj && top.expKey
		if top != nil && top.obj {
			top.expKey = !top.expKey
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if len(stack) == MaxDepth {
					return false
				}
				stack = append(stack, &frame{obj: v == '{', keys: map[string]bool{}, expKey: true})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].obj {
					// the closed container was a value: the parent expects a key next
					stack[len(stack)-1].expKey = true
				}
			}
			if (v == '{' || v == '[') && top != nil && top.obj {
				top.expKey = false // a container value: the key comes after it closes
			}
		case string:
			if isKey {
				if top.keys[v] {
					return false
				}
				top.keys[v] = true
			}
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[1,2],[3,4],[1,2]]]}`, `{"a":1,"a":2}`, `{"a":{"b":1},"b":{"a":2}}`,
		`[{"a":1},{"a":1}]`, `{"a":1,"\u0061":2}`, `{"\ud800":1,"\udc00":2}`, "\"\xff\"", `[1e400,-0,0.5e-7]`,
		`{"a":[1,2,{"c":null}]} x`, `[0x10]`, `[1_0]`, ` `, `{"k":"<&>\u2028"}`, strings.Repeat("[", 1001),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b)
		if want := refCheck(b); (err == nil) != want {
			t.Fatalf("Check(%q) = %v, but the reference says valid=%v", b, err, want)
		}
		if err != nil && !utf8.ValidString(err.Error()) {
			t.Fatalf("message is not UTF-8: %q", err)
		}
	})
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "荷塘区", "<a href=\"x\">&amp;</a>", "\x00\x01\b\f\n\r\t\x1f\x7f", "\xff\xfe bad \xc3", "\u2028\u2029", "\\ / \"", "emoji 🌸",
		"\xe0\xa0\x80", "\xed\x9f\xbf", "\xed\xa0\x80 surrogate", "\xe0\x80\x80 overlong", "a\xe2\x80\xa8b\xe2\x80\xa9c", "\xe2\x80\xa7", "cut \xe4\xb8", "cut \xe4", "\xef\xbf\xbf\xee\x80\x80"} {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "荷塘", "<>&", "\xff", "\u2028", "\x00\b", "\xe0\xa0\x80", "\xed\xa0\x80", "\xe0\x80\x80", "\xe2\x80\xa9", "\xe4\xb8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendFloat(t *testing.T) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1.5, 113.17, 27.86, 418252.757, 3083203.893, 1e-6, 9.99e-7, 1e20, 1e21, 123456789012345678901234.0,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 5e-324, 1e-7, 0.000001234, 13.214, 4230.608,
		0.1, 0.2, 0.3, 1.005, 999999999.999999, 1e9, -1e9, 123456789.123456, 0.000001, -0.000001, 0.0000015,
		113.170001, 27.859999, 418252.757, 3083203.893, 1e15, 0.5, -0.25, 100, 2.0000001} {
		want, _ := json.Marshal(v)
		if got := AppendFloat(nil, v); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", v, got, want)
		}
	}
	w := Writer{}
	w.Float(math.NaN())
	if !errors.Is(w.Err, ErrUnsupportedValue) {
		t.Errorf("NaN: Err = %v", w.Err)
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1e21, 1e-7, 113.17, -3083203.893, 0.000001, 999999999.999999, 1.005, 27.859999} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		want, _ := json.Marshal(v)
		if got := AppendFloat(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("AppendFloat(%v) = %s, want %s", v, got, want)
		}
	})
}

// FuzzAppendFloatDecimals feeds AppendFloat the values of its fast path:
// decimals with up to 6 places, of every magnitude below and around 1e9.
func FuzzAppendFloatDecimals(f *testing.F) {
	for _, s := range [][2]int64{{113170000, 6}, {418252757, 3}, {-1, 6}, {999999999999999, 6}, {5, 0}, {1, 7}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, n, places int64) {
		v := float64(n) / math.Pow(10, float64(places%10))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		want, _ := json.Marshal(v)
		if got := AppendFloat(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("AppendFloat(%v) = %s, want %s", v, got, want)
		}
	})
}
