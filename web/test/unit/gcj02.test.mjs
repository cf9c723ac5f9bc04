// The page's GCJ-02 module against the server's Go code (internal/gcj02),
// through values in testdata/go-values.json (web/unit_test.go writes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromWGS84, toWGS84, inChina } from '../../static/js/gcj02.js';

const values = JSON.parse(readFileSync(new URL('./testdata/go-values.json', import.meta.url)));

test('fromWGS84 gives the Go forward values to 1e-12°', () => {
  assert.ok(values.gcj02.length >= 10);
  for (const c of values.gcj02) {
    const got = fromWGS84(c.wgs84);
    assert.ok(Math.abs(got[0] - c.gcj02[0]) < 1e-12 && Math.abs(got[1] - c.gcj02[1]) < 1e-12, `${c.wgs84} → ${got}, Go ${c.gcj02}`);
  }
});

test('toWGS84 gives the Go inverse values to 1e-10° and undoes fromWGS84', () => {
  for (const c of values.gcj02) {
    const got = toWGS84(c.gcj02);
    assert.ok(Math.abs(got[0] - c.back[0]) < 1e-10 && Math.abs(got[1] - c.back[1]) < 1e-10, `${c.gcj02} → ${got}, Go ${c.back}`);
    assert.ok(Math.abs(got[0] - c.wgs84[0]) < 1e-9 && Math.abs(got[1] - c.wgs84[1]) < 1e-9, `round trip of ${c.wgs84} gave ${got}`);
  }
});

test('outside China the frame is WGS84', () => {
  const outside = values.gcj02.filter((c) => !inChina(...c.wgs84));
  assert.ok(outside.length >= 2, 'the Go values include points outside China');
  for (const c of outside) assert.deepEqual(fromWGS84(c.wgs84), c.gcj02);
});

test('the offset at the district is the ~0.0057° east, ~0.0033° south the browser test expects', () => {
  const [x, y] = fromWGS84([113.2, 27.9]);
  assert.ok(x - 113.2 > 0.0052 && x - 113.2 < 0.0062, String(x));
  assert.ok(y - 27.9 < -0.0028 && y - 27.9 > -0.0038, String(y));
});
