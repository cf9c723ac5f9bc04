package cql2

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"hetang/internal/geosorb"
)

// Properties returns the names of the non-spatial properties e refers to, in
// order of first appearance, so a caller can check them against its
// queryables before evaluating.
func Properties(e Expr) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s Scalar) {
		if p, ok := s.(Property); ok && !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p.Name)
		}
	}
	walk(e, func(e Expr) {
		switch x := e.(type) {
		case *Comparison:
			add(x.Left)
			add(x.Right)
		case *Like:
			add(x.Left)
		case *In:
			add(x.Left)
			for _, s := range x.List {
				add(s)
			}
		case *IsNull:
			add(x.Left)
		}
	})
	return out
}

// GeometryProperties returns the property names used as the geometry
// argument of spatial functions.
func GeometryProperties(e Expr) []string {
	var out []string
	walk(e, func(e Expr) {
		if x, ok := e.(*Intersects); ok {
			out = append(out, x.Property)
		}
	})
	return out
}

// TransformGeometries replaces every geometry literal in e by fn's result,
// for example to convert literals written in the filter-crs to the data's CRS.
// A BBOX literal is passed as an orb.Bound.
func TransformGeometries(e Expr, fn func(orb.Geometry) (orb.Geometry, error)) error {
	var err error
	walk(e, func(e Expr) {
		if x, ok := e.(*Intersects); ok && err == nil {
			var g orb.Geometry
			if g, err = fn(x.Geometry); err == nil {
				x.Geometry = g
			}
		}
	})
	return err
}

func walk(e Expr, fn func(Expr)) {
	fn(e)
	switch x := e.(type) {
	case *And:
		for _, a := range x.Args {
			walk(a, fn)
		}
	case *Or:
		for _, a := range x.Args {
			walk(a, fn)
		}
	case *Not:
		walk(x.Arg, fn)
	}
}

// Filter is an expression ready to evaluate: its geometry literals are
// prepared once for fast repeated intersection tests. A Filter is safe for
// use by one goroutine at a time.
type Filter struct {
	expr     Expr
	ctx      *geos.Context
	prepared map[*Intersects]*geos.PrepGeom
}

// Compile prepares e for evaluation. Later changes to e are not seen.
func Compile(e Expr) (*Filter, error) {
	f := &Filter{expr: e, ctx: geosContext(), prepared: map[*Intersects]*geos.PrepGeom{}}
	var err error
	walk(e, func(e Expr) {
		x, ok := e.(*Intersects)
		if !ok || err != nil {
			return
		}
		var g *geos.Geom
		if b, isBound := x.Geometry.(orb.Bound); isBound {
			g = f.ctx.NewGeomFromBounds(b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		} else if g, err = geosorb.ToGEOS(f.ctx, x.Geometry); err != nil {
			err = fmt.Errorf("cql2: geometry literal %s: %w", wktString(x.Geometry), err)
			return
		}
		f.prepared[x] = g.Prepare()
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// geosContexts are shared by all filters. go-geos (v0.20) never frees a
// Context (it keeps a cgo.Handle to the Context's own error field), so a new
// Context per Compile leaked about 2.5 KB of GEOS state per filtered request
// (found by the memory soak, scripts/soak.sh). A Context serialises its
// calls with a mutex, so sharing is safe; one per CPU spreads the load.
var geosContexts = sync.OnceValue(func() []*geos.Context {
	cs := make([]*geos.Context, runtime.GOMAXPROCS(0))
	for i := range cs {
		cs[i] = geos.NewContext()
	}
	return cs
})

var nextGEOSContext atomic.Uint32

func geosContext() *geos.Context {
	cs := geosContexts()
	return cs[int(nextGEOSContext.Add(1)%uint32(len(cs)))]
}

// Match reports whether a feature with the given properties and geometry
// satisfies the filter. An absent key and a nil value are both NULL.
func (f *Filter) Match(props map[string]any, geom orb.Geometry) bool {
	ev := evaluator{f: f, props: props, geom: geom}
	return ev.eval(f.expr) == isTrue
}

// truth is CQL2's three-valued logic.
type truth int8

const (
	isFalse truth = iota
	isTrue
	isUnknown
)

func truthOf(b bool) truth {
	if b {
		return isTrue
	}
	return isFalse
}

type evaluator struct {
	f     *Filter
	props map[string]any
	geom  orb.Geometry
	ggeom *geos.Geom
	gerr  bool
}

func (ev *evaluator) value(s Scalar) any {
	switch x := s.(type) {
	case Literal:
		return x.Value
	case Property:
		return normalise(ev.props[x.Name])
	}
	return nil
}

// normalise maps numeric types to float64 so that comparisons see one type.
func normalise(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	}
	return v
}

func (ev *evaluator) eval(e Expr) truth {
	switch x := e.(type) {
	case *Bool:
		return truthOf(x.Value)
	case *And:
		out := isTrue
		for _, a := range x.Args {
			switch ev.eval(a) {
			case isFalse:
				return isFalse
			case isUnknown:
				out = isUnknown
			}
		}
		return out
	case *Or:
		out := isFalse
		for _, a := range x.Args {
			switch ev.eval(a) {
			case isTrue:
				return isTrue
			case isUnknown:
				out = isUnknown
			}
		}
		return out
	case *Not:
		switch ev.eval(x.Arg) {
		case isTrue:
			return isFalse
		case isFalse:
			return isTrue
		}
		return isUnknown
	case *Comparison:
		return compare(x.Op, ev.value(x.Left), ev.value(x.Right))
	case *Like:
		v := ev.value(x.Left)
		if v == nil {
			return isUnknown
		}
		s, ok := v.(string)
		if !ok {
			return isUnknown
		}
		m := like(s, x.Pattern)
		return truthOf(m != x.Negate)
	case *In:
		v := ev.value(x.Left)
		if v == nil {
			return isUnknown
		}
		out := isFalse
		for _, item := range x.List {
			switch compare("=", v, ev.value(item)) {
			case isTrue:
				return truthOf(!x.Negate)
			case isUnknown:
				out = isUnknown
			}
		}
		if out == isUnknown {
			return isUnknown
		}
		return truthOf(x.Negate)
	case *IsNull:
		return truthOf((ev.value(x.Left) == nil) != x.Negate)
	case *Intersects:
		g := ev.geosGeom()
		if g == nil {
			return isUnknown
		}
		return truthOf(ev.f.prepared[x].Intersects(g))
	}
	return isUnknown
}

func (ev *evaluator) geosGeom() *geos.Geom {
	if ev.ggeom == nil && !ev.gerr {
		if ev.geom == nil {
			ev.gerr = true
			return nil
		}
		g, err := geosorb.ToGEOS(ev.f.ctx, ev.geom)
		if err != nil {
			ev.gerr = true
			return nil
		}
		ev.ggeom = g
	}
	return ev.ggeom
}

// compare applies a comparison operator; values of different types, and
// NULLs, compare as unknown.
func compare(op string, a, b any) truth {
	if a == nil || b == nil {
		return isUnknown
	}
	var c int
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return isUnknown
		}
		c = cmp3(x < y, x > y)
	case string:
		y, ok := b.(string)
		if !ok {
			return isUnknown
		}
		c = cmp3(x < y, x > y)
	case bool:
		y, ok := b.(bool)
		if !ok {
			return isUnknown
		}
		switch op {
		case "=":
			return truthOf(x == y)
		case "<>":
			return truthOf(x != y)
		}
		return isUnknown
	default:
		return isUnknown
	}
	switch op {
	case "=":
		return truthOf(c == 0)
	case "<>":
		return truthOf(c != 0)
	case "<":
		return truthOf(c < 0)
	case ">":
		return truthOf(c > 0)
	case "<=":
		return truthOf(c <= 0)
	case ">=":
		return truthOf(c >= 0)
	}
	return isUnknown
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// like matches s against a CQL2 LIKE pattern: % is any run of characters, _
// is one character, \ escapes the next character. It runs in O(len(s) ×
// len(pattern)) whatever the pattern.
func like(s, pattern string) bool {
	type elem struct {
		r    rune
		kind byte // 'c' literal, '%' any run, '_' one
	}
	var pat []elem
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch r {
		case '\\':
			if i < len(pattern) {
				r2, n2 := utf8.DecodeRuneInString(pattern[i:])
				i += n2
				pat = append(pat, elem{r2, 'c'})
			} else {
				pat = append(pat, elem{r, 'c'})
			}
		case '%':
			pat = append(pat, elem{0, '%'})
		case '_':
			pat = append(pat, elem{0, '_'})
		default:
			pat = append(pat, elem{r, 'c'})
		}
	}
	// cur[j]: pattern prefix of length j matches the text prefix so far.
	cur := make([]bool, len(pat)+1)
	next := make([]bool, len(pat)+1)
	cur[0] = true
	for j := 1; j <= len(pat) && pat[j-1].kind == '%'; j++ {
		cur[j] = true
	}
	for _, r := range s {
		clear(next)
		for j := 1; j <= len(pat); j++ {
			switch pat[j-1].kind {
			case '%':
				next[j] = next[j-1] || cur[j]
			case '_':
				next[j] = cur[j-1]
			default:
				next[j] = cur[j-1] && pat[j-1].r == r
			}
		}
		cur, next = next, cur
	}
	return cur[len(pat)]
}
