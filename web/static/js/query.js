// Questions by click, tap or keyboard. Area first: a click is a question
// about the point under it, except on a direct hit on a place dot; dots near
// a tap are offered in the answer as a list. Only the newest question's
// answer is shown (a sequence guard: a slow answer never lands under a later
// click's popup).
import * as api from './api.js';
import { state, set } from './state.js';
import { map, fromMap, stopClicks } from './map.js';
import { layers } from './layers.js';
import { h } from './dom.js';
import { tr, pick, onLang } from './i18n.js';
import { fmtDist, fmtLonLat, fmtEN } from './format.js';
import { openReport } from './report.js';

const L = window.L;

/** the point layers a click can hit, top first */
const DOT_LAYERS = ['places', 'chain_nodes'];
/** NEARBY_PX: dots within this distance of a click are listed in its answer */
const NEARBY_PX = 32;

export const queryLayer = L.layerGroup();
let seq = 0;
let abort = null;
/** @type {null | (() => HTMLElement)} the open popup's content, rendered again on a language switch */
let render = null;
let popup = null;

/** cancel makes any pending answer stale (a tool started, another popup opened). */
export function cancel() {
  seq++;
  if (abort) abort.abort();
  abort = null;
}

/**
 * dotsNear lists the visible dots within px of a container point, nearest first.
 * @param {{x: number, y: number}} pt
 * @param {number} px
 */
export function dotsNear(pt, px) {
  const out = [];
  for (const id of DOT_LAYERS) {
    const r = layers[id];
    if (!r || !state.on.has(id)) continue;
    const radius = r.def.point().radius;
    r.geo.eachLayer((l) => {
      const p = map.latLngToContainerPoint(l.getLatLng());
      const d = Math.hypot(p.x - pt.x, p.y - pt.y);
      if (d <= px) out.push({ rec: r, f: l.feature, latlng: l.getLatLng(), d, direct: d <= radius + 1.5 });
    });
  }
  return out.sort((a, b) => a.d - b.d);
}

/** onMapClick answers a click or tap that no tool took. */
export function onMapClick(e) {
  const near = dotsNear(e.containerPoint, NEARBY_PX);
  // a finger covers a dot and its surroundings: a tap always answers the
  // area, with the dots near it offered as a list; a mouse opens a dot it hits
  const oe = e.originalEvent || {};
  const touch = oe.pointerType === 'touch' || oe.pointerType === 'pen' || (oe.sourceCapabilities && oe.sourceCapabilities.firesTouchEvents);
  if (!touch && near.length && near[0].direct) { featurePopup(near[0].rec, near[0].f, near[0].latlng); return; }
  locateAt(e.latlng, near);
}

function open(latlng, content, autoPan = true) {
  render = content;
  popup = L.popup({ maxWidth: 360, autoPan, autoPanPaddingTopLeft: [10, 60], autoPanPaddingBottomRight: [10, 30] }).setLatLng(latlng).setContent(content()).openOn(map);
  stopClicks(popup.getElement());
  translateClose();
  return popup;
}
function translateClose() {
  const b = document.querySelector('.leaflet-popup-close-button');
  if (b) { b.setAttribute('aria-label', tr('关闭弹窗', 'Close popup')); b.title = tr('关闭', 'Close'); }
}
onLang(() => { if (popup && map.hasLayer(popup) && render) { popup.setContent(render()); translateClose(); } });

/**
 * locateAt asks the server about a point (a LatLng in the map's frame).
 * @param {any} latlng
 * @param {Array<{rec: any, f: any, latlng: any, d: number}>} [near] dots near it
 * @param {{autoPan?: boolean}} [opts] autoPan false keeps the view as it is
 *   (a permalink names its view; the popup must not move it)
 */
export async function locateAt(latlng, near = [], { autoPan = true } = {}) {
  cancel();
  const mine = seq;
  abort = new AbortController();
  queryLayer.clearLayers();
  const wgs = fromMap(latlng);
  set({ selected: { kind: 'point', wgs84: wgs } });
  open(latlng, () => h('div', { class: 'pop' }, tr('查询中…', 'Locating…')), autoPan);
  try {
    const a = await api.locatePoint([latlng.lng, latlng.lat], state.crs, abort.signal);
    if (mine !== seq) return;
    if (popup) { render = () => locatePopup(a, near); popup.setContent(render()); translateClose(); popup.update(); }
    drawNearest(latlng, a.nearest);
  } catch (err) {
    if (mine !== seq || (err && err.name === 'AbortError')) return;
    render = () => h('div', { class: 'pop' }, h('p', { class: 'err' }, tr('查询失败：', 'Locate failed: ') + err.message));
    if (popup) popup.setContent(render());
  }
}

/** locateCentre asks about the map's centre (Enter on the map). */
export const locateCentre = () => locateAt(map.getCenter(), dotsNear(map.latLngToContainerPoint(map.getCenter()), NEARBY_PX));

function drawNearest(from, n) {
  const targets = [[n.axis, '#d7301f'], [n.chain, '#1a9850'], [n.roads[0], '#7a4a12']];
  for (const [t, colour] of targets) {
    if (!t || !t.point || !(t.distance_m > 0)) continue;
    const to = L.latLng(t.point[1], t.point[0]);
    queryLayer.addLayer(L.polyline([from, to], { pane: 'p-query', color: colour, weight: 1.5, dashArray: '3 4', interactive: false }));
    queryLayer.addLayer(L.circleMarker(to, { pane: 'p-query', radius: 3, color: colour, fillOpacity: 1, interactive: false }));
  }
  queryLayer.addLayer(L.circleMarker(from, { pane: 'p-query', radius: 5, color: '#b3261e', weight: 2, fillColor: '#fff', fillOpacity: 1, interactive: false, className: 'query-point' }));
}

/** feature finds a layer's feature by id. */
const feature = (layer, id) => (layers[layer] && layers[layer].data ? layers[layer].data.features.find((f) => String(f.id) === id) : null);

/** details is an expandable block with a plan feature's own text. */
function details(layer, ref) {
  const f = feature(layer, ref.id);
  if (!f) return pick(ref, 'name');
  const p = f.properties;
  return h('details', { class: 'feat' }, h('summary', null, pick(ref, 'name')),
    pick(p, 'description') ? h('p', { class: 'desc' }, pick(p, 'description')) : null,
    p.plan_ref ? h('p', { class: 'src' }, tr('规划：', 'Plan: ') + p.plan_ref) : null,
    h('p', { class: 'src' }, tr('精度：', 'Accuracy: ') + (pick(p, 'accuracy') || '—')));
}

const POSITION = { north: ['北', 'north'], middle: ['中', 'middle'], south: ['南', 'south'] };

/**
 * locatePopup renders a point's answer.
 * @param {import('./api.js').PointAnswer} a
 * @param {Array<{rec: any, f: any, latlng: any, d: number}>} near
 */
export function locatePopup(a, near) {
  const n = a.nearest;
  const title = a.area ? h('h3', null, pick(a.area, 'name'))
    : h('h3', null, a.inside_district ? tr('荷塘区', 'Hetang District') : h('span', { class: 'outside' }, tr('区外', 'Outside the district')));
  const rows = [];
  const row = (dt, ...dd) => rows.push(h('dt', null, dt), h('dd', null, ...dd));
  if (!a.inside_district) row(tr('距区界', 'To the boundary'), fmtDist(a.distance_to_district_m));
  if (a.on_boundary) row(tr('区界', 'Boundary'), h('span', { class: 'warn' }, tr('位于区界上', 'On the district boundary')));
  row(tr('片区', 'Area'), a.area ? details('areas', a.area) : '—');
  row(tr('城', 'City'), ...(a.cities.length ? a.cities.map((c) => details('cities', c)) : ['—']));
  row(tr('基地', 'Base'), ...(a.bases.length ? a.bases.map((b) => h('div', null, details('bases', b), b.position ? ' (' + tr(...(POSITION[b.position] || [b.position, b.position])) + ')' : '')) : ['—']));
  row(tr('一廊', 'Corridor'), a.in_corridor ? tr('在廊内', 'Inside') : tr('廊外', 'Outside') + (n.corridor ? ' · ' + fmtDist(n.corridor.distance_m) : ''));
  if (a.services.length) row(tr('服务业', 'Services'), ...a.services.map((x) => details('services', x)));
  if (a.agriculture.length) row(tr('农业', 'Agriculture'), ...a.agriculture.map((x) => details('agriculture', x)));
  row(tr('到一轴', 'To the axis'), fmtDist(n.axis && n.axis.distance_m));
  row(tr('到一链', 'To the chain'), fmtDist(n.chain && n.chain.distance_m));
  row(tr('最近道路', 'Nearest roads'), ...(n.roads.length ? n.roads.slice(0, 3).map((r) => h('div', null, pick(r, 'name') + ' ' + fmtDist(r.distance_m))) : ['—']));
  const coords = h('div', { class: 'coords' },
    h('div', null, tr('WGS84 经纬度', 'WGS84 lon, lat') + ': ' + fmtLonLat(a.wgs84)),
    h('div', null, tr('CGCS2000 高斯-克吕格 EPSG:4547', 'CGCS2000 Gauss–Krüger EPSG:4547') + ': ' + fmtEN(a.epsg4547)));
  const nearList = near.length ? h('div', { class: 'nearby' }, h('p', null, tr('附近的地点：', 'Places nearby:')),
    h('ul', null, near.slice(0, 6).map((x) => h('li', null, h('button', { type: 'button', class: 'linkish', onclick: () => featurePopup(x.rec, x.f, x.latlng) }, pick(x.f.properties, 'name')))))) : null;
  return h('div', { class: 'pop', dataset: { areaId: a.area ? a.area.id : '' } }, title, h('dl', null, rows), coords, nearList,
    h('div', { class: 'pop-actions' },
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => openReport({ kind: 'point', wgs84: a.wgs84 }) }, tr('选址核查报告', 'Site report'))));
}

/**
 * featurePopup shows a plan feature (a place or chain node dot, or a search hit).
 * @param {any} rec the layer record
 * @param {any} f the GeoJSON feature
 * @param {any} latlng where to open it
 */
export function featurePopup(rec, f, latlng) {
  cancel();
  queryLayer.clearLayers();
  open(latlng, () => {
    const p = f.properties;
    return h('div', { class: 'pop', dataset: { featureId: String(f.id) } },
      h('h3', null, pick(p, 'name')),
      h('dl', null,
        h('dt', null, tr('图层', 'Layer')), h('dd', null, pick(rec.info, 'title')),
        p.kind ? [h('dt', null, tr('类型', 'Kind')), h('dd', null, pick(p, 'kind') || p.kind)] : null,
        p.plan_ref ? [h('dt', null, tr('规划', 'Plan')), h('dd', null, p.plan_ref)] : null),
      pick(p, 'description') ? h('p', { class: 'desc' }, pick(p, 'description')) : null,
      h('p', { class: 'src' }, tr('精度：', 'Accuracy: ') + (pick(p, 'accuracy') || '—') + ' · ' + tr('来源：', 'Source: ') + (pick(p, 'source') || '—')),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => locateAt(latlng) }, tr('查询此处', 'Locate here')));
  });
}

/** popupOpen for other modules (parcels): one popup at a time, translated on a switch. */
export function openPopup(latlng, content) {
  cancel();
  queryLayer.clearLayers();
  return open(latlng, content);
}

