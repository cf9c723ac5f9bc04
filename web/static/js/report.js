// The site report (选址核查报告) for a point or a parcel: a printable A4 page
// rendered from the server's report JSON, with a map excerpt drawn from the
// layers, and a PDF download of the server's own PDF. Printing while the
// report is open prints the report alone (print CSS); otherwise the map.
import * as api from './api.js';
import { state } from './state.js';
import { layers } from './layers.js';
import { h, s, $, download } from './dom.js';
import { tr, pick, onLang, getLang } from './i18n.js';
import { fmtDist, fmtShare, fmtArea, fmtLonLat, fmtEN } from './format.js';
import { bbox, mapCoords } from './geometry.js';
import { fromWGS84 } from './gcj02.js';

/** @type {{subject: api.ReportSubject, data: api.Report | null, error: string | null} | null} */
let current = null;
let returnFocus = null;

/**
 * openReport shows the report for a subject.
 * @param {api.ReportSubject} subject
 */
export async function openReport(subject) {
  returnFocus = document.activeElement;
  current = { subject, data: null, error: null };
  show();
  try {
    const data = await api.report(subject);
    if (!current || current.subject !== subject) return;
    current.data = data;
  } catch (err) {
    if (!current || current.subject !== subject) return;
    current.error = err.problem && err.problem.detail ? err.problem.detail : err.message;
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

async function pdf() {
  if (!current) return;
  const btn = $('#report-pdf');
  btn.disabled = true;
  try {
    const blob = await api.reportPDF(current.subject, getLang());
    download(blob, 'hetang-site-report.pdf');
  } catch (err) {
    $('#report-status').textContent = tr('PDF 生成失败：', 'The PDF failed: ') + err.message;
  } finally {
    btn.disabled = false;
  }
}

/** the excerpt: the areas, axis, roads, corridor and bases around the subject, as SVG */
function excerpt(subject) {
  const toFrame = state.layersCRS === 'GCJ02' ? fromWGS84 : (p) => p;
  const subj = subject.kind === 'point' ? { type: 'Point', coordinates: toFrame(subject.wgs84) } : mapCoords(subject.geometry, toFrame);
  const b = bbox(subj);
  if (!b) return null;
  const pad = Math.max(0.02, (b[2] - b[0]) * 0.8, (b[3] - b[1]) * 0.8);
  const w = b[0] - pad, e = b[2] + pad, so = b[1] - pad, n = b[3] + pad;
  const kx = Math.cos(((so + n) / 2) * Math.PI / 180);
  const W = 600, H = Math.round(W * (n - so) / ((e - w) * kx));
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
  if (subj.type === 'Point') {
    svg.append(s('circle', { cx: X(subj.coordinates[0]), cy: Y(subj.coordinates[1]), r: 7, fill: '#fff', stroke: '#b3261e', 'stroke-width': 3 }));
  } else {
    svg.append(s('path', { d: path(subj), fill: '#ef5350', 'fill-opacity': 0.3, stroke: '#b3261e', 'stroke-width': 2.5 }));
  }
  const north = s('g', { transform: `translate(${W - 24},12)` }, s('path', { d: 'M0 0 L7 20 L0 15 L-7 20 Z', fill: '#1f2a30' }));
  const t = s('text', { x: 0, y: 32, 'text-anchor': 'middle', 'font-size': 11, 'font-weight': 700 });
  t.textContent = 'N';
  north.append(t);
  svg.append(north);
  return svg;
}

function render() {
  if (!current) return;
  const page = $('#report-page');
  const { subject, data, error } = current;
  $('#report-pdf').disabled = !data;
  $('#report-print').disabled = !data;
  $('#report-status').textContent = '';
  if (error) { page.replaceChildren(h('p', { class: 'err' }, tr('报告生成失败：', 'The report failed: ') + error)); return; }
  if (!data) { page.replaceChildren(h('p', null, tr('正在生成报告…', 'Preparing the report…'))); return; }
  const a = data.answers;
  const point = 'inside_district' in a;
  const rows = [];
  const row = (k, ...v) => rows.push(h('tr', null, h('th', { scope: 'row' }, k), h('td', null, ...v)));
  const shares = (arr) => (arr.length ? arr.map((x) => pick(x, 'name') + ' ' + fmtShare(x.share)).join('；') : '—');
  const names = (arr) => (arr.length ? arr.map((x) => pick(x, 'name')).join('；') : '—');
  if (point) {
    row(tr('区内/区外', 'District'), a.inside_district ? tr('荷塘区内', 'Inside Hetang District') : tr('区外', 'Outside the district') + ' · ' + fmtDist(a.distance_to_district_m));
    row(tr('片区', 'Area'), a.area ? pick(a.area, 'name') : '—');
    row(tr('城', 'City'), names(a.cities));
    row(tr('基地', 'Base'), names(a.bases));
  } else {
    row(tr('地块面积', 'Parcel area'), fmtArea(a.area_m2));
    row(tr('区内/区外', 'District'), a.areas.length ? tr('荷塘区内', 'Inside Hetang District') : tr('区外', 'Outside the district'));
    row(tr('片区（占比）', 'Areas (share)'), shares(a.areas));
    row(tr('城（占比）', 'Cities (share)'), shares(a.cities));
    row(tr('基地（占比）', 'Bases (share)'), shares(a.bases));
  }
  const n = a.nearest;
  row(tr('一廊', 'Corridor'), a.in_corridor ? tr('在廊内', 'Inside') : tr('廊外', 'Outside') + (n.corridor ? ' · ' + fmtDist(n.corridor.distance_m) : ''));
  row(tr('到一轴', 'To the axis'), fmtDist(n.axis && n.axis.distance_m));
  row(tr('到一链', 'To the chain'), fmtDist(n.chain && n.chain.distance_m));
  row(tr('最近道路', 'Nearest roads'), n.roads.length ? n.roads.slice(0, 3).map((r) => pick(r, 'name') + ' ' + fmtDist(r.distance_m)).join('；') : '—');
  const c = data.coordinates;
  const date = new Date(data.generated_at);
  page.replaceChildren(
    h('header', { class: 'report-head' },
      h('h2', { id: 'report-title' }, tr('选址核查报告', 'Site check report')),
      h('p', null, tr('株洲市荷塘区“十四五”规划空间布局', 'Hetang District, Zhuzhou: 14th Five-Year Plan spatial layout')),
      h('p', { class: 'meta' }, tr('生成日期：', 'Date: ') + (isNaN(date) ? data.generated_at : date.toISOString().slice(0, 10)) + ' · ' + tr('数据版本 ', 'data version ') + data.data_version)),
    h('section', { class: 'report-map' }, excerpt(subject)),
    h('section', null, h('h3', null, point ? tr('查询点', 'The point') : tr('地块', 'The parcel') + (subject.kind === 'parcel' && subject.name ? '：' + subject.name : '')),
      h('table', { class: 'report-table' }, h('tbody', null,
        h('tr', null, h('th', { scope: 'row' }, 'WGS84'), h('td', null, fmtLonLat(c.wgs84))),
        h('tr', null, h('th', { scope: 'row' }, 'CGCS2000 EPSG:4547'), h('td', null, fmtEN(c.epsg4547))),
        rows))),
    data.plan_text.length ? h('section', { class: 'plan-text' }, h('h3', null, tr('规划原文', 'The plan\'s text')),
      data.plan_text.map((p) => h('div', null, h('h4', null, [p.chapter, p.section].filter(Boolean).join(' ')), h('p', null, tr(p.text_zh, p.text_en))))) : null,
    h('footer', { class: 'report-notice' }, h('strong', null, tr('数据说明：', 'About the data: ')), tr(data.accuracy_notice_zh, data.accuracy_notice_en)));
}

export function init() {
  $('#report-close').addEventListener('click', closeReport);
  $('#report-print').addEventListener('click', () => window.print());
  $('#report-pdf').addEventListener('click', pdf);
  $('#report').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeReport(); });
  onLang(render);
}
