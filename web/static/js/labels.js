// Map labels placed without collisions. Every label is a candidate with a
// priority (by layer, then by the feature's size or kind); after each zoom
// or pan the candidates are placed in priority order, each in the first of
// its positions whose box overlaps no placed label, no point symbol and
// stays on the map; what does not fit is hidden. Boxes are measured once
// per text and language.
import { state, subscribe } from './state.js';
import { map } from './map.js';
import { layers, onDrawn, CITY_COLOURS } from './layers.js';
import { h } from './dom.js';
import { pick, onLang, getLang } from './i18n.js';
import * as geo from './geometry.js';

const L = window.L;

/** Layer priorities (higher is placed first) and the zoom a layer's labels start at. */
const LAYER_RULES = {
  areas: { prio: 1000, minZoom: 0 },
  cities: { prio: 900, minZoom: 10 },
  chain_nodes: { prio: 800, minZoom: 11 },
  axis: { prio: 750, minZoom: 11.5 },
  bases: { prio: 700, minZoom: 11.75 },
  roads: { prio: 600, minZoom: 12 },
  services: { prio: 550, minZoom: 12.5 },
  agriculture: { prio: 540, minZoom: 11.5 },
  places: { prio: 500, minZoom: 11.5 },
  neighbours: { prio: 100, minZoom: 0, maxZoom: 13.99 },
};
/** Place kinds worth a label first, and from a lower zoom. */
const PLACE_RANK = { station: 90, government: 88, 'scenic area': 80, 'forest park': 78, square: 60, 'industrial park': 58, 'logistics park': 56, park: 50, market: 48, commercial: 46, school: 40, agritourism: 38, hill: 36, facility: 20, village: 18, locality: 15, address: 10 };
const EARLY_PLACES = 70; // ranks at or above this are labelled from the places' minZoom; the rest one zoom later

/**
 * @typedef {object} Candidate
 * @property {string} layer
 * @property {string} id
 * @property {number} prio
 * @property {number} minZoom
 * @property {number} [maxZoom]
 * @property {any} at         LatLng in the map's frame
 * @property {'centre' | 'point'} anchor  point labels sit beside their dot
 * @property {number} [angle]  for lines: computed per zoom
 * @property {any} [line]     the line's coordinates, for lines
 * @property {string} text
 * @property {string} [small]
 * @property {string} [colour]
 * @property {string} cls
 * @property {HTMLElement} [el]
 * @property {{w: number, h: number, lang: string}} [size]
 */

/** @type {Candidate[]} */
let candidates = [];
let pane;

function build() {
  candidates = [];
  for (const [id, r] of Object.entries(layers)) {
    const rule = LAYER_RULES[id];
    if (!rule || !r.data) continue;
    for (const f of r.data.features) {
      const p = f.properties, g = f.geometry;
      const c = { layer: id, id: String(f.id), prio: rule.prio, minZoom: rule.minZoom, maxZoom: rule.maxZoom, cls: 'lbl lbl-' + id, text: '', anchor: 'centre' };
      if (g.type === 'Point') {
        c.at = L.latLng(g.coordinates[1], g.coordinates[0]);
        c.anchor = 'point';
        if (id === 'places') {
          const rank = PLACE_RANK[p.kind] || 0;
          c.prio += rank;
          if (rank < EARLY_PLACES) c.minZoom += 1;
        }
      } else if (/LineString/.test(g.type)) {
        c.line = g.type === 'LineString' ? g.coordinates : g.coordinates.reduce((a, b) => (b.length > a.length ? b : a));
        c.prio += Math.min(50, c.line.length);
      } else {
        const lp = geo.labelPoint(g);
        c.at = L.latLng(lp[1], lp[0]);
        c.prio += Math.min(90, Math.sqrt(geo.area(g)) * 300); // larger polygons first
      }
      if (id === 'cities') c.colour = CITY_COLOURS[f.id];
      candidates.push(c);
    }
  }
  candidates.sort((a, b) => b.prio - a.prio);
  texts();
}

function texts() {
  for (const c of candidates) {
    const f = layers[c.layer].data.features.find((x) => String(x.id) === c.id);
    const p = f.properties;
    c.text = c.layer === 'axis' ? (getLang() === 'en' ? 'Axis: ' : '一轴 ') + (getLang() === 'en' ? p.name_en.replace(/ urban development axis$/, '') : (p.segments || '').replace(/;\s*/g, '—'))
      : pick(p, 'name');
    c.el = null;
    c.size = null;
  }
}

function element(c) {
  if (c.el) return c.el;
  const span = h('span', null, c.text);
  if (c.colour) span.style.color = c.colour;
  c.el = h('div', { class: c.cls, dataset: { layer: c.layer, id: c.id } }, span);
  return c.el;
}

/** obstacles: the boxes of visible point symbols, so labels never cover a dot */
function obstacles(size) {
  const out = [];
  for (const id of ['places', 'chain_nodes']) {
    const r = layers[id];
    if (!r || !state.on.has(id) || !r.data) continue;
    const rad = r.def.point().radius + 1;
    r.geo.eachLayer((l) => {
      const p = map.latLngToContainerPoint(l.getLatLng());
      if (p.x > -20 && p.y > -20 && p.x < size.x + 20 && p.y < size.y + 20) out.push({ x: p.x - rad, y: p.y - rad, w: 2 * rad, h: 2 * rad });
    });
  }
  return out;
}

let scheduled = false;
/** place lays the labels out for the current view. */
export function place() {
  scheduled = false;
  if (!pane || !map._loaded) return;
  const z = map.getZoom(), size = map.getSize(), lang = getLang();
  const live = candidates.filter((c) => state.on.has(c.layer) && z >= c.minZoom && (c.maxZoom == null || z <= c.maxZoom));
  // measure new labels in one pass
  const fresh = live.filter((c) => !c.size || c.size.lang !== lang);
  for (const c of fresh) { const el = element(c); el.style.visibility = 'hidden'; el.style.transform = ''; pane.append(el); }
  for (const c of fresh) c.size = { w: c.el.offsetWidth, h: c.el.offsetHeight, lang };
  // areas and cities come first and may sit over a dot; everything after
  // them must not cover one
  const placed = [], dots = obstacles(size), shown = new Set();
  let dotsIn = false;
  const margin = 2;
  for (const c of live) {
    if (!dotsIn && c.prio < LAYER_RULES.chain_nodes.prio) { placed.push(...dots); dotsIn = true; }
    let spots;
    if (c.line) {
      const lp = geo.alongLine(c.line, 0.5, (q) => map.latLngToContainerPoint(L.latLng(q[1], q[0])));
      const p = map.latLngToContainerPoint(L.latLng(lp.at[1], lp.at[0]));
      spots = [{ cx: p.x, cy: p.y, angle: lp.angle }];
      for (const t of [0.3, 0.7, 0.2, 0.8]) {
        const q = geo.alongLine(c.line, t, (x) => map.latLngToContainerPoint(L.latLng(x[1], x[0])));
        const qp = map.latLngToContainerPoint(L.latLng(q.at[1], q.at[0]));
        spots.push({ cx: qp.x, cy: qp.y, angle: q.angle });
      }
    } else {
      const p = map.latLngToContainerPoint(c.at);
      const { w, h: hh } = c.size, d = 8;
      spots = c.anchor === 'point'
        ? [{ cx: p.x + d + w / 2, cy: p.y }, { cx: p.x - d - w / 2, cy: p.y }, { cx: p.x, cy: p.y - d - hh / 2 }, { cx: p.x, cy: p.y + d + hh / 2 }]
        : [{ cx: p.x, cy: p.y }, { cx: p.x, cy: p.y + hh }, { cx: p.x, cy: p.y - hh }, { cx: p.x + w / 3, cy: p.y }, { cx: p.x - w / 3, cy: p.y },
          { cx: p.x, cy: p.y + 2 * hh }, { cx: p.x, cy: p.y - 2 * hh }];
    }
    let ok = null;
    for (const sp of spots) {
      const b = geo.rotatedBox(sp.cx, sp.cy, c.size.w, c.size.h, sp.angle || 0);
      if (b.x < margin || b.y < margin || b.x + b.w > size.x - margin || b.y + b.h > size.y - margin) continue;
      if (placed.some((o) => geo.boxesOverlap(b, o, 1))) continue;
      ok = { sp, b };
      break;
    }
    if (!ok) continue;
    placed.push(ok.b);
    shown.add(c);
    const el = element(c);
    const lp = map.containerPointToLayerPoint(L.point(ok.sp.cx, ok.sp.cy));
    el.style.transform = 'translate(' + (lp.x - c.size.w / 2).toFixed(1) + 'px,' + (lp.y - c.size.h / 2).toFixed(1) + 'px)' + (ok.sp.angle ? ' rotate(' + ok.sp.angle.toFixed(1) + 'deg)' : '');
    el.style.visibility = '';
    if (el.parentNode !== pane) pane.append(el);
  }
  for (const c of candidates) if (c.el && !shown.has(c)) c.el.remove();
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(place);
}

/** init sets the labels up on the map's label pane. */
export function init() {
  pane = map.getPane('p-labels');
  pane.classList.add('label-pane');
  map.on('zoomend moveend resize', schedule);
  map.on('zoomstart', () => { pane.style.visibility = 'hidden'; });
  map.on('zoomend', () => { pane.style.visibility = ''; });
  onDrawn(() => { pane.replaceChildren(); build(); schedule(); });
  onLang(() => { pane.replaceChildren(); texts(); schedule(); });
  subscribe(['on'], schedule);
}

/** visibleBoxes lists the shown labels' text and screen boxes (for tests). */
export const visibleBoxes = () => candidates.filter((c) => c.el && c.el.isConnected && c.el.style.visibility !== 'hidden')
  .map((c) => { const r = c.el.getBoundingClientRect(); return { layer: c.layer, id: c.id, text: c.text, x: r.x, y: r.y, w: r.width, h: r.height }; });
