// Parcels and points to locate: drawn on the map or uploaded as files. The
// upload goes to the server's inspect endpoint first, which says what the
// file holds and which coordinate system it is in; the planner confirms or
// changes the system, then the batch runs. The results table keeps every
// input column, every share and the coordinates, and flags points and
// parcels outside the district (区外); the CSV keeps all of it.
import * as api from './api.js';
import { state, set, changed } from './state.js';
import { map, toMap, fitSane } from './map.js';
import { h, $, download } from './dom.js';
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
  'EPSG:4490': ['CGCS2000 经纬度 (EPSG:4490)', 'CGCS2000 longitude/latitude (EPSG:4490)'],
  'EPSG:4547': ['CGCS2000 高斯-克吕格 3° 带 114°E，无带号 (EPSG:4547)', 'CGCS2000 Gauss–Krüger 3° CM 114°E, no zone prefix (EPSG:4547)'],
  'EPSG:4526': ['CGCS2000 高斯-克吕格 3° 带 38 带，带号 (EPSG:4526)', 'CGCS2000 Gauss–Krüger 3° zone 38, with prefix (EPSG:4526)'],
  'EPSG:3857': ['Web 墨卡托 (EPSG:3857)', 'Web Mercator (EPSG:3857)'],
  GCJ02: ['GCJ-02 火星坐标（高德、腾讯）', 'GCJ-02 (Amap/Gaode, Tencent)'],
  BD09: ['BD-09 百度坐标', 'BD-09 (Baidu)'],
};
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
export function redraw() { parcelLayer.clearLayers(); state.parcels.forEach(draw); }

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
      h('div', { class: 'coords' }, 'WGS84 ' + fmtLonLat(a.wgs84)));
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
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => openReport({ kind: 'parcel', geometry: p.geometry, name: p.name }) }, tr('选址核查报告', 'Site report'))));
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
  const name = tr('手绘地块 ', 'Drawn parcel ') + no;
  const answer = await api.locateParcel({ type: 'Feature', properties: { name }, geometry });
  const p = { no, name, origin: 'drawn', geometry, answer, error: null, input: {} };
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
    [tr('区内/区外', 'District'), (p) => (inDistrict(p) == null ? '' : inDistrict(p) ? tr('区内', 'inside') : tr('区外', 'outside')), 'flag'],
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
  if (!n) return;
  const inCols = inputColumns();
  const cols = answerColumns();
  const table = $('#parcel-table');
  table.querySelector('thead').replaceChildren(h('tr', null,
    h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, tr('名称', 'Name')),
    inCols.map((c) => h('th', { scope: 'col', class: 'input-col' }, c)),
    cols.map(([t]) => h('th', { scope: 'col' }, t))));
  table.querySelector('tbody').replaceChildren(...state.parcels.map((p) => {
    const out = inDistrict(p) === false;
    const tr_ = h('tr', { dataset: { no: String(p.no) }, class: (p.error ? 'bad ' : '') + (out ? 'outside ' : ''), tabindex: 0 },
      h('td', { class: 'num' }, String(p.no)), h('th', { scope: 'row' }, p.name),
      inCols.map((c) => h('td', { class: 'input-col' }, p.input && p.input[c] != null ? String(p.input[c]) : '')),
      cols.map(([, fn, cls]) => h('td', { class: cls, dataset: cls === 'primary-area' && primary(p) ? { areaId: primary(p).id } : null }, fn(p))));
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

/** @type {{file: File, answer: api.InspectAnswer} | null} */
let pending = null;
const status = (msg, isError) => { const s = $('#upload-status'); s.textContent = msg || ''; s.classList.toggle('error', !!isError); };
const errText = (err) => (err.problem && err.problem.detail ? err.problem.detail : err.message);

/** inspectFile sends a file to the inspect endpoint and shows what it holds. @param {File} file */
export async function inspectFile(file, opts = {}) {
  status(tr('正在读取 ', 'Reading ') + file.name + '…');
  $('#upload-check').hidden = true;
  try {
    const answer = await api.inspect(file, opts);
    pending = { file, answer };
    renderCheck();
    status('');
  } catch (err) {
    pending = null;
    status(tr('无法读取文件：', 'The file cannot be read: ') + errText(err), true);
  }
}

function renderCheck() {
  const box = $('#upload-check');
  if (!pending) { box.hidden = true; return; }
  const { file, answer: a } = pending;
  const sel = /** @type {HTMLSelectElement} */ (h('select', { id: 'upload-crs' }));
  const codes = [...new Set([a.crs.code, ...a.candidates, ...api.UPLOAD_CRS])].filter((c) => CRS_NAMES[c] || c === a.crs.code);
  sel.replaceChildren(...codes.map((c) => h('option', { value: c, selected: c === a.crs.code }, crsName(c))));
  const geom = a.geometry.kind === 'xy' ? tr('坐标列 ', 'coordinate columns ') + a.geometry.x + ' / ' + a.geometry.y
    : a.geometry.kind === 'wkt' ? tr('WKT 列 ', 'WKT column ') + a.geometry.column : tr('几何', 'geometries');
  const source = { file: tr('文件声明', 'stated in the file'), detected: tr('由数值判断', 'detected from the numbers'), parameter: tr('指定', 'as chosen'), default: tr('默认', 'default') }[a.crs.source] || a.crs.source;
  box.replaceChildren(
    h('h3', null, file.name),
    h('dl', { class: 'facts' },
      h('dt', null, tr('格式', 'Format')), h('dd', { id: 'upload-format' }, a.format + (a.encoding ? ' · ' + a.encoding : '')),
      h('dt', null, tr('行数', 'Rows')), h('dd', null, String(a.rows)),
      h('dt', null, tr('位置来自', 'Positions from')), h('dd', null, geom),
      h('dt', null, tr('列', 'Columns')), h('dd', { class: 'cols' }, a.columns.join('、') || '—'),
      h('dt', null, tr('坐标系', 'Coordinates')), h('dd', { id: 'upload-crs-reason' }, crsName(a.crs.code) + ' — ' + source + (tr(a.crs.reason_zh, a.crs.reason_en) ? '：' + tr(a.crs.reason_zh, a.crs.reason_en) : ''))),
    h('label', { for: 'upload-crs', class: 'field' }, tr('确认或更改坐标系', 'Confirm or change the coordinate system')), sel,
    a.problems.length ? h('div', { class: 'problems' }, h('p', null, tr('有问题的行：', 'Rows with problems:')),
      h('ul', null, a.problems.map((x) => h('li', null, tr('第 ' + x.row + ' 行：', 'Row ' + x.row + ': ') + tr(x.reason_zh, x.reason_en))))) : null,
    h('div', { class: 'tools' },
      h('button', { type: 'button', class: 'btn btn-primary', id: 'upload-run', onclick: () => runBatch(sel.value) }, tr('查询全部行', 'Locate all rows')),
      h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => { pending = null; renderCheck(); } }, tr('取消', 'Cancel'))));
  sel.addEventListener('change', () => inspectFile(file, { crs: sel.value }));
  box.hidden = false;
}
onLang(() => { if (pending) renderCheck(); });

/** runBatch locates every row of the pending file in the chosen CRS. @param {string} crs */
export async function runBatch(crs) {
  if (!pending) return;
  const { file } = pending;
  status(tr('查询中… ', 'Locating… ') + file.name);
  try {
    const res = await api.batch(file, { crs });
    const base = state.parcels.length;
    const rows = res.features.map((f, i) => {
      const r = api.batchRow(f);
      const name = rowName(r.input, r.id, base + i);
      return /** @type {Parcel} */ ({ no: base + i + 1, name, origin: 'upload', geometry: r.geometry, input: r.input, answer: r.answer, error: r.error });
    });
    add(rows);
    pending = null;
    renderCheck();
    const bad = rows.filter((r) => r.error).length;
    status(tr(`${file.name}：${rows.length - bad} 行已查询，${bad} 行失败（${crsName(res.inputCRS || crs)}）。`,
      `${file.name}: ${rows.length - bad} row(s) located, ${bad} failed (${crsName(res.inputCRS || crs)}).`), bad > 0);
    fitParcels();
  } catch (err) {
    status(tr('查询失败：', 'Locating failed: ') + errText(err), true);
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
