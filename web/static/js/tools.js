// Drawing a parcel and measuring distances. Clicks go to the map at the
// exact point clicked or tapped: nothing snaps (while a tool is on, no map
// feature takes pointer events). The tool's instructions and buttons sit on
// the map, so they are there on a phone with the panel closed too.
import * as api from './api.js';
import { state, set } from './state.js';
import { map, fromMap, toolBar } from './map.js';
import { h, $ } from './dom.js';
import { tr, onLang } from './i18n.js';
import { fmtDist } from './format.js';
import { cancel as cancelQuery } from './query.js';
import { addDrawnParcel } from './parcels.js';
import { closePanelOnPhone } from './panel.js';

const L = window.L;
export const toolLayer = L.layerGroup();
/** @type {any[]} vertices in the map's frame */
let verts = [];
/** @type {{a: any, b: any, d: number | null}[]} measured segments */
let segs = [];
let measureSeq = 0;

const vertex = (ll) => L.circleMarker(ll, { pane: 'p-query', radius: 5, color: '#b3261e', fillColor: '#fff', fillOpacity: 1, weight: 2, interactive: false });

/** start turns a tool on (or off when it is on). @param {'draw' | 'measure'} name */
export function start(name) {
  const was = state.tool;
  stop();
  if (was === name) return;
  cancelQuery();
  map.closePopup();
  set({ tool: name });
  verts = []; segs = [];
  toolLayer.clearLayers();
  map.getContainer().classList.add('tool-on');
  $('#tool-' + name).classList.add('active');
  $('#tool-' + name).setAttribute('aria-pressed', 'true');
  map.doubleClickZoom.disable();
  closePanelOnPhone();
  bar();
}

/** stop turns the tool off; a drawing in progress is dropped, a measurement stays until the next tool. */
export function stop() {
  if (!state.tool) return;
  if (state.tool === 'draw') toolLayer.clearLayers();
  document.querySelectorAll('.tools .btn.active').forEach((b) => { b.classList.remove('active'); b.setAttribute('aria-pressed', 'false'); });
  map.getContainer().classList.remove('tool-on');
  map.doubleClickZoom.enable();
  set({ tool: null });
  verts = [];
  toolBar(null);
}

function bar() {
  const btn = (text, onclick, cls, disabled) => h('button', { type: 'button', class: 'btn btn-small ' + (cls || ''), onclick, disabled: !!disabled }, text);
  if (state.tool === 'draw') {
    toolBar([
      h('p', { class: 'tool-help' }, tr('在地图上点击添加地块顶点（不吸附），至少三个。', 'Tap or click the map to add the parcel\'s corners (no snapping), at least three.')
        + ' ' + tr('已添加 ', 'Corners: ') + verts.length),
      h('div', { class: 'tool-buttons' },
        btn(tr('完成', 'Finish'), finishDraw, 'btn-primary tool-finish', verts.length < 3),
        btn(tr('撤销', 'Undo'), undo, 'tool-undo', !verts.length),
        btn(tr('取消', 'Cancel'), stop, 'btn-quiet tool-cancel'))]);
  } else if (state.tool === 'measure') {
    const total = segs.reduce((s, x) => s + (x.d || 0), 0);
    const pending = segs.some((x) => x.d == null);
    toolBar([
      h('p', { class: 'tool-help' }, tr('点击地图逐点测量大地线距离（不吸附）。', 'Tap or click the map to measure geodesic distances point by point (no snapping).')),
      h('p', { class: 'tool-result', id: 'measure-total' }, segs.length ? tr('总长：', 'Total: ') + (pending ? '…' : fmtDist(total) + ' (' + total.toFixed(1) + ' m)') : ''),
      h('div', { class: 'tool-buttons' },
        btn(tr('重新测量', 'Restart'), () => { segs = []; verts = []; toolLayer.clearLayers(); bar(); }, 'tool-restart', !verts.length),
        btn(tr('结束', 'Done'), stop, 'btn-quiet tool-cancel'))]);
  }
}
onLang(() => { if (state.tool) bar(); });

/** onToolClick takes a click while a tool is on. */
export function onToolClick(e) {
  if (state.tool === 'draw') {
    const last = verts[verts.length - 1];
    if (last && map.latLngToContainerPoint(last).distanceTo(e.containerPoint) < 3) return;
    verts.push(e.latlng);
    redrawDraft();
  } else if (state.tool === 'measure') {
    const prev = verts[verts.length - 1];
    verts.push(e.latlng);
    toolLayer.addLayer(vertex(e.latlng));
    if (prev) measure(prev, e.latlng);
  }
  bar();
}

function redrawDraft() {
  toolLayer.clearLayers();
  const style = { pane: 'p-query', color: '#b3261e', weight: 2, dashArray: '5 4', interactive: false };
  if (verts.length >= 3) toolLayer.addLayer(L.polygon(verts, { ...style, fillOpacity: 0.1 }));
  else if (verts.length === 2) toolLayer.addLayer(L.polyline(verts, style));
  verts.forEach((v) => toolLayer.addLayer(vertex(v)));
}
function undo() { verts.pop(); redrawDraft(); bar(); }

async function measure(a, b) {
  const seg = { a, b, d: null };
  segs.push(seg);
  const run = measureSeq;
  toolLayer.addLayer(L.polyline([a, b], { pane: 'p-query', color: '#b3261e', weight: 2.5, dashArray: '6 4', interactive: false }));
  try {
    const d = await api.distance(fromMap(a), fromMap(b));
    if (run !== measureSeq || !segs.includes(seg)) return;
    seg.d = d.distance_m;
    const total = segs.reduce((s, x) => s + (x.d || 0), 0);
    toolLayer.addLayer(L.marker(b, { pane: 'p-query', interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'measure-label', html: h('span', null, fmtDist(d.distance_m) + (segs.length > 1 ? ' / Σ ' + fmtDist(total) : '')), iconSize: null, iconAnchor: [-8, 10] }) }));
  } catch (err) {
    seg.d = NaN;
    toolBar([h('p', { class: 'tool-help err' }, tr('测距失败：', 'Measuring failed: ') + err.message), h('button', { type: 'button', class: 'btn btn-small', onclick: stop }, tr('关闭', 'Close'))]);
    return;
  }
  bar();
}

async function finishDraw() {
  if (state.tool !== 'draw' || verts.length < 3) return;
  const ring = verts.map(fromMap);
  ring.push(ring[0]);
  stop();
  toolBar([h('p', { class: 'tool-help' }, tr('查询中…', 'Locating…'))]);
  try {
    await addDrawnParcel({ type: 'Polygon', coordinates: [ring] });
    toolBar(null);
  } catch (err) {
    toolBar([h('p', { class: 'tool-help err' }, tr('地块查询失败：', 'Locating the parcel failed: ') + err.message), h('button', { type: 'button', class: 'btn btn-small', onclick: () => toolBar(null) }, tr('关闭', 'Close'))]);
  }
}

export function init() {
  toolLayer.addTo(map);
  $('#tool-draw').addEventListener('click', () => start('draw'));
  $('#tool-measure').addEventListener('click', () => start('measure'));
  map.on('dblclick', () => { if (state.tool === 'draw') finishDraw(); });
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && state.tool) stop(); });
}
