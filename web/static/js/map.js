// The Leaflet map: panes, the frame it shows (WGS84 or GCJ-02), the district
// view and its sane bounds, and the small map controls (home, north arrow,
// live coordinates, tool bar). Leaflet is the global L from leaflet.js.
import { state } from './state.js';
import { fromWGS84, toWGS84 } from './gcj02.js';
import { forward as toGK } from './tmerc.js';
import { h, s } from './dom.js';
import { tr, onLang } from './i18n.js';
import { fmtLonLat, fmtEN } from './format.js';

const L = window.L;

/** Pane z-indexes, bottom to top. */
export const PANES = {
  neighbours: 402, areas: 405, agriculture: 408, services: 410, corridor: 415, bases: 420, cities: 425,
  roads: 430, other: 435, chain: 440, casing: 444, axis: 445, district: 450, chain_nodes: 455, places: 460,
  labels: 470, parcels: 475, query: 480,
};

/** @type {any} */
export let map;
/** the district's bounds in WGS84 [[south, west], [north, east]], once known */
let districtWGS = null;

/** SANE_PAD_DEG pads the district for the bounds the view may not leave (~30 km). */
const SANE_PAD_DEG = 0.3;

/**
 * createMap makes the map in #map.
 * @returns {any}
 */
export function createMap() {
  map = L.map('map', { zoomControl: false, minZoom: 9, maxZoom: 18, zoomSnap: 0.25, maxBoundsViscosity: 0.8, worldCopyJump: false });
  for (const [name, z] of Object.entries(PANES)) map.createPane('p-' + name).style.zIndex = String(z);
  map.getPane('p-labels').style.pointerEvents = 'none';
  return map;
}

/** toMap turns WGS84 [lon, lat] into a Leaflet LatLng in the map's frame. @param {[number, number]} p */
export const toMap = (p) => { const q = state.crs === 'GCJ02' ? fromWGS84(p) : p; return L.latLng(q[1], q[0]); };
/** toWGS84LL turns a LatLng in the map's frame into WGS84 [lon, lat]. @returns {[number, number]} */
export const fromMap = (ll) => (state.crs === 'GCJ02' ? toWGS84([ll.lng, ll.lat]) : [ll.lng, ll.lat]);

/**
 * setDistrict records the district's WGS84 bounds [w, s, e, n] and limits the
 * view to them, padded.
 * @param {number[]} b
 */
export function setDistrict(b) {
  districtWGS = b;
  applyMaxBounds();
}
function saneWGS() {
  const [w, s, e, n] = districtWGS;
  return [w - SANE_PAD_DEG, s - SANE_PAD_DEG, e + SANE_PAD_DEG, n + SANE_PAD_DEG];
}
export function applyMaxBounds() {
  if (!districtWGS) return;
  const [w, s, e, n] = saneWGS();
  map.setMaxBounds(L.latLngBounds(toMap([w, s]), toMap([e, n])));
}
/** districtBounds in the map's frame. */
export const districtBounds = () => { const [w, s, e, n] = districtWGS; return L.latLngBounds(toMap([w, s]), toMap([e, n])); };

/** home shows the whole district. @param {boolean} [animate] */
export function home(animate = true) {
  if (!districtWGS) return;
  map.stop();
  map.fitBounds(districtBounds(), { padding: [16, 16], animate });
}

/**
 * fitSane fits WGS84 bounds [w, s, e, n] clipped to the sane area around the
 * district; when they do not reach it the view stays and false is returned.
 * @param {number[] | null} b
 * @param {number} [maxZoom]
 */
export function fitSane(b, maxZoom = 15) {
  if (!b || !districtWGS || !b.every(Number.isFinite)) return false;
  const [W, S, E, N] = saneWGS();
  const w = Math.max(b[0], W), s = Math.max(b[1], S), e = Math.min(b[2], E), n = Math.min(b[3], N);
  if (w > e || s > n) return false;
  map.stop();
  map.fitBounds(L.latLngBounds(toMap([w, s]), toMap([e, n])), { padding: [40, 40], maxZoom, animate: false });
  return true;
}

/** inSane reports whether a WGS84 point lies within the sane area. @param {[number, number]} p */
export const inSane = (p) => { if (!districtWGS) return true; const [w, s, e, n] = saneWGS(); return p[0] >= w && p[0] <= e && p[1] >= s && p[1] <= n; };

// ---------- controls ----------

/**
 * stopClicks keeps clicks inside el from reaching the map. Leaflet's own
 * check walks up from the click's target, which fails when a button's
 * handler has just replaced the button: the map would then take the click
 * as a question about the point under it.
 * @param {HTMLElement} el
 */
export function stopClicks(el) {
  L.DomEvent.disableClickPropagation(el);
  el.addEventListener('click', (e) => e.stopPropagation());
}

function control(position, build) {
  const C = L.Control.extend({ options: { position }, onAdd: () => { const el = build(); stopClicks(el); L.DomEvent.disableScrollPropagation(el); return el; } });
  return new C().addTo(map);
}

/** addControls adds zoom, home, north arrow, scale and the coordinate readout. */
export function addControls() {
  const zoom = L.control.zoom({ position: 'topleft' }).addTo(map);
  const homeBtn = h('button', { type: 'button', class: 'map-btn', id: 'home-btn', onclick: () => home() }, '⌂');
  control('topleft', () => h('div', { class: 'leaflet-bar map-home' }, homeBtn));
  const north = s('svg', { width: 28, height: 40, viewBox: '0 0 28 40', role: 'img' },
    s('title'), s('path', { d: 'M14 4 L22 30 L14 24 L6 30 Z', fill: '#1f2a30' }), s('path', { d: 'M14 4 L14 24 L6 30 Z', fill: '#8a959c' }),
    s('text', { x: 14, y: 39, 'text-anchor': 'middle', 'font-size': 10, 'font-weight': 700, fill: '#1f2a30' }));
  north.querySelector('text').textContent = 'N';
  control('topleft', () => h('div', { class: 'north-arrow', id: 'north-arrow' }, north));
  L.control.scale({ imperial: false, position: 'bottomright' }).addTo(map);
  const coords = h('div', { class: 'coords-readout', id: 'coords', 'aria-live': 'off' });
  control('bottomright', () => coords);
  let last = null;
  const show = (ll, centre) => {
    last = { ll, centre };
    const w = fromMap(ll);
    coords.replaceChildren(
      h('span', { class: 'cap' }, centre ? tr('中心', 'Centre') : tr('光标', 'Cursor')),
      h('span', null, 'WGS84 ' + fmtLonLat(w)),
      h('span', null, 'EPSG:4547 ' + fmtEN(toGK(w))));
  };
  const coarse = window.matchMedia('(pointer: coarse)').matches;
  if (!coarse) map.on('mousemove', (e) => show(e.latlng, false));
  map.on('moveend', () => { if (coarse || !last || last.centre) show(map.getCenter(), true); });
  map.getContainer().addEventListener('mouseleave', () => show(map.getCenter(), true));
  const titles = () => {
    zoom._zoomInButton.title = tr('放大', 'Zoom in');
    zoom._zoomInButton.setAttribute('aria-label', tr('放大', 'Zoom in'));
    zoom._zoomOutButton.title = tr('缩小', 'Zoom out');
    zoom._zoomOutButton.setAttribute('aria-label', tr('缩小', 'Zoom out'));
    homeBtn.title = tr('回到全区', 'Whole district');
    homeBtn.setAttribute('aria-label', homeBtn.title);
    north.querySelector('title').textContent = tr('指北针：上方为北', 'North arrow: north is up');
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="' + tr('交互地图库', 'A JavaScript library for interactive maps') + '">Leaflet</a>');
    map.getContainer().setAttribute('aria-label', tr('地图。按回车查询地图中心；方向键平移，加减号缩放。', 'Map. Press Enter to query the map centre; arrow keys pan, plus and minus zoom.'));
    if (last) show(last.ll, last.centre);
  };
  titles();
  onLang(titles);
}

/**
 * toolBar shows the on-map bar of a tool: instructions and buttons, or
 * hides it (content null).
 */
let bar = null;
export function toolBar(content) {
  if (!bar) bar = control('topright', () => h('div', { class: 'tool-bar', id: 'tool-bar', role: 'region', 'aria-live': 'polite', hidden: true }));
  const el = bar.getContainer();
  if (!content) { el.hidden = true; el.replaceChildren(); return; }
  el.replaceChildren(...[content].flat());
  el.hidden = false;
}
