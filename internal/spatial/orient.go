package spatial

import "math/big"

// ccwErrBound is Shewchuk's error bound for the floating-point orientation
// determinant: when |det| exceeds ccwErrBound·(|l|+|r|) its sign is exact.
const ccwErrBound = (3.0 + 16.0*epsilon) * epsilon

const epsilon = 1.0 / (1 << 53)

// orient returns +1 when c lies to the left of the directed line a→b, -1 when
// it lies to the right and 0 when the three points are exactly collinear. The
// sign is exact for all finite float64 inputs: a filtered floating-point
// determinant, falling back to exact rational arithmetic when the filter
// cannot decide (the same answer GEOS's double-double orientation gives).
func orient(ax, ay, bx, by, cx, cy float64) int {
	l := (ax - cx) * (by - cy)
	r := (ay - cy) * (bx - cx)
	det := l - r
	var sum float64
	switch {
	case l > 0:
		if r <= 0 {
			return sign(det)
		}
		sum = l + r
	case l < 0:
		if r >= 0 {
			return sign(det)
		}
		sum = -l - r
	default:
		return sign(det)
	}
	if bound := ccwErrBound * sum; det > bound || -det > bound {
		return sign(det)
	}
	return orientExact(ax, ay, bx, by, cx, cy)
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func orientExact(ax, ay, bx, by, cx, cy float64) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	acx := new(big.Rat).Sub(r(ax), r(cx))
	bcy := new(big.Rat).Sub(r(by), r(cy))
	acy := new(big.Rat).Sub(r(ay), r(cy))
	bcx := new(big.Rat).Sub(r(bx), r(cx))
	l := new(big.Rat).Mul(acx, bcy)
	rr := new(big.Rat).Mul(acy, bcx)
	return l.Cmp(rr)
}
