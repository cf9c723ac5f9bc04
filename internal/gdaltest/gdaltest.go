// Package gdaltest runs GDAL's command-line clients (ogr2ogr, ogrinfo) for
// tests that check the service's files and endpoints with a real GIS reader.
// A missing tool skips the test on a developer's machine and fails it under
// CI (CI set), where `make test` installs GDAL.
package gdaltest

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"
)

// Require returns the path of a command-line tool, skipping (or, under CI,
// failing) the test when it is missing.
func Require(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found and CI is set: `make deps-test` installs it", tool)
		}
		t.Skipf("%s not found; install it to run this test", tool)
	}
	return p
}

// Run runs a tool and returns its standard output; it fails the test when the
// tool fails, showing what it printed.
func Run(t testing.TB, env []string, tool string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(Require(t, tool), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\n%s", tool, args, err, stderr.String())
	}
	return stdout.Bytes()
}

// ReadLayer converts one layer of src (a file, /vsicurl/ URL or "OAPIF:" /
// "WFS:" connection) to GeoJSON with ogr2ogr and decodes it. extra goes
// before the source (for example "-if", "LIBKML", "-oo", "…").
func ReadLayer(t testing.TB, env []string, src, layer string, extra ...string) *geojson.FeatureCollection {
	t.Helper()
	args := append([]string{"-f", "GeoJSON", "-lco", "RFC7946=NO", "-lco", "COORDINATE_PRECISION=15", "/vsistdout/"}, extra...)
	args = append(args, src)
	if layer != "" {
		args = append(args, layer)
	}
	out := Run(t, env, "ogr2ogr", args...)
	fc, err := geojson.UnmarshalFeatureCollection(out)
	if err != nil {
		t.Fatalf("ogr2ogr %s %s: not GeoJSON: %v\n%.500s", src, layer, err, out)
	}
	return fc
}

// Fields lists the attribute fields GDAL sees in one layer of src, with
// their GDAL types ("String", "Integer", "Real", "Integer(Boolean)", …), in
// GDAL's order, as `ogrinfo -so` prints them.
func Fields(t testing.TB, env []string, src, layer string, extra ...string) []Field {
	t.Helper()
	args := append([]string{"-ro", "-so"}, extra...)
	args = append(args, src, layer)
	out := Run(t, env, "ogrinfo", args...)
	var fields []Field
	for _, m := range fieldLine.FindAllSubmatch(out, -1) {
		fields = append(fields, Field{Name: string(m[1]), Type: string(m[2])})
	}
	return fields
}

// Layer is what `ogrinfo -so` says of one layer.
type Layer struct {
	Fields []Field
	// Count is the feature count GDAL reports.
	Count int
}

// Layers summarises every layer of src with one `ogrinfo -ro -so -al` run
// (one GDAL start instead of one per layer): each layer's fields, in GDAL's
// order, and feature count, by layer name.
func Layers(t testing.TB, env []string, src string, extra ...string) map[string]Layer {
	t.Helper()
	args := append([]string{"-ro", "-so", "-al"}, extra...)
	out := Run(t, env, "ogrinfo", append(args, src)...)
	layers := map[string]Layer{}
	parts := layerHead.Split(string(out), -1)
	for _, part := range parts[1:] {
		name, rest, _ := strings.Cut(part, "\n")
		ly := Layer{Count: -1}
		if m := countLine.FindStringSubmatch(rest); m != nil {
			ly.Count, _ = strconv.Atoi(m[1])
		}
		for _, m := range fieldLine.FindAllStringSubmatch(rest, -1) {
			ly.Fields = append(ly.Fields, Field{Name: m[1], Type: m[2]})
		}
		layers[strings.TrimSpace(name)] = ly
	}
	if len(layers) == 0 {
		t.Fatalf("ogrinfo -so -al %s listed no layer:\n%.500s", src, out)
	}
	return layers
}

var (
	layerHead = regexp.MustCompile(`(?m)^Layer name: `)
	countLine = regexp.MustCompile(`(?m)^Feature Count: (-?\d+)$`)
)

// fieldLine is one field of `ogrinfo -so`: "name: Type (width.precision)".
var fieldLine = regexp.MustCompile(`(?m)^(\S[^\n]*?): ((?:Integer|Integer64|Real|String|Date|Time|DateTime|Binary|IntegerList|Integer64List|RealList|StringList)(?:\((?:Boolean|Int16|Float32|JSON|UUID)\))?) \(\d+\.\d+\)`)

// Field is a field as GDAL reports it.
type Field struct{ Name, Type string }

// Names returns the field names.
func Names(fields []Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}
