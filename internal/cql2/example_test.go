package cql2_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"hetang/internal/cql2"
)

func ExampleParse() {
	e, err := cql2.Parse("kind IN ('village', 'park') AND S_INTERSECTS(geometry, BBOX(113.2, 27.9, 113.3, 28.0))")
	if err != nil {
		panic(err)
	}
	f, err := cql2.Compile(e)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Match(map[string]any{"kind": "village"}, orb.Point{113.25, 27.95}))
	fmt.Println(f.Match(map[string]any{"kind": "road"}, orb.Point{113.25, 27.95}))

	_, err = cql2.Parse("kind = 'village' AND")
	fmt.Println(err)
	// Output:
	// true
	// false
	// cql2: syntax error at position 20: expected a predicate, found end of filter
}
