// The site report (选址核查报告) for a point or a parcel: a printable A4 page
// rendered from the server's report JSON, with a map excerpt drawn from the
// layers, and a PDF download of the server's own PDF. Printing while the
// report is open prints the report alone (print CSS); otherwise the map.
import * as api from './api.js';
import { state } from './state.js';
import { layers } from './layers.js';
import { h, s, $, download, fill } from './dom.js';
import { tr, pick, onLang, getLang } from './i18n.js';
import { fmtDist, fmtShare, fmtArea, fmtLonLat, fmtEN } from './format.js';
import { bbox, mapCoords, labelPoint, area } from './geometry.js';
import { fromWGS84 } from './gcj02.js';

/** @type {{subject: api.ReportSubject, data: api.Report | null, error: {zh: string, en: string} | null} | null} */
let current = null;
let returnFocus = null;

/**
 * openReport shows the report for a subject.
 * @param {api.ReportSubject} subject
 */
export async function openReport(subject) {
  returnFocus = document.activeElement;
  current = { subject, data: null, error: null };
  pdfStatus = null;
  renderStatus();
  show();
  try {
    const data = await api.report(subject);
    if (!current || current.subject !== subject) return;
    current.data = data;
  } catch (err) {
    if (!current || current.subject !== subject) return;
    current.error = api.errorText(err);
  }
  render();
}

export function closeReport() {
  current = null;
  $('#report').hidden = true;
  document.body.classList.remove('report-open');
  if (returnFocus && returnFocus.focus) returnFocus.focus();
}

function show() {
  const r = $('#report');
  r.hidden = false;
  document.body.classList.add('report-open');
  render();
  $('#report-close').focus();
}

let pdfBusy = false;
/** @type {{zh: string, en: string, error?: boolean} | null} the bar's status line, kept so it follows the language */
let pdfStatus = null;
function renderStatus() {
  const st = $('#report-status');
  st.textContent = pdfStatus ? tr(pdfStatus.zh, pdfStatus.en) : '';
  st.classList.toggle('error', !!(pdfStatus && pdfStatus.error));
}
async function pdf() {
  if (!current || pdfBusy) return;
  // not disabled while it runs: a disabled button loses the focus, and the dialog with it
  const btn = $('#report-pdf');
  pdfBusy = true;
  btn.setAttribute('aria-busy', 'true');
  pdfStatus = { zh: '正在生成 PDF…', en: 'Preparing the PDF…' };
  renderStatus();
  try {
    const { blob, filename } = await api.reportPDF(current.subject);
    download(blob, filename);
    pdfStatus = { zh: 'PDF 已下载：' + filename, en: 'PDF downloaded: ' + filename };
  } catch (err) {
    const e = api.errorText(err);
    pdfStatus = { zh: 'PDF 生成失败：' + e.zh, en: 'The PDF failed: ' + e.en, error: true };
  } finally {
    renderStatus();
    pdfBusy = false;
    btn.removeAttribute('aria-busy');
  }
}

/** the excerpt: the areas, axis, roads, corridor and bases around the subject, as SVG */
function excerpt(subject) {
  const toFrame = state.layersCRS === 'GCJ02' ? fromWGS84 : (p) => p;
  const subj = subject.kind === 'point' ? { type: 'Point', coordinates: toFrame(subject.wgs84) } : mapCoords(subject.geometry, toFrame);
  const b = bbox(subj);
  if (!b) return null;
  // the subject with room around it, widened to the frame's 2:1 shape
  const W = 600, H = 300;
  const kx = Math.cos(((b[1] + b[3]) / 2) * Math.PI / 180);
  let hw = Math.max(0.02, (b[2] - b[0]) * 0.8) + (b[2] - b[0]) / 2, hh = Math.max(0.02, (b[3] - b[1]) * 0.8) + (b[3] - b[1]) / 2;
  if (hw * kx / hh < W / H) hw = hh * (W / H) / kx; else hh = hw * kx / (W / H);
  const cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
  const w = cx - hw, e = cx + hw, so = cy - hh, n = cy + hh;
  const X = (x) => ((x - w) / (e - w) * W).toFixed(1), Y = (y) => ((n - y) / (n - so) * H).toFixed(1);
  const path = (g) => {
    let d = '';
    const ring = (r) => { d += r.map((p, i) => (i ? 'L' : 'M') + X(p[0]) + ' ' + Y(p[1])).join('') + (r.length > 2 && r[0] === r[r.length - 1] ? 'Z' : ''); };
    if (g.type === 'Polygon') g.coordinates.forEach(ring);
    else if (g.type === 'MultiPolygon') g.coordinates.forEach((p) => p.forEach(ring));
    else if (g.type === 'LineString') ring(g.coordinates);
    else if (g.type === 'MultiLineString') g.coordinates.forEach(ring);
    return d;
  };
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'excerpt', role: 'img', 'aria-label': tr('位置示意图', 'Location sketch') });
  const add = (id, attrs) => {
    const r = layers[id];
    if (!r || !r.data) return;
    for (const f of r.data.features) {
      const st = typeof attrs === 'function' ? attrs(f) : attrs;
      svg.append(s('path', { d: path(f.geometry), ...st }));
    }
  };
  svg.append(s('rect', { x: 0, y: 0, width: W, height: H, fill: '#f4f6f2' }));
  add('areas', (f) => ({ fill: layers.areas.def.style(f).fillColor, 'fill-opacity': 0.6, stroke: '#fff', 'stroke-width': 1.5 }));
  add('corridor', { fill: '#fdae61', 'fill-opacity': 0.25, stroke: '#e66101', 'stroke-dasharray': '6 4', 'stroke-width': 1 });
  add('bases', { fill: '#8073ac', 'fill-opacity': 0.4, stroke: '#542788', 'stroke-width': 1 });
  add('roads', { fill: 'none', stroke: '#9a6a2a', 'stroke-width': 1.6 });
  add('axis', { fill: 'none', stroke: '#d7301f', 'stroke-width': 3 });
  add('district', { fill: 'none', stroke: '#263238', 'stroke-width': 2, 'stroke-dasharray': '10 3 2 3' });
  // area names at their label points, larger areas first, none over another
  const areas = (layers.areas && layers.areas.data ? layers.areas.data.features : []).slice().sort((f, g) => area(g.geometry) - area(f.geometry));
  const placed = [];
  for (const f of areas) {
    let lp;
    try { lp = labelPoint(f.geometry); } catch { continue; }
    const text = pick(f.properties, 'name');
    const tw = [...text].reduce((t, c) => t + (c.charCodeAt(0) > 0x2e80 ? 13 : 7.5), 0), th = 15;
    const box = { x: +X(lp[0]) - tw / 2, y: +Y(lp[1]) - th + 3, w: tw, h: th };
    if (box.x < 2 || box.y < 2 || box.x + box.w > W - 2 || box.y + box.h > H - 2) continue;
    if (placed.some((o) => box.x < o.x + o.w + 4 && o.x < box.x + box.w + 4 && box.y < o.y + o.h && o.y < box.y + box.h)) continue;
    placed.push(box);
    const lt = s('text', { x: X(lp[0]), y: Y(lp[1]), 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 700, fill: '#22302b', stroke: '#fff', 'stroke-width': 3, 'paint-order': 'stroke' });
    lt.textContent = text;
    svg.append(lt);
  }
  if (subj.type === 'Point') {
    svg.append(s('circle', { cx: X(subj.coordinates[0]), cy: Y(subj.coordinates[1]), r: 7, fill: '#fff', stroke: '#b3261e', 'stroke-width': 3 }));
  } else {
    svg.append(s('path', { d: path(subj), fill: '#ef5350', 'fill-opacity': 0.3, stroke: '#b3261e', 'stroke-width': 2.5 }));
  }
  // a scale bar: a round length near a fifth of the width
  const mPerUnit = (e - w) / W * 111320 * kx;
  const target = W / 5 * mPerUnit;
  const step = [1, 2, 5].map((k) => k * 10 ** Math.floor(Math.log10(target))).filter((v) => v <= target).pop() || target;
  const len = step / mPerUnit;
  const scale = s('g', { transform: `translate(12,${H - 14})` },
    s('rect', { x: -4, y: -16, width: len + 8, height: 24, fill: '#fff', 'fill-opacity': 0.8 }),
    s('path', { d: `M0 -4 V2 H${len.toFixed(1)} V-4`, fill: 'none', stroke: '#1f2a30', 'stroke-width': 1.5 }));
  const st = s('text', { x: len / 2, y: -6, 'text-anchor': 'middle', 'font-size': 11 });
  st.textContent = fmtDist(step);
  scale.append(st);
  svg.append(scale);
  const north = s('g', { transform: `translate(${W - 24},12)` }, s('path', { d: 'M0 0 L7 20 L0 15 L-7 20 Z', fill: '#1f2a30' }));
  const t = s('text', { x: 0, y: 32, 'text-anchor': 'middle', 'font-size': 11, 'font-weight': 700 });
  t.textContent = 'N';
  north.append(t);
  svg.append(north);
  return svg;
}

const FOR = { area: ['片区', 'Area'], city: ['城', 'City'], base: ['基地', 'Base'], corridor: ['一廊', 'Corridor'] };
const POSITION = { north: ['北部', 'north'], middle: ['中部', 'middle'], south: ['南部', 'south'] };

function render() {
  if (!current) return;
  const page = $('#report-page');
  const { subject, data, error } = current;
  /** @type {HTMLButtonElement} */ ($('#report-pdf')).disabled = !data;
  /** @type {HTMLButtonElement} */ ($('#report-print')).disabled = !data;
  const heading = h('h2', { id: 'report-title' }, tr('选址核查报告', 'Site check report'));
  if (error) { page.replaceChildren(heading, h('p', { class: 'err' }, tr('报告生成失败：' + error.zh, 'The report failed: ' + error.en))); return; }
  if (!data) { page.replaceChildren(heading, h('p', null, tr('正在生成报告…', 'Preparing the report…'))); return; }
  const a = data.answers;
  const point = 'inside_district' in a;
  const rows = [];
  const row = (k, ...v) => rows.push(h('tr', null, h('th', { scope: 'row' }, k), h('td', null, ...v)));
  const shares = (arr) => (arr.length ? arr.map((x) => pick(x, 'name') + ' ' + fmtShare(x.share) + (x.overlap_m2 != null ? ' (' + fmtArea(x.overlap_m2).replace(/ \(.*/, '') + ')' : '')).join('；') : '—');
  const names = (arr) => (arr.length ? arr.map((x) => pick(x, 'name') + (x.position && POSITION[x.position] ? '（' + tr(...POSITION[x.position]) + '）' : '')).join('；') : '—');
  if (point) {
    row(tr('区内/区外', 'District'), a.inside_district ? tr('荷塘区内', 'Inside Hetang District') + (a.on_boundary ? tr('（区界上）', ' (on the boundary)') : '')
      : h('strong', { class: 'outside' }, tr('区外', 'Outside the district')), a.inside_district ? '' : ' · ' + tr('距区界 ', 'to the boundary ') + fmtDist(a.distance_to_district_m));
    row(tr('片区', 'Area'), a.area ? pick(a.area, 'name') : '—');
    row(tr('城', 'City'), names(a.cities));
    row(tr('基地', 'Base'), names(a.bases));
  } else {
    row(tr('地块面积', 'Parcel area'), fmtArea(a.area_m2));
    row(tr('区内/区外', 'District'), a.areas.length ? tr('荷塘区内', 'Inside Hetang District') : h('strong', { class: 'outside' }, tr('区外', 'Outside the district')));
    row(tr('片区（占比）', 'Areas (share)'), shares(a.areas));
    row(tr('城（占比）', 'Cities (share)'), shares(a.cities));
    row(tr('基地（占比）', 'Bases (share)'), shares(a.bases));
  }
  const n = a.nearest;
  row(tr('一廊', 'Corridor'), a.in_corridor ? tr('在廊内', 'Inside') : tr('廊外', 'Outside') + (n.corridor ? ' · ' + fmtDist(n.corridor.distance_m) : ''));
  row(tr('距离', 'Distances'), tr('一轴 ', 'axis ') + fmtDist(n.axis && n.axis.distance_m) + ' · ' + tr('一链 ', 'chain ') + fmtDist(n.chain && n.chain.distance_m));
  row(tr('最近道路', 'Nearest roads'), n.roads.length ? n.roads.slice(0, 3).map((r) => pick(r, 'name') + ' ' + fmtDist(r.distance_m)).join('；') : '—');
  const c = data.coordinates;
  const name = subject.kind === 'parcel' ? subject.name() : '';
  fill(page,
    h('header', { class: 'report-head' },
      heading,
      h('p', null, tr('株洲市荷塘区“十四五”规划空间布局', 'Hetang District, Zhuzhou: 14th Five-Year Plan spatial layout')),
      h('p', { class: 'meta' }, tr('日期：', 'Date: ') + data.date + ' · ' + tr('数据版本 ', 'data version ') + data.data_version +
        (state.catalog && state.catalog.layout_version ? ' (' + tr('布局版本 ', 'layout version ') + state.catalog.layout_version + ')' : ''))),
    h('section', { class: 'report-map' }, excerpt(subject)),
    h('section', { class: 'report-answers' }, h('h3', null, point ? tr('查询点', 'The point') : tr('地块', 'The parcel') + (name ? tr('：', ': ') + name : '')),
      h('table', { class: 'report-table' }, h('tbody', null,
        h('tr', null, h('th', { scope: 'row' }, point ? tr('WGS84 经纬度', 'WGS84 lon, lat') : tr('形心 WGS84', 'Centroid WGS84')), h('td', { class: 'coord' }, fmtLonLat(c.wgs84))),
        h('tr', null, h('th', { scope: 'row' }, tr('CGCS2000 高斯-克吕格 EPSG:4547', 'CGCS2000 Gauss–Krüger EPSG:4547')), h('td', { class: 'coord' }, fmtEN(c.epsg4547))),
        rows))),
    data.plan_text.length ? h('section', { class: 'plan-text' }, h('h3', null, tr('规划原文', 'The plan\'s text') + (getLang() === 'en' ? ' (our translation)' : '')),
      data.plan_text.map((p) => h('div', { class: 'plan-entry', dataset: { for: p.for, id: p.id } },
        h('h4', null, tr(...(FOR[p.for] || [p.for, p.for])) + ' ' + pick(p, 'name'), h('span', { class: 'section' }, ' · ' + tr(p.section, p.section + ' · ' + p.plan_ref))),
        h('p', null, tr(p.text_zh, p.text_en))))) : null,
    h('footer', { class: 'report-notice' }, h('p', null, tr(data.accuracy_notice_zh, data.accuracy_notice_en)),
      h('p', { class: 'generated' }, tr('生成时间 ', 'Generated ') + data.generated_at + ' · ' + tr('荷塘区空间布局服务', 'Hetang spatial layout service'))));
}

/** PRINT_HEIGHT_PX is the printable height of an A4 page with 10 mm margins, in CSS pixels, less a little. */
const PRINT_HEIGHT_PX = (297 - 20 - 3) * 96 / 25.4;

/**
 * fitForPrint lays the report out as printed and, when it is taller than a
 * page (a parcel over many areas and bases brings much of the plan's text),
 * shrinks it to one page.
 */
function fitForPrint() {
  if (!current) return;
  const page = $('#report-page');
  document.body.classList.add('report-print');
  page.style.zoom = '';
  const height = page.getBoundingClientRect().height;
  if (height > PRINT_HEIGHT_PX) page.style.zoom = String(Math.floor(PRINT_HEIGHT_PX / height * 1000) / 1000);
}
function afterPrint() {
  document.body.classList.remove('report-print');
  $('#report-page').style.zoom = '';
}

export function init() {
  window.addEventListener('beforeprint', fitForPrint);
  window.addEventListener('afterprint', afterPrint);
  $('#report-close').addEventListener('click', closeReport);
  $('#report-print').addEventListener('click', () => window.print());
  $('#report-pdf').addEventListener('click', pdf);
  // a modal dialog: Escape closes it, Tab stays inside it
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && current) closeReport(); });
  $('#report').addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const f = [...$('#report').querySelectorAll('button:not([disabled]), [href], [tabindex]:not([tabindex="-1"])')].filter((x) => /** @type {HTMLElement} */ (x).offsetParent !== null);
    if (!f.length) return;
    const first = /** @type {HTMLElement} */ (f[0]), last = /** @type {HTMLElement} */ (f[f.length - 1]);
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); } else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  onLang(() => { render(); renderStatus(); });
}
