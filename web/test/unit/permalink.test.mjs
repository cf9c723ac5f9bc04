// The permalink's hash format: round trips and hostile input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, decode, MAX_PARCEL_CHARS } from '../../static/js/permalink.js';

test('a full permalink round-trips', () => {
  const p = { view: { zoom: 13.25, lat: 27.86012, lon: 113.17234 }, layers: ['areas', 'roads', 'chain_nodes'], base: 'gcj-test', lang: 'en', point: [113.172345, 27.860123] };
  assert.deepEqual(decode('#' + encode(p)), p);
  const q = { view: { zoom: 12, lat: 27.9, lon: 113.2 }, layers: [], parcel: [[113.1, 27.8], [113.2, 27.8], [113.2, 27.9], [113.1, 27.8]] };
  const back = decode(encode(q));
  assert.deepEqual(back.parcel, [[113.1, 27.8], [113.2, 27.8], [113.2, 27.9]], 'the closing vertex is dropped');
  assert.deepEqual(back.layers, []);
});

test('the short #zoom/lat/lon form is read', () => {
  assert.deepEqual(decode('#14/27.86/113.17'), { view: { zoom: 14, lat: 27.86, lon: 113.17 } });
});

test('malformed and hostile parts are left out', () => {
  assert.deepEqual(decode('#map=99/27/113&pt=200,10&lang=fr&base=<script>&layers=a,b c,../x'), { layers: ['a'] });
  assert.deepEqual(decode('#pg=1,2;3,4'), {}, 'a parcel needs three vertices');
  assert.deepEqual(decode('#pt=%E0%A4%A'), {}, 'bad escapes');
  assert.deepEqual(decode(''), {});
  const big = Array.from({ length: 200 }, (_, i) => [113 + i * 1e-4, 27.9]);
  assert.equal(encode({ parcel: big }), '', 'a parcel too long for the hash is left out');
  assert.deepEqual(decode('pg=' + 'x'.repeat(MAX_PARCEL_CHARS + 1)), {});
});
