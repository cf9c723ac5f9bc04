// Parcels and points to locate: drawn on the map or uploaded as files. The
// upload goes to the server's inspect endpoint first, which says what the
// file holds and which coordinate system it is in; the planner confirms or
// changes the system, then the batch runs. The results table keeps every
// input column, every share and the coordinates, and flags points and
// parcels outside the district (区外); the CSV keeps all of it.
import * as api from './api.js';
import { state, set, changed } from './state.js';
import { map, toMap, fitSane, inSane } from './map.js';
import { h, $, download, fill } from './dom.js';
import { tr, pick, onLang } from './i18n.js';
import { fmtShare, fmtArea, fmtDist, fmtLonLat } from './format.js';
import { mapCoords, bbox, labelPoint, eachPosition } from './geometry.js';
import { fromWGS84 } from './gcj02.js';
import { openPopup } from './query.js';
import { openReport } from './report.js';
import { closePanelOnPhone } from './panel.js';

const L = window.L;
export const parcelLayer = L.featureGroup();

/** @typedef {import('./state.js').Parcel} Parcel */

const CRS_NAMES = {
  CRS84: ['WGS84 经纬度', 'WGS84 longitude/latitude'],
  'EPSG:4490': ['EPSG:4490 · CGCS2000 经纬度', 'EPSG:4490 · CGCS2000 longitude/latitude'],
  'EPSG:4547': ['EPSG:4547 · CGCS2000 高斯-克吕格 3° 带，中央经线 114°E，无带号', 'EPSG:4547 · CGCS2000 Gauss–Krüger 3°, CM 114°E, no zone prefix'],
  'EPSG:4526': ['EPSG:4526 · CGCS2000 高斯-克吕格 3° 带第 38 带，东坐标带带号', 'EPSG:4526 · CGCS2000 Gauss–Krüger 3° zone 38, eastings with the zone prefix'],
  'EPSG:3857': ['EPSG:3857 · Web 墨卡托', 'EPSG:3857 · Web Mercator'],
  GCJ02: ['GCJ-02 火星坐标（高德、腾讯）', 'GCJ-02 (Amap/Gaode, Tencent)'],
  BD09: ['BD-09 百度坐标', 'BD-09 (Baidu)'],
};
/** crsShort is a CRS's code as planners know it (WGS84 for CRS84). */
const crsShort = (code) => (code === 'CRS84' ? 'WGS84' : code === 'GCJ02' ? 'GCJ-02' : code === 'BD09' ? 'BD-09' : code);
export const crsName = (code) => (CRS_NAMES[code] ? tr(...CRS_NAMES[code]) : code);

// ---------- parcels on the map and in the table ----------

const isPoint = (a) => a && 'inside_district' in a;
/** inDistrict: a point inside, or a parcel overlapping the district. @param {Parcel} p */
export const inDistrict = (p) => (p.answer ? (isPoint(p.answer) ? p.answer.inside_district : p.answer.areas.length > 0) : null);
/** primary: the area a point is in, or a parcel's largest overlap. @param {Parcel} p */
const primary = (p) => (!p.answer ? null : isPoint(p.answer) ? (p.answer.area ? { ...p.answer.area, share: 1 } : null) : p.answer.primary_area);
/** anchor: a WGS84 position to show a row's coordinates: the point, or a parcel's label point. */
function anchor(p) {
  if (!p.geometry) return p.answer && isPoint(p.answer) ? p.answer.wgs84 : null;
  if (p.geometry.type === 'Point') return p.geometry.coordinates;
  try { return labelPoint(p.geometry); } catch { return null; }
}

function displayGeom(g) { return state.crs === 'GCJ02' ? mapCoords(g, fromWGS84) : g; }

function draw(p) {
  if (!p.geometry) return;
  const bad = !!p.error, out = inDistrict(p) === false;
  const colour = bad ? '#6d6d6d' : out ? '#8a4b00' : '#b3261e';
  p.layer = L.geoJSON({ type: 'Feature', properties: {}, geometry: displayGeom(p.geometry) }, {
    pane: 'p-parcels',
    style: () => ({ color: colour, weight: 2, fillColor: colour, fillOpacity: 0.15, dashArray: out ? '4 3' : null }),
    pointToLayer: (f, ll) => L.circleMarker(ll, { pane: 'p-parcels', radius: 6, color: colour, weight: 2, fillColor: '#fff', fillOpacity: 1 }),
    bubblingMouseEvents: false,
  }).on('click', (e) => {
    if (state.tool) return; // tools take clicks on the map itself (no pointer events here then)
    L.DomEvent.stopPropagation(e);
    select(p, e.latlng);
  });
  parcelLayer.addLayer(p.layer);
}
export function redraw() { parcelLayer.clearLayers(); state.parcels.forEach(draw); drawPreview(); }

/** select makes a parcel the selection: its popup on the map, its row marked. */
export function select(p, at) {
  set({ selected: { kind: 'parcel', parcel: p } });
  document.querySelectorAll('#parcel-table tbody tr').forEach((tr) => tr.classList.toggle('selected', tr.dataset.no === String(p.no)));
  if (!at && p.layer) { // keep the whole parcel in view (the results drawer may just have taken room)
    const b = p.layer.getBounds();
    if (b.isValid() && !map.getBounds().contains(b)) { map.stop(); map.fitBounds(b, { padding: [40, 40], maxZoom: Math.max(map.getZoom(), 12), animate: false }); }
  }
  const pos = at || (anchor(p) ? toMap(anchor(p)) : null);
  if (pos) openPopup(pos, () => parcelPopup(p));
}

function parcelPopup(p) {
  if (p.error) return h('div', { class: 'pop' }, h('h3', null, p.name), h('p', { class: 'err' }, tr(p.error.zh, p.error.en)));
  const a = p.answer;
  if (isPoint(a)) {
    return h('div', { class: 'pop' }, h('h3', null, p.name),
      h('dl', null, h('dt', null, tr('片区', 'Area')), h('dd', null, a.area ? pick(a.area, 'name') : h('span', { class: 'outside' }, tr('区外', 'Outside the district'))),
        h('dt', null, tr('城', 'City')), h('dd', null, a.cities.map((c) => pick(c, 'name')).join('、') || '—'),
        h('dt', null, tr('基地', 'Base')), h('dd', null, a.bases.map((c) => pick(c, 'name')).join('、') || '—')),
      h('div', { class: 'coords' }, 'WGS84 ' + fmtLonLat(a.wgs84)),
      h('div', { class: 'pop-actions' },
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => openReport({ kind: 'point', wgs84: a.wgs84 }) }, tr('选址核查报告', 'Site report'))));
  }
  const shares = (arr) => (arr.length ? arr.map((x) => h('div', null, pick(x, 'name') + ' ' + fmtShare(x.share))) : ['—']);
  return h('div', { class: 'pop', dataset: { parcel: String(p.no) } },
    h('h3', null, p.name),
    h('dl', null,
      h('dt', null, tr('片区', 'Areas')), h('dd', null, ...(a.areas.length ? shares(a.areas) : [h('span', { class: 'outside' }, tr('区外', 'Outside the district'))])),
      h('dt', null, tr('城', 'Cities')), h('dd', null, ...shares(a.cities)),
      h('dt', null, tr('基地', 'Bases')), h('dd', null, ...shares(a.bases)),
      h('dt', null, tr('一廊', 'Corridor')), h('dd', null, a.in_corridor ? tr('在廊内', 'Inside') : tr('廊外', 'Outside')),
      h('dt', null, tr('面积', 'Area')), h('dd', null, fmtArea(a.area_m2)),
      a.repaired ? [h('dt', null, tr('几何', 'Geometry')), h('dd', { class: 'warn' }, tr('已修复', 'Repaired') + (a.repair_note ? '：' + a.repair_note : ''))] : null),
    h('div', { class: 'pop-actions' },
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => openReport({ kind: 'parcel', geometry: p.geometry, name: () => p.name }) }, tr('选址核查报告', 'Site report'))));
}

/**
 * add puts parcels in the state, on the map and in the table.
 * @param {Parcel[]} ps
 */
export function add(ps) {
  state.parcels.push(...ps);
  ps.forEach(draw);
  changed('parcels');
  renderTable();
}

/** addDrawnParcel locates a drawn WGS84 polygon and shows the answer on the map. */
export async function addDrawnParcel(geometry) {
  const no = state.parcels.length + 1;
  const answer = await api.locateParcel({ type: 'Feature', properties: { name: tr('手绘地块 ', 'Drawn parcel ') + no }, geometry });
  // the name follows the language: read it when shown, never store it
  const p = { no, get name() { return tr('手绘地块 ', 'Drawn parcel ') + no; }, origin: 'drawn', geometry, answer, error: null, input: {} };
  add([p]);
  select(p);
  return p;
}

export function clear() {
  state.parcels = [];
  parcelLayer.clearLayers();
  changed('parcels');
  if (state.selected && state.selected.kind === 'parcel') set({ selected: null });
  renderTable();
}

// ---------- the table and CSV ----------

/** inputColumns: the union of the rows' input columns, in first-seen order. */
function inputColumns() {
  const cols = [];
  for (const p of state.parcels) for (const k of Object.keys(p.input || {})) if (!cols.includes(k)) cols.push(k);
  return cols;
}
const sharesText = (arr) => (arr || []).map((x) => pick(x, 'name') + ' ' + fmtShare(x.share)).join('; ');
const namesText = (arr) => (arr || []).map((x) => pick(x, 'name')).join('; ');

/**
 * columns of the table and the CSV: [header, value(p), class]. The CSV adds
 * ids and both languages where the table shows one.
 */
function answerColumns() {
  return [
    [tr('区内/区外', 'District'), (p) => (p.error ? tr('失败', 'failed') : inDistrict(p) == null ? '' : inDistrict(p) ? tr('区内', 'inside') : tr('区外', 'outside')), 'flag'],
    [tr('主片区', 'Primary area'), (p) => (primary(p) ? pick(primary(p), 'name') : ''), 'primary-area'],
    [tr('占比', 'Share'), (p) => (p.answer && !isPoint(p.answer) && primary(p) ? fmtShare(primary(p).share) : ''), 'num'],
    [tr('全部片区占比', 'All area shares'), (p) => (p.answer && !isPoint(p.answer) ? sharesText(p.answer.areas) : ''), 'list'],
    [tr('城', 'Cities'), (p) => (!p.answer ? '' : isPoint(p.answer) ? namesText(p.answer.cities) : sharesText(p.answer.cities)), 'list'],
    [tr('基地', 'Bases'), (p) => (!p.answer ? '' : isPoint(p.answer) ? namesText(p.answer.bases) : sharesText(p.answer.bases)), 'list'],
    [tr('一廊', 'Corridor'), (p) => (!p.answer ? '' : p.answer.in_corridor ? tr('廊内', 'inside') : tr('廊外', 'outside')), ''],
    [tr('面积', 'Area'), (p) => (p.answer && !isPoint(p.answer) ? fmtArea(p.answer.area_m2) : ''), 'num'],
    [tr('到一轴', 'To axis'), (p) => (p.answer && p.answer.nearest.axis ? fmtDist(p.answer.nearest.axis.distance_m) : ''), 'num'],
    [tr('经纬度 WGS84', 'Lon, lat WGS84'), (p) => (anchor(p) ? fmtLonLat(anchor(p)) : ''), 'num'],
    [tr('错误', 'Error'), (p) => (p.error ? tr(p.error.zh, p.error.en) : ''), 'err'],
  ];
}

export function renderTable() {
  const wrap = $('#results');
  const n = state.parcels.length;
  wrap.hidden = n === 0;
  document.body.classList.toggle('results-open', n > 0);
  if (map) map.invalidateSize();
  if (!n) { $('#parcel-table tbody').replaceChildren(); $('#results-summary').textContent = ''; return; }
  const inCols = inputColumns();
  const cols = answerColumns();
  const table = $('#parcel-table');
  table.querySelector('thead').replaceChildren(h('tr', null,
    h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, tr('名称', 'Name')),
    inCols.map((c) => h('th', { scope: 'col', class: 'input-col' }, c)),
    cols.map(([t]) => h('th', { scope: 'col' }, t))));
  table.querySelector('tbody').replaceChildren(...state.parcels.map((p) => {
    const out = inDistrict(p) === false;
    const tr_ = h('tr', { dataset: { no: String(p.no) }, class: (p.error ? 'bad ' : '') + (out ? 'out ' : ''), tabindex: 0 },
      h('td', { class: 'num' }, String(p.no)), h('th', { scope: 'row' }, p.name),
      inCols.map((c) => h('td', { class: 'input-col' }, p.input && p.input[c] != null ? String(p.input[c]) : '')),
      // a failed row: its reason next to the flag, across the answer columns
      p.error ? [h('td', { class: 'flag' }, cols[0][1](p)), h('td', { class: 'err', colspan: cols.length - 1 }, tr(p.error.zh, p.error.en))]
        : cols.map(([, fn, cls]) => h('td', { class: cls, dataset: cls === 'primary-area' && primary(p) ? { areaId: primary(p).id } : null }, fn(p))));
    const go = () => {
      closePanelOnPhone();
      if (p.layer) {
        const b = p.layer.getBounds();
        if (b.isValid()) { map.stop(); map.fitBounds(b, { padding: [40, 40], maxZoom: 16, animate: false }); }
      }
      select(p);
    };
    tr_.addEventListener('click', go);
    tr_.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    return tr_;
  }));
  const bad = state.parcels.filter((p) => p.error).length, out = state.parcels.filter((p) => inDistrict(p) === false).length;
  $('#results-summary').textContent = tr(`共 ${n} 行：${n - bad} 行已查询，${bad} 行失败，${out} 行在区外。`, `${n} row(s): ${n - bad} located, ${bad} failed, ${out} outside the district.`);
}
onLang(() => { renderTable(); });

/** csvField quotes for Excel and defuses formulas. */
function csvField(v) {
  let t = v == null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(t) && isNaN(Number(t))) t = "'" + t;
  return /[",\r\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
}
/** csv is every row with every input column, every share and the coordinates (UTF-8 with BOM for Excel). */
export function csv() {
  const inCols = inputColumns();
  const shareList = (arr) => (arr || []).map((x) => x.id + ':' + x.share.toFixed(6)).join('; ');
  const head = ['no', 'name', ...inCols, 'in_district', '区内区外', 'primary_area_id', 'primary_area_zh', 'primary_area_en', 'primary_share',
    'area_shares', 'city_shares', 'base_shares', 'in_corridor', 'area_m2', 'dist_axis_m', 'dist_chain_m', 'nearest_road_zh', 'nearest_road_m',
    'lon_wgs84', 'lat_wgs84', 'error_zh', 'error_en'];
  const rows = [head];
  for (const p of state.parcels) {
    const a = p.answer, pr = primary(p), inD = inDistrict(p), at = anchor(p), point = isPoint(a);
    const road = a && a.nearest.roads[0];
    rows.push([p.no, p.name, ...inCols.map((c) => (p.input && p.input[c] != null ? p.input[c] : '')),
      inD == null ? '' : String(inD), inD == null ? '' : inD ? '区内' : '区外',
      pr ? pr.id : '', pr ? pr.name_zh : '', pr ? pr.name_en : '', pr && !point ? pr.share.toFixed(6) : '',
      a && !point ? shareList(a.areas) : '', a ? (point ? a.cities.map((x) => x.id).join('; ') : shareList(a.cities)) : '',
      a ? (point ? a.bases.map((x) => x.id).join('; ') : shareList(a.bases)) : '', a ? String(a.in_corridor) : '',
      a && !point ? a.area_m2.toFixed(2) : '', a && a.nearest.axis ? a.nearest.axis.distance_m.toFixed(1) : '',
      a && a.nearest.chain ? a.nearest.chain.distance_m.toFixed(1) : '', road ? road.name_zh : '', road ? road.distance_m.toFixed(1) : '',
      at ? at[0].toFixed(7) : '', at ? at[1].toFixed(7) : '', p.error ? p.error.zh : '', p.error ? p.error.en : '']);
  }
  return '\uFEFF' + rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

// ---------- uploads ----------

/**
 * The file being checked: the server's inspect answer for it, the CRS asked
 * for (null: the server's own choice), the worksheet or GeoPackage layer
 * asked for (pick), and a sequence number so that only the newest inspect
 * answer is shown when the planner changes the CRS quickly.
 * @type {{file: File, answer: api.InspectAnswer | null, crs: string | null, pick?: api.UploadOptions | null, error: {zh: string, en: string} | null, busy: boolean} | null}
 */
let pending = null;
let inspectSeq = 0;
/** the WGS84 extent of the pending file, dashed on the map */
const preview = L.featureGroup();
/** @type {{zh: string, en: string, error: boolean} | null} the status line, kept so it follows the language */
let statusMsg = null;
function status(zh, en, isError) {
  statusMsg = zh ? { zh, en, error: !!isError } : null;
  renderStatus();
}
function renderStatus() {
  const s = $('#upload-status');
  s.textContent = statusMsg ? tr(statusMsg.zh, statusMsg.en) : '';
  s.classList.toggle('error', !!(statusMsg && statusMsg.error));
}

const FORMAT_NAMES = { csv: 'CSV', geojson: 'GeoJSON', ndjson: 'NDJSON', xlsx: 'Excel (.xlsx)', shapezip: ['Shapefile（zip）', 'Shapefile (zip)'], gpkg: 'GeoPackage' };
const formatName = (f) => { const n = FORMAT_NAMES[f]; return Array.isArray(n) ? tr(...n) : n || f; };
const ENCODING_NAMES = { 'GB18030': 'GB18030 (GBK)', 'UTF-8-BOM': ['UTF-8（带 BOM）', 'UTF-8 with BOM'], binary: null };
function encodingName(e) {
  if (!(e in ENCODING_NAMES)) return e;
  const n = ENCODING_NAMES[e];
  return Array.isArray(n) ? tr(...n) : n;
}
const SOURCE = { file: ['文件声明', 'stated in the file'], detected: ['由数值判断', 'detected from the numbers'], parameter: ['已选定', 'as chosen'], default: ['默认', 'default'] };
const fmtBBox = (b) => b[0].toFixed(5) + ', ' + b[1].toFixed(5) + ' — ' + b[2].toFixed(5) + ', ' + b[3].toFixed(5);

/**
 * inspectFile sends a file to the inspect endpoint (with the CRS, worksheet
 * or GeoPackage layer the planner chose, if any) and shows what it holds.
 * @param {File} file
 * @param {string | null} [crs]
 * @param {api.UploadOptions | null} [pick] {sheet} or {layer}
 */
export async function inspectFile(file, crs = null, pick = null) {
  const mine = ++inspectSeq;
  const answer = pending && pending.file === file ? pending.answer : null;
  pending = { file, answer, crs, pick, error: null, busy: true };
  if (!answer) $('#upload-check').hidden = true;
  renderCheck();
  status(crs ? `正在按 ${crsShort(crs)} 重新读取 ${file.name}…` : `正在读取 ${file.name}…`,
    crs ? `Reading ${file.name} again as ${crsShort(crs)}…` : `Reading ${file.name}…`);
  try {
    const a = await api.inspect(file, { ...(pick || {}), ...(crs ? { crs } : {}) });
    if (mine !== inspectSeq || !pending || pending.file !== file) return;
    pending = { file, answer: a, crs, pick, error: null, busy: false };
    status('');
    renderCheck();
    $('#upload-check').scrollIntoView({ block: 'nearest' });
    const b = a.bbox_wgs84;
    if (b && (inSane([b[0], b[1]]) || inSane([b[2], b[3]]))) fitSane(b);
  } catch (err) {
    if (mine !== inspectSeq || !pending || pending.file !== file) return;
    const e = api.errorText(err);
    pending = { file, answer: null, crs, pick, error: e, busy: false };
    status('无法读取文件：' + e.zh, 'The file cannot be read: ' + e.en, true);
  }
  renderCheck();
}

/** drawPreview outlines the file's extent on the map, when it is near the district. */
function drawPreview() {
  preview.clearLayers();
  const b = pending && pending.answer && pending.answer.bbox_wgs84;
  if (!b || !inSane([b[0], b[1]]) && !inSane([b[2], b[3]])) return;
  preview.addLayer(L.rectangle(L.latLngBounds(toMap([b[0], b[1]]), toMap([b[2], b[3]])), {
    pane: 'p-parcels', color: '#0b6e69', weight: 2, dashArray: '6 4', fill: false, interactive: false, className: 'upload-extent' }));
}

/** sampleTable shows the first records as the server read them: a few input columns and the WGS84 position. */
function sampleTable(a) {
  if (!a.sample.length) return null;
  const cols = [];
  const skip = new Set(['wgs84_lon', 'wgs84_lat']);
  if (a.geometry.kind === 'xy') { skip.add(a.geometry.x); skip.add(a.geometry.y); }
  const named = a.columns.length ? a.columns : [...new Set(a.sample.flatMap((r) => Object.keys(r)))];
  for (const c of named) if (!skip.has(c) && cols.length < 2) cols.push(c);
  const xy = a.geometry.kind === 'xy' ? [a.geometry.x, a.geometry.y] : [];
  const hasWGS = a.sample.some((r) => r.wgs84_lon != null);
  return h('div', { class: 'table-wrap sample-wrap', tabindex: 0, role: 'region', 'aria-label': tr('前几行样例', 'The first rows') },
    h('table', { class: 'sample', id: 'upload-sample' },
      h('caption', null, tr('前几行（服务器读到的）', 'The first rows, as the server read them')),
      h('thead', null, h('tr', null, [...cols, ...xy].map((c) => h('th', { scope: 'col' }, c)), hasWGS ? h('th', { scope: 'col' }, 'WGS84') : null)),
      h('tbody', null, a.sample.map((r) => h('tr', null,
        [...cols, ...xy].map((c) => h('td', null, r[c] == null ? '' : String(r[c]))),
        hasWGS ? h('td', { class: 'num' }, r.wgs84_lon != null ? fmtLonLat([r.wgs84_lon, r.wgs84_lat]) : '—') : null)))));
}

function renderCheck() {
  const box = $('#upload-check');
  drawPreview();
  if (!pending || (!pending.answer && !pending.error)) { box.hidden = !pending; if (!pending) box.replaceChildren(); return; }
  const { file, answer: a, error, busy } = pending;
  const focused = document.activeElement && document.activeElement.id;
  const cancel = h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => { pending = null; inspectSeq++; status(''); renderCheck(); } }, tr('取消', 'Cancel'));
  if (!a) { // the file cannot be read at all: the reason, and nothing to run
    box.replaceChildren(h('h3', null, file.name), h('p', { class: 'err' }, tr(error.zh, error.en)), h('div', { class: 'tools' }, cancel));
    box.hidden = false;
    return;
  }
  const chosen = pending.crs || a.crs.code;
  const sel = /** @type {HTMLSelectElement} */ (h('select', { id: 'upload-crs', disabled: busy }));
  const codes = [...new Set([chosen, ...api.UPLOAD_CRS, ...a.candidates])].filter((c) => CRS_NAMES[c] || c === chosen);
  sel.replaceChildren(...codes.map((c) => h('option', { value: c, selected: c === chosen }, crsName(c) + (c === a.candidates[0] && a.crs.source !== 'parameter' ? tr('（推荐）', ' (suggested)') : ''))));
  sel.addEventListener('change', () => inspectFile(file, sel.value, pending && pending.pick));
  // A workbook of several sheets or a GeoPackage of several layers: which
  // one to read (another part may be in another CRS: the file decides again).
  const part = a.layers && a.layers.length > 1 ? { key: 'layer', id: 'upload-layer', list: a.layers, now: a.layer, label: ['选择图层（GeoPackage 要素表）', 'Layer (GeoPackage feature table)'] }
    : a.sheets && a.sheets.length > 1 ? { key: 'sheet', id: 'upload-sheet', list: a.sheets, now: a.sheet, label: ['选择工作表', 'Worksheet'] } : null;
  let partSel = null;
  if (part) {
    partSel = /** @type {HTMLSelectElement} */ (h('select', { id: part.id, disabled: busy }, part.list.map((n) => h('option', { value: n, selected: n === part.now }, n))));
    partSel.addEventListener('change', () => inspectFile(file, null, { [part.key]: partSel.value }));
  }
  // A header with two candidate coordinate column sets (经度/纬度 and
  // X坐标/Y坐标): which one to read (x=&y= or wkt=).
  const choices = a.geometry_choices && a.geometry_choices.length > 1 ? a.geometry_choices : null;
  let colSel = null;
  if (choices) {
    const label = (g) => g.kind === 'wkt' ? 'WKT ' + g.column : g.x + ' / ' + g.y;
    const now = label(a.geometry);
    colSel = /** @type {HTMLSelectElement} */ (h('select', { id: 'upload-columns-choice', disabled: busy }, choices.map((g, i) => h('option', { value: String(i), selected: label(g) === now }, label(g)))));
    colSel.addEventListener('change', () => {
      const g = choices[Number(colSel.value)];
      const keep = { sheet: pending && pending.pick && pending.pick.sheet };
      inspectFile(file, null, g.kind === 'wkt' ? { ...keep, wkt: g.column } : { ...keep, x: g.x, y: g.y });
    });
  }
  const geom = a.geometry.kind === 'xy' ? tr('坐标列 ', 'coordinate columns ') + a.geometry.x + ' / ' + a.geometry.y
    : a.geometry.kind === 'wkt' ? tr('WKT 列 ', 'WKT column ') + a.geometry.column : tr('文件自带的几何', 'the file\'s own geometries');
  const reason = tr(a.crs.reason_zh, a.crs.reason_en);
  const b = a.bbox_wgs84;
  const near = b && (inSane([b[0], b[1]]) || inSane([b[2], b[3]]));
  const enc = encodingName(a.encoding);
  fill(box,
    h('h3', null, file.name),
    h('dl', { class: 'facts' },
      h('dt', null, tr('格式', 'Format')), h('dd', { id: 'upload-format' }, formatName(a.format) + (enc ? ' · ' + enc : '')),
      h('dt', null, tr('记录', 'Records')), h('dd', { id: 'upload-rows' }, String(a.rows)),
      h('dt', null, tr('位置来自', 'Positions from')), h('dd', { id: 'upload-geometry' }, geom),
      a.columns.length ? [h('dt', null, tr('列', 'Columns')), h('dd', { class: 'cols', id: 'upload-columns' }, a.columns.join('、'))] : null,
      h('dt', null, tr('坐标系', 'Coordinates')), h('dd', { id: 'upload-crs-reason' },
        h('strong', null, crsName(a.crs.code)), ' — ' + tr(...(SOURCE[a.crs.source] || [a.crs.source, a.crs.source])) + (reason ? tr('：', ': ') + reason : '')),
      h('dt', null, tr('范围', 'Extent')), h('dd', { id: 'upload-bbox', class: near ? '' : 'warn' },
        b ? 'WGS84 ' + fmtBBox(b) + (near ? '' : tr('（远离荷塘区，请检查坐标系）', ' (far from Hetang District: check the coordinate system)'))
          : tr('没有可换算的记录（请检查坐标系）', 'no record converts (check the coordinate system)'))),
    a.warnings.length ? h('ul', { class: 'warnings' }, a.warnings.map((w) => h('li', null, w))) : null,
    sampleTable(a),
    part ? [h('label', { for: part.id, class: 'field' }, tr(...part.label)), partSel] : null,
    colSel ? [h('label', { for: 'upload-columns-choice', class: 'field' }, tr('选择坐标列（表中有两组）', 'Coordinate columns (the table has two sets)')), colSel] : null,
    h('label', { for: 'upload-crs', class: 'field' }, tr('确认或更改坐标系', 'Confirm or change the coordinate system')), sel,
    a.problems_total ? h('div', { class: 'problems', id: 'upload-problems' },
      h('p', null, tr(`有问题的行（${a.problems_total} 行${a.problems_total > a.problems.length ? '，列出前 ' + a.problems.length + ' 行' : ''}）：`,
        `Rows with problems (${a.problems_total}${a.problems_total > a.problems.length ? ', the first ' + a.problems.length + ' listed' : ''}):`)),
      h('ul', null, a.problems.map((x) => h('li', null, tr('第 ' + x.row + ' 行：', 'Row ' + x.row + ': ') + tr(x.reason_zh, x.reason_en))))) : null,
    h('div', { class: 'tools' },
      h('button', { type: 'button', class: 'btn btn-primary', id: 'upload-run', disabled: busy, onclick: () => runBatch(sel.value) },
        tr(`按 ${crsShort(chosen)} 查询全部 ${a.rows} 条`, `Locate all ${a.rows} as ${crsShort(chosen)}`)),
      cancel));
  box.hidden = false;
  if (focused === 'upload-crs') sel.focus();
  else if (partSel && focused === partSel.id) partSel.focus();
  else if (colSel && focused === colSel.id) colSel.focus();
}
onLang(() => { renderCheck(); renderStatus(); });

/** runBatch locates every record of the pending file in the confirmed CRS. @param {string} crs */
export async function runBatch(crs) {
  if (!pending || pending.busy) return;
  const { file, answer } = pending;
  pending.busy = true;
  renderCheck();
  status(`正在查询 ${file.name}（${crsShort(crs)}）…`, `Locating ${file.name} (${crsShort(crs)})…`);
  try {
    // the sheet, layer and (of two candidate sets) coordinate columns the
    // check read: a batch must name a GeoPackage's layer and the columns
    const g = answer && answer.geometry_choices && answer.geometry_choices.length > 1 ? answer.geometry : null;
    const cols = g ? (g.kind === 'wkt' ? { wkt: g.column } : { x: g.x, y: g.y }) : {};
    const res = await api.batch(file, { crs, sheet: answer && answer.sheet, layer: answer && answer.layer, ...cols });
    const base = state.parcels.length;
    const columns = res.input ? res.input.columns : [];
    const rows = res.features.map((f, i) => {
      const r = api.batchRow(f, columns);
      return /** @type {Parcel} */ ({ no: base + i + 1, name: rowName(r.input, r.id, i), origin: 'upload', geometry: r.geometry, input: r.input, answer: r.answer, error: r.error });
    });
    pending = null;
    renderCheck();
    add(rows);
    const bad = rows.filter((r) => r.error).length, out = rows.filter((r) => inDistrict(r) === false).length;
    const used = res.inputCRS || crs;
    status(`${file.name}：${rows.length} 条，${rows.length - bad} 条已查询，${bad} 条失败，${out} 条在区外（${crsShort(used)}）。`,
      `${file.name}: ${rows.length} record(s), ${rows.length - bad} located, ${bad} failed, ${out} outside the district (${crsShort(used)}).`, bad > 0);
    closePanelOnPhone(); // the rows are on the map and in the table under it
    fitParcels();
  } catch (err) {
    if (pending) { pending.busy = false; renderCheck(); }
    const e = api.errorText(err);
    status('查询失败：' + e.zh, 'Locating failed: ' + e.en, true);
  }
}

function rowName(input, id, i) {
  for (const k of ['name', 'name_zh', '名称', '地块名称', 'NAME', 'Name', 'title', 'id', 'ID', 'fid', '序号']) if (input[k] != null && input[k] !== '') return String(input[k]);
  if (id != null && id !== '') return String(id);
  return '#' + (i + 1);
}

/** fitParcels shows the located parcels, but never leaves the district's neighbourhood. */
export function fitParcels() {
  const all = { type: 'GeometryCollection', geometries: state.parcels.filter((p) => p.geometry && !p.error).map((p) => p.geometry) };
  let ok = false;
  eachPosition(all, () => { ok = true; });
  if (ok) fitSane(bbox(all));
}

export function init() {
  parcelLayer.addTo(map);
  preview.addTo(map);
  $('#parcel-file').addEventListener('change', (ev) => {
    const input = /** @type {HTMLInputElement} */ (ev.target);
    const f = input.files && input.files[0];
    input.value = '';
    if (f) inspectFile(f);
  });
  $('#parcels-csv').addEventListener('click', () => download(new Blob([csv()], { type: 'text/csv;charset=utf-8' }), 'hetang-parcels.csv'));
  $('#parcels-clear').addEventListener('click', clear);
  $('#results-toggle').addEventListener('click', () => {
    const on = document.body.classList.toggle('results-min');
    $('#results-toggle').setAttribute('aria-expanded', String(!on));
    map.invalidateSize();
  });
  (function dragDrop() {
    const overlay = $('#drop-overlay');
    let depth = 0;
    const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files');
    document.addEventListener('dragenter', (ev) => { if (!hasFiles(ev)) return; ev.preventDefault(); depth++; overlay.hidden = false; });
    document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; overlay.hidden = true; } });
    document.addEventListener('dragover', (ev) => { if (hasFiles(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = 'copy'; } });
    document.addEventListener('drop', (ev) => {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      depth = 0; overlay.hidden = true;
      const f = ev.dataTransfer.files[0];
      if (f) inspectFile(f);
    });
  })();
}
