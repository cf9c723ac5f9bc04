package cql2

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// geometry parses a WKT literal or BBOX(...) at the current token.
func (p *parser) geometry() (orb.Geometry, error) {
	t := p.next()
	kind := strings.ToUpper(t.text)
	switch kind {
	case "BBOX":
		nums, err := p.numberList(`BBOX`)
		if err != nil {
			return nil, err
		}
		if len(nums) != 4 {
			return nil, p.errorf(t, "BBOX takes 4 numbers (xmin, ymin, xmax, ymax), got %d", len(nums))
		}
		if nums[0] > nums[2] || nums[1] > nums[3] {
			return nil, p.errorf(t, "BBOX minimum greater than maximum (write xmin, ymin, xmax, ymax)")
		}
		return orb.Bound{Min: orb.Point{nums[0], nums[1]}, Max: orb.Point{nums[2], nums[3]}}, nil
	case "POINT":
		if err := p.open(kind); err != nil {
			return nil, err
		}
		pt, err := p.point()
		if err != nil {
			return nil, err
		}
		return pt, p.close(kind)
	case "MULTIPOINT":
		var mp orb.MultiPoint
		err := p.list(kind, func() error {
			// Both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)).
			paren := p.peek().kind == tLParen
			if paren {
				p.next()
			}
			pt, err := p.point()
			if err != nil {
				return err
			}
			mp = append(mp, pt)
			if paren {
				return p.close(kind)
			}
			return nil
		})
		return mp, err
	case "LINESTRING":
		ls, err := p.lineString(kind, 2)
		return ls, err
	case "MULTILINESTRING":
		var mls orb.MultiLineString
		err := p.list(kind, func() error {
			ls, err := p.lineString(kind, 2)
			mls = append(mls, ls)
			return err
		})
		return mls, err
	case "POLYGON":
		return p.polygon()
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.list(kind, func() error {
			pg, err := p.polygon()
			mp = append(mp, pg)
			return err
		})
		return mp, err
	}
	return nil, p.errorf(t, "geometry type %s is not supported (use POINT, MULTIPOINT, LINESTRING, MULTILINESTRING, POLYGON, MULTIPOLYGON or BBOX)", t.text)
}

func (p *parser) open(kind string) error {
	_, err := p.expect(tLParen, `"(" in `+kind)
	return err
}

func (p *parser) close(kind string) error {
	_, err := p.expect(tRParen, `")" in `+kind)
	return err
}

// list parses "(" item {"," item} ")".
func (p *parser) list(kind string, item func() error) error {
	if err := p.open(kind); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		t := p.next()
		if t.kind == tRParen {
			return nil
		}
		if t.kind != tComma {
			return p.errorf(t, `expected "," or ")" in %s, found %s`, kind, t.describe())
		}
	}
}

func (p *parser) number() (float64, error) {
	t := p.next()
	if t.kind != tNumber {
		return 0, p.errorf(t, "expected a coordinate, found %s", t.describe())
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, p.errorf(t, "bad coordinate %s", t.text)
	}
	return f, nil
}

func (p *parser) numberList(kind string) ([]float64, error) {
	var nums []float64
	err := p.list(kind, func() error {
		f, err := p.number()
		nums = append(nums, f)
		return err
	})
	return nums, err
}

// point parses "x y" (a third ordinate, if present, is refused).
func (p *parser) point() (orb.Point, error) {
	x, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	if t := p.peek(); t.kind == tNumber {
		return orb.Point{}, p.errorf(t, "only 2D coordinates are supported")
	}
	return orb.Point{x, y}, nil
}

func (p *parser) lineString(kind string, minPoints int) (orb.LineString, error) {
	start := p.peek()
	var ls orb.LineString
	err := p.list(kind, func() error {
		pt, err := p.point()
		ls = append(ls, pt)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(ls) < minPoints {
		return nil, p.errorf(start, "%s needs at least %d points, got %d", kind, minPoints, len(ls))
	}
	return ls, nil
}

func (p *parser) polygon() (orb.Polygon, error) {
	var pg orb.Polygon
	err := p.list("POLYGON", func() error {
		start := p.peek()
		ls, err := p.lineString("POLYGON", 4)
		if err != nil {
			return err
		}
		if ls[0] != ls[len(ls)-1] {
			return p.errorf(start, "POLYGON ring is not closed (its last point must repeat the first)")
		}
		pg = append(pg, orb.Ring(ls))
		return nil
	})
	return pg, err
}

// wktString renders a literal geometry as CQL2 text: a bounding box as
// BBOX(minx, miny, maxx, maxy), anything else as WKT (orb's encoder).
func wktString(g orb.Geometry) string {
	if b, ok := g.(orb.Bound); ok {
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		return "BBOX(" + f(b.Min[0]) + ", " + f(b.Min[1]) + ", " + f(b.Max[0]) + ", " + f(b.Max[1]) + ")"
	}
	return wkt.MarshalString(g)
}
