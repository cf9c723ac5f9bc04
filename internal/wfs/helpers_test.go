package wfs

import (
	"encoding/json"
	"os"

	"testing"

	"github.com/paulmach/orb"

	"hetang/internal/fixture"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func TestMain(m *testing.M) { os.Exit(fixture.Run(m)) }

func orbPoint(x, y float64) orb.Point { return orb.Point{x, y} }
