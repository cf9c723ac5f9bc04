package dxf

import "math"

// aciPalette is the AutoCAD Color Index palette (indices 1–255), built the
// way AutoCAD defines it: 1–9 fixed colours, 10–249 24 hues in steps of 15°,
// each at five brightness levels, full and half saturation, and 250–255 greys.
var aciPalette = func() [256][3]uint8 {
	var p [256][3]uint8
	fixed := [][3]uint8{{}, {255, 0, 0}, {255, 255, 0}, {0, 255, 0}, {0, 255, 255}, {0, 0, 255}, {255, 0, 255}, {255, 255, 255}, {65, 65, 65}, {128, 128, 128}}
	copy(p[:], fixed)
	values := []float64{255, 204, 153, 127, 76}
	for i := 10; i < 250; i++ {
		hue := float64((i-10)/10) * 15
		v := values[(i%10)/2]
		sat := 1.0
		if i%2 == 1 {
			sat = 0.5
		}
		p[i] = hsv(hue, sat, v)
	}
	for i, g := range []uint8{51, 80, 105, 130, 190, 255} {
		p[250+i] = [3]uint8{g, g, g}
	}
	return p
}()

func hsv(h, s, v float64) [3]uint8 {
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := v - c
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	return [3]uint8{uint8(r + m + 0.5), uint8(g + m + 0.5), uint8(b + m + 0.5)}
}

// ACI returns the AutoCAD Color Index nearest to an RGB colour (for readers
// that ignore true colour).
func ACI(r, g, b uint8) int {
	best, bestD := 7, math.Inf(1)
	for i := 1; i < 256; i++ {
		c := aciPalette[i]
		dr, dg, db := float64(c[0])-float64(r), float64(c[1])-float64(g), float64(c[2])-float64(b)
		if d := dr*dr + dg*dg + db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}
