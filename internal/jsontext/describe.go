package jsontext

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"hetang/internal/apierr"
)

// Quote quotes a piece of a client's input for a message (apierr.Quote).
func Quote(s string) string { return apierr.Quote(s) }

// Unmarshal checks data with Check, then decodes it into v with
// encoding/json. Errors are *SyntaxError or messages from Describe: no Go
// type names.
func Unmarshal(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return Describe(err)
	}
	return nil
}

func jsonUnmarshalString(quoted []byte, s *string) error { return json.Unmarshal(quoted, s) }

// Describe rewrites an error of encoding/json for people: what was expected
// where, without Go type names ("\"coordinates\": expected an array of
// positions, found a string"). Other errors are returned as they are.
func Describe(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		found := te.Value
		switch {
		case strings.HasPrefix(found, "number "):
			found = "the number " + strings.TrimPrefix(found, "number ")
			if k := elem(te.Type).Kind(); k == reflect.Float64 || k == reflect.Float32 {
				found += ", which is out of range"
			}
		case found == "bool":
			found = "true or false"
		case found == "number", found == "string", found == "object", found == "array":
			found = article(found) + " " + found
		}
		where := ""
		if te.Field != "" {
			where = fmt.Sprintf("%s: ", Quote(te.Field))
		}
		return fmt.Errorf("%sexpected %s, found %s", where, Expect(te.Type), found)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Offset: se.Offset, Msg: strings.TrimPrefix(se.Error(), "json: ")}
	}
	var ue *json.UnsupportedValueError
	if errors.As(err, &ue) {
		return errors.New("a value cannot be written as JSON")
	}
	return err
}

func article(s string) string {
	if strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an"
	}
	return "a"
}

// kinds of well-known types, in words, by their name; the geometry types
// of github.com/paulmach/orb read from GeoJSON coordinates.
var named = map[string]string{
	"orb.Point":           "a position: an array of two numbers [x, y]",
	"orb.MultiPoint":      "an array of positions [x, y]",
	"orb.LineString":      "an array of positions [x, y]",
	"orb.Ring":            "a linear ring: an array of positions [x, y]",
	"orb.MultiLineString": "an array of lines (arrays of positions [x, y])",
	"orb.Polygon":         "an array of linear rings (arrays of positions [x, y])",
	"orb.MultiPolygon":    "an array of polygons (arrays of linear rings)",
	"orb.Bound":           "a bounding box",
	"json.RawMessage":     "a JSON value",
	"json.Number":         "a number",
}

func elem(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return reflect.TypeFor[any]()
	}
	return t
}

// Expect says in words what JSON value decodes into t.
func Expect(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	if s, ok := named[t.String()]; ok {
		return s
	}
	switch t.Kind() {
	case reflect.Pointer:
		return Expect(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a different kind of value"
}
