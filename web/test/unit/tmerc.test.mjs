// The page's Transverse Mercator (EPSG:4547) against PROJ's cs2cs, through
// values in testdata/go-values.json (web/unit_test.go runs cs2cs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { forward, inverse } from '../../static/js/tmerc.js';

const values = JSON.parse(readFileSync(new URL('./testdata/go-values.json', import.meta.url)));

test('forward agrees with cs2cs EPSG:4490 → EPSG:4547 to 1 mm', () => {
  assert.ok(values.tmerc_epsg4547.length >= 8);
  for (const c of values.tmerc_epsg4547) {
    const [e, n] = forward(c.lonlat);
    assert.ok(Math.abs(e - c.en[0]) < 1e-3 && Math.abs(n - c.en[1]) < 1e-3, `${c.lonlat} → E ${e} N ${n}; cs2cs E ${c.en[0]} N ${c.en[1]}`);
  }
});

test('inverse takes the cs2cs eastings and northings back to 1e-8°', () => {
  for (const c of values.tmerc_epsg4547) {
    const [lon, lat] = inverse(c.en);
    assert.ok(Math.abs(lon - c.lonlat[0]) < 1e-8 && Math.abs(lat - c.lonlat[1]) < 1e-8, `${c.en} → ${lon}, ${lat}; want ${c.lonlat}`);
  }
});

test('the central meridian maps to the false easting', () => {
  const [e] = forward([114, 28]);
  assert.ok(Math.abs(e - 500000) < 1e-6, String(e));
});
