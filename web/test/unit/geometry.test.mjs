// The page's planar geometry against orb's planar functions (the Go side),
// through values in testdata/go-values.json (web/unit_test.go writes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as geo from '../../static/js/geometry.js';

const values = JSON.parse(readFileSync(new URL('./testdata/go-values.json', import.meta.url)));
const polys = values.polygons.map((p) => ({ ...p, geom: { type: 'Polygon', coordinates: p.coordinates } }));

test('area equals orb planar.Area to 1e-10 relative', () => {
  assert.ok(polys.length >= 5);
  for (const p of polys) {
    const got = geo.area(p.geom);
    assert.ok(Math.abs(got - p.area) <= 1e-10 * p.area, `${p.id}: ${got} vs ${p.area}`);
    assert.equal(geo.ringArea(p.coordinates[0]) > 0, p.ccw, `${p.id}: ringArea sign vs orientation`);
  }
});

test('ringCentroid equals orb planar.CentroidArea to 1e-9°', () => {
  for (const p of polys) {
    const c = geo.ringCentroid(p.coordinates[0]);
    assert.ok(Math.abs(c[0] - p.centroid[0]) < 1e-9 && Math.abs(c[1] - p.centroid[1]) < 1e-9, `${p.id}: ${c} vs ${p.centroid}`);
  }
});

test('inGeometry agrees with orb planar.PolygonContains on every probe', () => {
  let inside = 0, outside = 0;
  for (const p of polys) {
    p.probes.forEach((q, i) => {
      assert.equal(geo.inGeometry(q, p.geom), p.inside[i], `${p.id} probe ${q}`);
      if (p.inside[i]) inside++; else outside++;
    });
  }
  assert.ok(inside > 20 && outside > 20, `probes on both sides: ${inside} in, ${outside} out`);
});

test('labelPoint is inside every polygon, also a MultiPolygon of them', () => {
  for (const p of polys) assert.ok(geo.inGeometry(geo.labelPoint(p.geom), p.geom), p.id);
  const multi = { type: 'MultiPolygon', coordinates: polys.map((p) => p.coordinates) };
  const big = polys.reduce((a, b) => (a.area > b.area ? a : b));
  assert.ok(geo.inGeometry(geo.labelPoint(multi), big.geom), 'labels the largest part');
  // a U shape whose centroid lies outside it
  const u = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] };
  assert.ok(!geo.inGeometry(geo.ringCentroid(u.coordinates[0]), u));
  assert.ok(geo.inGeometry(geo.labelPoint(u), u));
});

test('bbox, mapCoords and alongLine', () => {
  const g = { type: 'MultiPolygon', coordinates: polys.map((p) => p.coordinates) };
  const b = geo.bbox(g);
  for (const p of polys) for (const [x, y] of p.coordinates[0]) assert.ok(x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]);
  assert.equal(geo.bbox({ type: 'Polygon', coordinates: [] }), null);
  const moved = geo.mapCoords(g, ([x, y]) => [x + 1, y - 1]);
  assert.deepEqual(geo.bbox(moved), [b[0] + 1, b[1] - 1, b[2] + 1, b[3] - 1]);
  const id = ([x, y]) => ({ x, y: -y });
  const half = geo.alongLine([[0, 0], [10, 0], [10, 10]], 0.5, id);
  assert.deepEqual(half.at, [10, 0]);
  const up = geo.alongLine([[0, 0], [0, 10]], 0.5, id);
  assert.ok(Math.abs(Math.abs(up.angle) - 90) < 1e-9, 'vertical text reads bottom to top or top to bottom, never upside down');
  const back = geo.alongLine([[10, 0], [0, 0]], 0.25, id);
  assert.equal(back.angle, 0, 'a line drawn right to left is labelled left to right');
});

test('boxes, rotated boxes and segment distance', () => {
  assert.ok(geo.boxesOverlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 5, w: 10, h: 10 }));
  assert.ok(!geo.boxesOverlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 }));
  assert.ok(geo.boxesOverlap({ x: 0, y: 0, w: 10, h: 10 }, { x: 11, y: 0, w: 10, h: 10 }, 2));
  const r = geo.rotatedBox(0, 0, 20, 10, 90);
  assert.ok(Math.abs(r.w - 10) < 1e-9 && Math.abs(r.h - 20) < 1e-9);
  assert.equal(geo.segmentDistance({ x: 5, y: 3 }, { x: 0, y: 0 }, { x: 10, y: 0 }), 3);
  assert.equal(geo.segmentDistance({ x: -4, y: 3 }, { x: 0, y: 0 }, { x: 10, y: 0 }), 5);
});
