// The plan's layers: styles, loading in the map's frame, visibility and
// opacity, and the layer tree in the panel, grouped by the plan's slogans.
import * as api from './api.js';
import { state, set, subscribe } from './state.js';
import { map, PANES } from './map.js';
import { h, s, $ } from './dom.js';
import { tr, pick, onLang } from './i18n.js';

const L = window.L;

const AREA_COLOURS = {
  'area-cbd': '#f3a7a0', 'area-shuizhuhu': '#a6cee3', 'area-taiyang': '#fdd08a', 'area-jinshan': '#cab2e6', 'area-hetang-moonlight': '#b9e3a1',
};
export const CITY_COLOURS = { 'city-materials': '#a0175e', 'city-logistics': '#1f5fa8' };
const SERVICE_STYLES = {
  belt: { color: '#c51b8a', weight: 1.5, fillColor: '#f768a1', fillOpacity: 0.35 },
  centre: { color: '#980043', weight: 2, fillColor: '#e7298a', fillOpacity: 0.45 },
  zone: { color: '#dd3497', weight: 1.5, dashArray: '4 3', fillColor: '#fcc5c0', fillOpacity: 0.3 },
};
const ROAD_STYLES = {
  vertical: { color: '#7a4a12', weight: 3.5, opacity: 0.9 },
  horizontal: { color: '#c58b32', weight: 3, opacity: 0.9 },
};

/**
 * @typedef {object} LayerDef
 * @property {string} id
 * @property {boolean} on          shown at start
 * @property {boolean} [fixed]     always shown, not in the tree
 * @property {boolean} [points]
 * @property {boolean} [casing]    a white casing under the line
 * @property {(f: any) => object} [style]
 * @property {(f?: any) => object} [point]
 */
/** @type {LayerDef[]} */
export const DEFS = [
  { id: 'neighbours', on: true, style: () => ({ color: '#ffffff', weight: 1.5, fillColor: '#d6d9d2', fillOpacity: 0.7 }) },
  { id: 'areas', on: true, style: (f) => ({ color: '#ffffff', weight: 2, fillColor: AREA_COLOURS[f.id] || '#ddd', fillOpacity: 0.55 }) },
  { id: 'agriculture', on: false, style: () => ({ color: '#238443', weight: 1.5, dashArray: '2 4', fillColor: '#78c679', fillOpacity: 0.3 }) },
  { id: 'services', on: false, style: (f) => SERVICE_STYLES[f.properties.kind] || SERVICE_STYLES.zone },
  { id: 'corridor', on: true, style: () => ({ color: '#e66101', weight: 1.5, dashArray: '8 5', fillColor: '#fdae61', fillOpacity: 0.22 }) },
  { id: 'bases', on: true, style: () => ({ color: '#542788', weight: 1.5, fillColor: '#8073ac', fillOpacity: 0.4 }) },
  { id: 'cities', on: true, style: (f) => ({ color: CITY_COLOURS[f.id] || '#333', weight: 2.5, dashArray: '10 4', fillColor: 'url(#hatch-' + f.id + ')', fillOpacity: 1 }) },
  { id: 'roads', on: true, style: (f) => ROAD_STYLES[f.properties.class] || ROAD_STYLES.horizontal },
  { id: 'chain', on: true, style: () => ({ color: '#1a9850', weight: 4, dashArray: '10 7', lineCap: 'butt' }) },
  { id: 'axis', on: true, casing: true, style: () => ({ color: '#d7301f', weight: 6, lineCap: 'round', lineJoin: 'round' }) },
  { id: 'district', on: true, fixed: true, casing: true, style: () => ({ color: '#263238', weight: 3, dashArray: '14 4 3 4', fill: false }) },
  { id: 'chain_nodes', on: true, points: true, point: () => ({ radius: 6, color: '#ffffff', weight: 2, fillColor: '#1a9850', fillOpacity: 1 }) },
  { id: 'places', on: true, points: true, point: () => ({ radius: 4.5, color: '#ffffff', weight: 1.5, fillColor: '#37474f', fillOpacity: 0.95 }) },
];

/** The layer tree's groups: the plan's slogans. Layers not named here go to the last group. */
export const GROUPS = [
  { id: 'main', zh: '一轴两城一链五片区', en: 'One axis, two cities, one chain, five areas', layers: ['areas', 'cities', 'axis', 'chain', 'chain_nodes'] },
  { id: 'roads', zh: '五纵七横', en: 'Five vertical and seven horizontal roads', layers: ['roads'] },
  { id: 'industry', zh: '一廊五基地', en: 'One corridor, five bases', layers: ['corridor', 'bases'] },
  { id: 'services', zh: '一带四心五区', en: 'One belt, four centres, five zones', layers: ['services'] },
  { id: 'agriculture', zh: '现代特色农业', en: 'Modern agriculture', layers: ['agriculture'] },
  { id: 'reference', zh: '参考', en: 'Reference', layers: ['places', 'neighbours'] },
];

/**
 * @typedef {object} LayerRec
 * @property {LayerDef} def
 * @property {import('./api.js').LayerInfo} info
 * @property {any} data     the layer's GeoJSON in state.layersCRS
 * @property {any} geo      L.geoJSON
 * @property {any} [casing]
 * @property {any} group    L.layerGroup of geo (+ casing)
 */
/** @type {Record<string, LayerRec>} */
export const layers = {};
const drawnListeners = [];
/** onDrawn calls fn after the layers are (re)drawn. @param {() => void} fn */
export const onDrawn = (fn) => drawnListeners.push(fn);

export const groupOf = (id) => GROUPS.find((g) => g.layers.includes(id)) || GROUPS[GROUPS.length - 1];

function makeLayer(def, info) {
  const pane = 'p-' + (PANES[def.id] ? def.id : 'other');
  // nothing of the plan is a click target: a click anywhere is a question
  // about that point (query.js hit-tests the dots itself, area first)
  const opts = { pane, interactive: false, bubblingMouseEvents: true };
  if (def.points) opts.pointToLayer = (f, ll) => L.circleMarker(ll, { ...opts, ...def.point(f) });
  else opts.style = def.style;
  const rec = { def, info, data: null, geo: L.geoJSON(null, opts) };
  const parts = [rec.geo];
  if (def.casing) {
    rec.casing = L.geoJSON(null, { pane: 'p-casing', interactive: false,
      style: () => ({ color: '#ffffff', weight: def.id === 'axis' ? 10 : 7, opacity: 0.85, fill: false, lineCap: 'round', lineJoin: 'round' }) });
    parts.unshift(rec.casing);
  }
  rec.group = L.layerGroup(parts);
  return rec;
}

/** init makes a record per catalog layer and shows those that are on. */
export function init() {
  const infos = new Map(state.catalog.layers.map((l) => [l.id, l]));
  for (const d of DEFS) if (infos.has(d.id)) layers[d.id] = makeLayer(d, infos.get(d.id));
  for (const info of state.catalog.layers) {
    if (layers[info.id]) continue;
    const points = info.geometry_type.endsWith('Point');
    layers[info.id] = makeLayer({ id: info.id, on: true, points,
      style: () => ({ color: '#555', weight: 2, fillOpacity: 0.15 }),
      point: () => ({ radius: 4, color: '#fff', weight: 1, fillColor: '#555', fillOpacity: 1 }) }, info);
  }
  if (!state.on.size) state.on = new Set(Object.values(layers).filter((r) => r.def.on).map((r) => r.def.id));
  for (const r of Object.values(layers)) if (r.def.fixed) state.on.add(r.def.id);
  hatchPatterns();
}

// SVG hatch patterns for the cities (fill="url(#hatch-<id>)").
function hatchPatterns() {
  const defs = s('defs');
  for (const [id, colour] of Object.entries(CITY_COLOURS)) {
    const rot = id === 'city-materials' ? 45 : -45;
    defs.append(s('pattern', { id: 'hatch-' + id, patternUnits: 'userSpaceOnUse', width: 9, height: 9, patternTransform: 'rotate(' + rot + ')' },
      s('line', { x1: 0, y1: 0, x2: 0, y2: 9, stroke: colour, 'stroke-width': 2.2, 'stroke-opacity': 0.55 })));
  }
  const svg = s('svg', { width: 0, height: 0, 'aria-hidden': 'true', focusable: 'false', style: 'position:absolute;width:0;height:0' }, defs);
  document.body.prepend(svg);
}

// A basemap switch during a reload starts another; only the newest draws,
// so a slow answer in the old frame never lands on the new basemap.
let loadSeq = 0;
/** load fetches every layer in state.crs and draws it. */
export async function load() {
  const crs = state.crs, seq = ++loadSeq;
  const recs = Object.values(layers);
  const data = await Promise.all(recs.map((r) => api.layer(r.def.id, crs)));
  if (seq !== loadSeq) return;
  recs.forEach((r, i) => {
    r.data = data[i];
    r.geo.clearLayers();
    r.geo.addData(r.data);
    if (r.casing) { r.casing.clearLayers(); r.casing.addData(r.data); }
  });
  set({ layersCRS: crs });
  applyVisibility();
  drawnListeners.forEach((fn) => fn());
}

/** applyVisibility adds or removes layer groups after state.on and state.opacity. */
export function applyVisibility() {
  for (const r of Object.values(layers)) {
    const on = state.on.has(r.def.id);
    if (on && !map.hasLayer(r.group)) r.group.addTo(map);
    if (!on && map.hasLayer(r.group)) map.removeLayer(r.group);
  }
  for (const g of GROUPS) {
    const o = state.opacity[g.id] != null ? state.opacity[g.id] : 1;
    for (const id of g.layers) {
      const pane = map.getPane('p-' + id);
      if (pane) pane.style.opacity = String(o);
    }
  }
}

/** setLayer shows or hides a layer. */
export function setLayer(id, on) {
  const next = new Set(state.on);
  if (on) next.add(id); else next.delete(id);
  set({ on: next });
}

// ---------- the tree (with legend swatches) ----------

function swatch(kind, st) {
  const svg = s('svg', { width: 26, height: 14, viewBox: '0 0 26 14', 'aria-hidden': 'true', focusable: 'false' });
  if (kind === 'poly') {
    svg.append(s('rect', { x: 1.5, y: 1.5, width: 23, height: 11, rx: 2, fill: String(st.fillColor || 'none').startsWith('url') ? 'none' : st.fillColor || 'none',
      'fill-opacity': st.fillOpacity != null ? st.fillOpacity : 1, stroke: st.color || 'none', 'stroke-width': Math.min(st.weight || 1, 2.5), 'stroke-dasharray': st.dashArray || null }));
  } else if (kind === 'line') {
    if (st.casing) svg.append(s('line', { x1: 2, y1: 7, x2: 24, y2: 7, stroke: '#fff', 'stroke-width': st.weight + 3 }));
    svg.append(s('line', { x1: 2, y1: 7, x2: 24, y2: 7, stroke: st.color, 'stroke-width': Math.min(st.weight, 6), 'stroke-dasharray': st.dashArray ? st.dashArray.split(' ').map((v) => v / 2).join(' ') : null }));
  } else {
    svg.append(s('circle', { cx: 13, cy: 7, r: Math.min(st.radius || 5, 6), fill: st.fillColor, stroke: '#666', 'stroke-width': 1 }));
  }
  return svg;
}

function layerSwatch(r) {
  const f = r.data && r.data.features[0];
  if (r.def.points) return swatch('point', r.def.point());
  const st = r.def.style(f || { properties: {} });
  const line = /LineString/.test(r.info.geometry_type) || r.def.id === 'district';
  return swatch(line ? 'line' : 'poly', { ...st, casing: r.def.casing });
}

/** the legend rows under a layer: the areas' colours, the cities, road classes, service kinds */
function subItems(r) {
  const feats = (r.data && r.data.features) || [];
  const row = (sw, text) => h('li', null, sw, h('span', null, text));
  switch (r.def.id) {
  case 'areas':
  case 'cities':
    return feats.map((f) => row(swatch('poly', r.def.style(f)), pick(f.properties, 'name')));
  case 'roads':
    return [row(swatch('line', ROAD_STYLES.vertical), tr('五纵（南北向）', 'Five vertical (north–south)')),
      row(swatch('line', ROAD_STYLES.horizontal), tr('七横（东西向）', 'Seven horizontal (east–west)'))];
  case 'services':
    return [row(swatch('poly', SERVICE_STYLES.belt), tr('一带', 'Belt')), row(swatch('poly', SERVICE_STYLES.centre), tr('四心', 'Centres')),
      row(swatch('poly', SERVICE_STYLES.zone), tr('五区', 'Zones'))];
  default:
    return [];
  }
}

/** renderTree draws the layer tree into #layer-tree. */
export function renderTree() {
  const root = $('#layer-tree');
  const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
  const groups = GROUPS.map((g) => ({ g, recs: Object.values(layers).filter((r) => !r.def.fixed && groupOf(r.def.id) === g) })).filter((x) => x.recs.length);
  root.replaceChildren(...groups.map(({ g, recs }) => {
    const op = state.opacity[g.id] != null ? state.opacity[g.id] : 1;
    const allOn = recs.every((r) => state.on.has(r.def.id)), someOn = recs.some((r) => state.on.has(r.def.id));
    const gid = 'grp-' + g.id;
    const master = h('input', { type: 'checkbox', id: gid, checked: allOn, onchange: (e) => {
      const next = new Set(state.on);
      recs.forEach((r) => (e.target.checked ? next.add(r.def.id) : next.delete(r.def.id)));
      set({ on: next });
    } });
    master.indeterminate = someOn && !allOn;
    return h('fieldset', { class: 'tree-group', dataset: { group: g.id } },
      h('legend', null, master, h('label', { for: gid }, tr(g.zh, g.en))),
      h('ul', { class: 'tree-layers' }, recs.map((r) => {
        const id = 'lyr-' + r.def.id;
        return h('li', { dataset: { layer: r.def.id } },
          h('input', { type: 'checkbox', id, checked: state.on.has(r.def.id), onchange: (e) => setLayer(r.def.id, e.target.checked) }),
          h('label', { for: id }, layerSwatch(r), h('span', null, pick(r.info, 'title'))),
          h('span', { class: 'count' }, String(r.info.feature_count)),
          (() => { const sub = subItems(r); return sub.length ? h('ul', { class: 'tree-legend' }, sub) : null; })());
      })),
      h('label', { class: 'opacity' }, h('span', null, tr('不透明度', 'Opacity')),
        h('input', { type: 'range', min: 0.1, max: 1, step: 0.05, value: op, id: 'op-' + g.id, 'aria-label': tr(g.zh, g.en) + ' ' + tr('不透明度', 'opacity'),
          oninput: (e) => set({ opacity: { ...state.opacity, [g.id]: Number(e.target.value) } }) })));
  }));
  if (focused) { const e = document.getElementById(focused); if (e) e.focus(); }
}

subscribe(['on'], () => { applyVisibility(); renderTree(); });
subscribe(['opacity'], applyVisibility);
onLang(() => { if (Object.keys(layers).length) renderTree(); });
