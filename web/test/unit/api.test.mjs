// The API client's readers of upload answers: batch rows and bilingual problem details.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchRow, bilingual, errorText, ApiError } from '../../static/js/api.js';

// A point row and a failed row as POST /api/v1/locate/batch (Accept: application/geo+json) writes them
// for a GBK CSV with 名称,经度,纬度: the input's members at the top (sorted), the service's additions in
// "answer" (internal/locate.Columns plus in_district), "locate" and "locate_error".
const columns = { area_id: 'area-jinshan', area_name_en: 'Jinshan New City area', area_name_zh: '金山新城片区', area_share: null, area_shares: 'area-jinshan:1',
  base_shares: 'base-power-parts:1', bases: 'base-power-parts', cities: 'city-materials', city_shares: 'city-materials:1', dist_axis_m: 415.127,
  dist_chain_m: 2201.603, dist_corridor_m: 0, district_status_zh: '区内', error_en: null, error_zh: null, in_corridor: true, in_district: true, input_x: 113.2, input_y: 27.9,
  inside_district: true, nearest_road_id: 'road-beihuan', nearest_road_m: 324.266, nearest_road_name_zh: '北环路', on_boundary: false, wgs84_lat: 27.9, wgs84_lon: 113.2 };
const ok = { type: 'Feature', geometry: { type: 'Point', coordinates: [113.2, 27.9] }, properties: {
  answer: columns, locate: { inside_district: true, area: { id: 'area-jinshan' } }, 名称: '甲', 纬度: '27.9', 经度: '113.2' } };
const bad = { type: 'Feature', geometry: null, properties: { 名称: '丙', 经度: 'abc', 纬度: '27.8', locate: null,
  answer: { ...Object.fromEntries(Object.keys(columns).map((k) => [k, null])), error_en: 'record 3: 经度 "abc" is not a number', error_zh: '第 3 条：经度 的值 "abc" 不是数字' },
  locate_error: 'record 3: 经度 "abc" is not a number' } };

test('a batch row keeps the input columns in the file\'s order and the full answer', () => {
  const r = batchRow(ok, ['名称', '经度', '纬度']);
  assert.deepEqual(Object.keys(r.input), ['名称', '经度', '纬度']);
  assert.equal(r.input.经度, '113.2');
  assert.deepEqual(r.answer, ok.properties.locate);
  assert.equal(r.error, null);
});

test('without a header the input is every property the server did not add', () => {
  const r = batchRow(ok);
  assert.deepEqual(Object.keys(r.input).sort(), ['名称', '纬度', '经度'].sort());
});

test('a failed row carries its reason in both languages and no answer', () => {
  const r = batchRow(bad, ['名称', '经度', '纬度']);
  assert.deepEqual(r.error, { en: bad.properties.answer.error_en, zh: bad.properties.answer.error_zh });
  assert.equal(r.answer, null);
  // the pre-issue-11 name alone still reads
  assert.deepEqual(batchRow({ properties: { locate_error: 'x' } }).error, { en: 'x', zh: 'x' });
});

test('problem details written "<English> / <中文>" split into the two languages', () => {
  // the detail of a 400 from /api/v1/locate/inspect for a header without coordinate columns
  const d = 'the header a, b has no coordinate columns: it needs lon/lat (lng, 经度/纬度), x/y (X坐标/Y坐标, 东坐标/北坐标) or a wkt column, or name them with x=, y= or wkt= / 表头 a, b 中找不到坐标列：需要 经度/纬度（lon/lat、lng）、X坐标/Y坐标（x/y）、东坐标/北坐标 或 wkt 列，或用 x=、y=、wkt= 指定';
  const b = bilingual(d);
  assert.ok(b.en.startsWith('the header a, b') && b.en.endsWith('wkt='));
  assert.ok(b.zh.startsWith('表头 a, b') && b.zh.endsWith('指定'));
  assert.deepEqual(bilingual('limit must be 1..50'), { zh: 'limit must be 1..50', en: 'limit must be 1..50' });
  assert.deepEqual(bilingual('lon/lat / x/y'), { zh: 'lon/lat / x/y', en: 'lon/lat / x/y' });
  assert.deepEqual(errorText(new ApiError(400, { detail: 'bad / 坏' })), { en: 'bad', zh: '坏' });
  assert.deepEqual(errorText(new Error('offline')), { en: 'offline', zh: 'offline' });
});
