package wfs

import (
	"encoding/json"
	"os"

	"github.com/paulmach/orb"
	"testing"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

var tempDirs []string

func osTempDir() (string, error) {
	d, err := os.MkdirTemp("", "wfs-test-")
	tempDirs = append(tempDirs, d)
	return d, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func orbPoint(x, y float64) orb.Point { return orb.Point{x, y} }
