// The Hetang planners' page: a Leaflet map of the plan's layout that answers
// questions through the service's API. ES modules, no build step; Leaflet is
// the global L from /static/vendor/leaflet/leaflet.js.
//
// Frames: the map shows WGS84 without a basemap or with a WGS84 one, GCJ-02
// under an Amap-style basemap. Layers are fetched in that frame (?crs=GCJ02)
// and clicks are sent with crs=GCJ02, so the server converts; parcels, the
// permalink and reports are WGS84.
import * as api from './api.js';
import { state, set, subscribe } from './state.js';
import { map, createMap, addControls, stopClicks, setDistrict, applyMaxBounds, home, toMap, fromMap, fitSane } from './map.js';
import * as layersMod from './layers.js';
import * as labels from './labels.js';
import * as query from './query.js';
import * as tools from './tools.js';
import * as parcels from './parcels.js';
import * as search from './search.js';
import * as report from './report.js';
import * as panel from './panel.js';
import * as permalink from './permalink.js';
import { h, $ } from './dom.js';
import { tr, pick, setLang, getLang, onLang, apply as applyI18n } from './i18n.js';
import { bbox } from './geometry.js';

const L = window.L;

function bootError(msg) {
  const b = $('#boot-error');
  b.textContent = msg;
  b.hidden = false;
}

// ---------- basemaps ----------
const basemaps = new Map(); // id → {layer, crs}
function buildBasemaps() {
  basemaps.set('none', { layer: null, crs: 'CRS84', name: () => tr('无底图（离线）', 'None (offline)') });
  for (const b of state.webconfig.basemaps) {
    basemaps.set(b.id, { crs: b.crs === 'GCJ02' ? 'GCJ02' : 'CRS84', name: () => b.name + ' (' + b.crs + ')',
      layer: L.tileLayer(b.url, { subdomains: b.subdomains || 'abc', maxZoom: b.max_zoom || 18, attribution: b.attribution || '' }) });
  }
  renderBasemaps();
  onLang(renderBasemaps);
}
function renderBasemaps() {
  $('#basemaps').replaceChildren(h('legend', null, tr('底图', 'Basemap')), ...[...basemaps].map(([id, b]) => h('label', { class: 'radio' },
    h('input', { type: 'radio', name: 'basemap', value: id, checked: state.base === id, onchange: () => setBase(id) }), ' ', b.name())));
}
/** setBase switches the basemap, and the map's frame with it. @param {string} id */
export async function setBase(id) {
  const next = basemaps.get(id) || basemaps.get('none');
  for (const [, b] of basemaps) if (b.layer && map.hasLayer(b.layer)) map.removeLayer(b.layer);
  if (next.layer) next.layer.addTo(map);
  map.getContainer().classList.toggle('basemap-on', !!next.layer);
  set({ base: basemaps.has(id) ? id : 'none' });
  renderBasemaps();
  if (next.crs === state.crs) return;
  const centre = fromMap(map.getCenter());
  set({ crs: next.crs });
  map.closePopup();
  query.queryLayer.clearLayers();
  tools.stop();
  tools.toolLayer.clearLayers();
  applyMaxBounds();
  map.setView(toMap(centre), map.getZoom(), { animate: false });
  try {
    await layersMod.load();
    parcels.redraw();
  } catch (err) {
    bootError(tr('图层重新加载失败：', 'Reloading the layers failed: ') + err.message);
  }
}

// ---------- places list (the dots, reachable by keyboard) ----------
function renderPlaces() {
  const ul = $('#place-list');
  const items = [];
  for (const id of ['chain_nodes', 'places']) {
    const r = layersMod.layers[id];
    if (!r || !r.data) continue;
    for (const f of r.data.features) items.push({ r, f });
  }
  ul.replaceChildren(...items.map(({ r, f }) => h('li', null, h('button', { type: 'button', class: 'linkish', onclick: () => {
    panel.closePanelOnPhone();
    const ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
    map.setView(ll, Math.max(map.getZoom(), 15), { animate: false });
    query.featurePopup(r, f, ll);
  } }, pick(f.properties, 'name')), h('span', { class: 'kind' }, pick(r.info, 'title')))));
}

// ---------- downloads and services from webconfig ----------
function renderLinks() {
  const ul = $('#links');
  const links = state.webconfig.links;
  ul.replaceChildren(...links.map((l) => {
    const href = new URL(l.href, location.origin).href;
    if (l.kind === 'service') {
      const id = 'link-' + l.id;
      return h('li', { dataset: { link: l.id } }, h('label', { for: id }, pick(l, 'title')),
        h('div', { class: 'copyrow' }, h('input', { id, type: 'text', readonly: true, value: href }),
          h('button', { type: 'button', class: 'btn btn-small', onclick: async (e) => {
            try { await navigator.clipboard.writeText(href); } catch { /** @type {HTMLInputElement} */ (document.getElementById(id)).select(); document.execCommand('copy'); }
            e.target.textContent = tr('已复制', 'Copied');
          } }, tr('复制', 'Copy'))));
    }
    return h('li', { dataset: { link: l.id } }, h('a', { href: l.href, download: '', type: l.type }, pick(l, 'title')));
  }));
  $('#layer-links').replaceChildren(...state.catalog.layers.map((ly) => h('li', null,
    h('a', { href: api.layerHref(ly.id), download: 'hetang-' + ly.id + '.geojson', type: api.GEOJSON }, pick(ly, 'title')), ' ',
    h('span', { class: 'count' }, '(' + ly.feature_count + ')'))));
}

// ---------- the permalink ----------
let restoring = true;
function writeHash() {
  if (restoring || !state.ready) return;
  const c = fromMap(map.getCenter());
  const sel = state.selected;
  const hash = permalink.encode({
    view: { zoom: map.getZoom(), lat: c[1], lon: c[0] },
    layers: [...state.on].filter((id) => !(layersMod.layers[id] && layersMod.layers[id].def.fixed)),
    base: state.base !== 'none' ? state.base : undefined,
    lang: getLang() !== 'zh' ? getLang() : undefined,
    point: sel && sel.kind === 'point' ? sel.wgs84 : undefined,
    parcel: sel && sel.kind === 'parcel' && sel.parcel.geometry && sel.parcel.geometry.type === 'Polygon' ? sel.parcel.geometry.coordinates[0] : undefined,
  });
  if (location.hash.slice(1) !== hash) history.replaceState(null, '', '#' + hash);
}

async function restore(link) {
  if (link.layers) {
    const on = new Set(link.layers.filter((id) => layersMod.layers[id]));
    for (const r of Object.values(layersMod.layers)) if (r.def.fixed) on.add(r.def.id);
    set({ on });
  }
  if (link.base && link.base !== 'none' && basemaps.has(link.base)) await setBase(link.base);
  if (link.view) map.setView(toMap([link.view.lon, link.view.lat]), link.view.zoom, { animate: false });
  else home(false);
  if (link.point) {
    // the link names its view: the answer's popup opens without panning it
    query.locateAt(toMap(link.point), [], { autoPan: !link.view });
  } else if (link.parcel) {
    const ring = [...link.parcel, link.parcel[0]];
    try {
      const p = await parcels.addDrawnParcel({ type: 'Polygon', coordinates: [ring] });
      if (!link.view) fitSane(bbox(p.geometry));
    } catch (err) {
      bootError(tr('链接中的地块无法查询：', 'The parcel in the link cannot be located: ') + err.message);
    }
  }
}

// ---------- boot ----------
async function boot() {
  if (!L) { bootError('地图库未加载：请运行 make web 后重新构建。 Leaflet is missing from this build: run `make web` and rebuild.'); return; }
  const link = permalink.decode(location.hash);
  if (link.lang) setLang(link.lang);
  applyI18n();
  createMap();
  addControls();
  // the notice sits in the map's bottom-left corner, so it moves with the map's edge
  const note = $('#schematic-note');
  map.getContainer().querySelector('.leaflet-bottom.leaflet-left').append(note);
  note.classList.add('leaflet-control');
  stopClicks(note);
  panel.init();
  const [catalog, webconfig] = await Promise.all([api.catalog(), api.webconfig()]);
  set({ catalog, webconfig });
  layersMod.init();
  labels.init();
  query.queryLayer.addTo(map);
  tools.init();
  parcels.init();
  search.init();
  report.init();
  buildBasemaps();
  await layersMod.load();
  const d = layersMod.layers.district;
  const db = d && d.data ? bbox({ type: 'GeometryCollection', geometries: d.data.features.map((f) => f.geometry) }) : null;
  if (db) setDistrict(db);
  layersMod.renderTree();
  renderPlaces();
  renderLinks();
  $('#notice-server').textContent = catalog.notice;
  const version = () => { $('#data-version').textContent = tr('数据版本 ', 'Data version ') + catalog.data_version + (catalog.layout_version ? tr('，布局版本 ', ', layout version ') + catalog.layout_version : ''); };
  version();
  onLang(version);
  map.on('click', (e) => { if (state.tool) tools.onToolClick(e); else query.onMapClick(e); });
  map.on('popupclose', () => { query.queryLayer.clearLayers(); });
  map.getContainer().addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target === map.getContainer()) { e.preventDefault(); if (!state.tool) query.locateCentre(); }
  });
  $('#notice-more').addEventListener('click', () => panel.openSection('sec-about'));
  $('#lang-toggle').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  onLang(() => { renderPlaces(); renderLinks(); writeHash(); });
  await restore(link);
  restoring = false;
  set({ ready: true });
  map.on('moveend', writeHash);
  subscribe(['on', 'base', 'selected'], writeHash);
  writeHash();
  document.body.dataset.ready = 'true';
}

const ready = boot().catch((err) => {
  bootError(tr('页面加载失败：', 'The page failed to load: ') + err.message);
  throw err;
});

// ---------- read-only hooks for the browser tests ----------
window.hetang = Object.freeze({
  ready,
  crs: () => state.crs,
  layersCRS: () => state.layersCRS,
  lang: () => getLang(),
  containerPoint: (lon, lat) => { const p = map.latLngToContainerPoint(L.latLng(lat, lon)); return { x: p.x, y: p.y }; },
  latLngAt: (x, y) => { const ll = map.containerPointToLatLng(L.point(x, y)); return [ll.lng, ll.lat]; },
  bounds: (id) => {
    const g = id === 'parcels' ? parcels.parcelLayer : layersMod.layers[id] && layersMod.layers[id].geo;
    const b = g && g.getBounds();
    return b && b.isValid() ? [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] : null;
  },
  zoom: () => map.getZoom(),
  center: () => { const c = map.getCenter(); return [c.lng, c.lat]; },
  layerCounts: () => Object.fromEntries(Object.entries(layersMod.layers).map(([id, r]) => {
    let drawn = 0;
    r.geo.eachLayer((l) => { const n = l._path || l._icon; if (n && n.isConnected) drawn++; });
    return [id, { features: r.geo.getLayers().length, drawn, visible: map.hasLayer(r.group), expected: r.info.feature_count }];
  })),
  labelBoxes: () => labels.visibleBoxes(),
  parcels: () => state.parcels.map((p) => ({ no: p.no, name: p.name, origin: p.origin, input: p.input, geometry: p.geometry,
    primary_area: p.answer && ('primary_area' in p.answer ? p.answer.primary_area : p.answer.area),
    areas: p.answer && 'areas' in p.answer ? p.answer.areas.map((x) => ({ id: x.id, share: x.share })) : null,
    error: p.error, in_district: parcels.inDistrict(p) })),
  selected: () => state.selected && (state.selected.kind === 'point' ? { kind: 'point', wgs84: state.selected.wgs84 } : { kind: 'parcel', no: state.selected.parcel.no }),
  queryPoint: () => { let p = null; query.queryLayer.eachLayer((l) => { if (l.options.className === 'query-point') { const ll = l.getLatLng(); p = [ll.lng, ll.lat]; } }); return p; },
});

// Printing the map (not the report): a page-sized map, drawn before the
// print is laid out, and back after.
let beforePrint = null;
window.addEventListener('beforeprint', () => {
  if (document.body.classList.contains('report-open') || !map) return;
  beforePrint = map.getCenter();
  document.body.classList.add('printing');
  map.invalidateSize({ animate: false, pan: false });
  map.setView(beforePrint, map.getZoom(), { animate: false });
  labels.place();
});
window.addEventListener('afterprint', () => {
  if (!beforePrint) return;
  document.body.classList.remove('printing');
  map.invalidateSize({ animate: false, pan: false });
  map.setView(beforePrint, map.getZoom(), { animate: false });
  beforePrint = null;
});
