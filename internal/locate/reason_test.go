package locate

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"hetang/internal/budget"
	"hetang/internal/crs"
	"hetang/internal/fixture"
	"hetang/internal/spatial"
)

// TestRecordErrorsInBothLanguages: a batch record that cannot be located
// says why in English (the error's message) and in Chinese, the Chinese
// from the kind of the error the locator returned.
func TestRecordErrorsInBothLanguages(t *testing.T) {
	ix := fixture.Index(t)
	wgs := &Locator{Index: ix, CRS: crs.CRS84}
	merc, err := crs.Parse("EPSG:3857")
	if err != nil {
		t.Fatal(err)
	}
	web := &Locator{Index: ix, CRS: merc}
	tight := &Locator{Index: ix, CRS: crs.CRS84, Limits: spatial.ParcelLimits{MaxVertices: 8, MaxCrossings: 5}}
	// A self-crossing star of 11 points around the district's centre.
	var star orb.Ring
	for i := range 12 {
		a := float64(i%11) * 4 * math.Pi / 11
		star = append(star, orb.Point{113.2 + 0.02*math.Cos(a), 27.87 + 0.02*math.Sin(a)})
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	point := func(l *Locator, x, y float64) func() error {
		return func() error { _, err := l.Point(orb.Point{x, y}); return err }
	}
	parcel := func(ctx context.Context, l *Locator, g orb.Geometry) func() error {
		return func() error { _, err := l.Polygon(ctx, g); return err }
	}
	bg := context.Background()
	square := orb.Polygon{{{113.19, 27.86}, {113.21, 27.86}, {113.21, 27.88}, {113.19, 27.88}, {113.19, 27.86}}}
	// A budget whose heavy capacity (4 KiB) no parcel fits in, and one held
	// full by another request so that a parcel waits for it in vain.
	tiny, err := budget.New(budget.Config{Total: 3 << 20, Base: 1 << 20, LightReserve: 1<<20 - 4<<10, LightBytes: 1 << 10, MaxWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	full, err := budget.New(budget.Config{Total: 1 << 30, Base: 1 << 20, LightReserve: 1 << 20, LightBytes: 1 << 10, MaxWait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	held, err := full.Reserve(bg, "another request", full.Capacity())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	tests := []struct {
		name   string
		call   func() error
		en, zh string
	}{
		{"NaN", point(wgs, math.NaN(), 27.87), "finite numbers", "坐标不是有限数"},
		{"longitude beyond 180", point(wgs, 213.2, 27.87), "outside [-180, 180]", "坐标超出范围"},
		{"latitude beyond 90", point(wgs, 113.2, 127.87), "outside [-90, 90]", "坐标超出范围"},
		{"Web Mercator beyond its range", point(web, 3e7, 3.2e6), "valid range", "坐标超出范围"},
		{"a parcel with no area", parcel(bg, wgs, orb.Polygon{{{113.2, 27.87}, {113.3, 27.87}, {113.2, 27.87}}}), "no area", "地块没有面积"},
		{"a parcel over the vertex limit", parcel(bg, tight, orb.Polygon{star}), "vertices", "地块过大"},
		{"a parcel with too many self-crossings", parcel(bg, &Locator{Index: ix, CRS: crs.CRS84, Limits: spatial.ParcelLimits{MaxCrossings: 5}}, orb.Polygon{star}), "self-crossings", "地块过于复杂"},
		{"a ring around the world", parcel(bg, wgs, orb.Polygon{{{-180, -90}, {180, -90}, {180, 90}, {-180, 90}, {-180, -90}}}), "polygon 1 ring 1: ", "地块的边过长"},
		{"the client gone", parcel(canceled, wgs, square), "canceled", "超时或已取消"},
		{"a parcel over the whole memory budget", parcel(bg, &Locator{Index: ix, CRS: crs.CRS84, Budget: tiny}, square), "memory", "地块过大（超出服务器的内存预算）"},
		{"the memory budget full", parcel(bg, &Locator{Index: ix, CRS: crs.CRS84, Budget: full}, square), "memory", "服务器繁忙"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			r := recErr(7, err)
			if !strings.HasPrefix(r.errEN, "record 7: ") || !strings.Contains(r.errEN, tc.en) {
				t.Errorf("error_en %q, want it to name %q", r.errEN, tc.en)
			}
			if want := "第 7 条：无法定位（" + tc.zh; !strings.HasPrefix(r.errZH, want) {
				t.Errorf("error_zh %q, want it to start %q", r.errZH, want)
			}
		})
	}
}
