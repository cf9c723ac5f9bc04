// The search box: the server's search (names, aliases, pinyin and initials,
// fuzzy, coordinates in any supported frame), as an accessible combobox.
import * as api from './api.js';
import { state } from './state.js';
import { map, toMap } from './map.js';
import { layers, setLayer } from './layers.js';
import { featurePopup, locateAt } from './query.js';
import { h, $ } from './dom.js';
import { tr, pick, getLang, onLang } from './i18n.js';
import { closePanelOnPhone } from './panel.js';

const L = window.L;
/** @type {api.SearchResult[]} */
let hits = [];
let sel = -1;
let seq = 0;
let abort = null;
let timer = 0;
let error = '';
let lastRun = Promise.resolve();

const KIND = {
  area: ['片区', 'area'], city: ['城', 'city'], base: ['基地', 'base'], road: ['道路', 'road'], place: ['地点', 'place'], chain_node: ['一链节点', 'chain node'],
  service: ['服务业', 'services'], agriculture: ['农业', 'agriculture'], corridor: ['一廊', 'corridor'], axis: ['一轴', 'axis'], chain: ['一链', 'chain'],
  district: ['行政区', 'district'], neighbour: ['邻区', 'neighbour'], coordinate: ['坐标', 'coordinate'],
};

async function run(text) {
  const mine = ++seq;
  if (abort) abort.abort();
  if (!text.trim()) { hits = []; error = ''; render(); return; }
  abort = new AbortController();
  try {
    const res = await api.search(text, { lang: getLang(), limit: 10, signal: abort.signal });
    if (mine !== seq) return;
    hits = res.results; error = '';
  } catch (err) {
    if (mine !== seq || err.name === 'AbortError') return;
    hits = []; error = tr('搜索失败：', 'Search failed: ') + err.message;
  }
  sel = hits.length ? 0 : -1;
  render();
}

function render() {
  const input = /** @type {HTMLInputElement} */ ($('#search-input')), list = $('#search-results');
  list.replaceChildren();
  if (!input.value.trim()) { list.hidden = true; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); return; }
  if (!hits.length) list.append(h('li', { class: 'empty', role: 'presentation' }, error || tr('无结果', 'No match')));
  hits.forEach((r, i) => list.append(h('li', { role: 'option', id: 'search-opt-' + i, 'aria-selected': i === sel ? 'true' : 'false', dataset: { layer: r.layer, id: r.id },
    onmousedown: (ev) => { ev.preventDefault(); choose(r); } },
  h('span', { class: 'kind' }, tr(...(KIND[r.kind] || [r.kind, r.kind]))), h('span', { class: 'name' }, pick(r, 'name')))));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  if (sel >= 0) input.setAttribute('aria-activedescendant', 'search-opt-' + sel); else input.removeAttribute('aria-activedescendant');
}

/** choose flies to a search result and opens its popup. @param {api.SearchResult} r */
export function choose(r) {
  const input = /** @type {HTMLInputElement} */ ($('#search-input'));
  $('#search-results').hidden = true;
  input.setAttribute('aria-expanded', 'false');
  input.value = pick(r, 'name') || input.value;
  closePanelOnPhone();
  map.stop();
  map.closePopup();
  const rec = layers[r.layer];
  const f = rec && rec.data ? rec.data.features.find((x) => String(x.id) === r.id) : null;
  const center = toMap(r.center);
  if (r.bbox && r.bbox.length === 4 && r.kind !== 'coordinate' && r.kind !== 'place') {
    map.fitBounds(L.latLngBounds(toMap([r.bbox[0], r.bbox[1]]), toMap([r.bbox[2], r.bbox[3]])), { padding: [40, 40], maxZoom: 16, animate: false });
  } else {
    map.setView(center, Math.max(map.getZoom(), 15), { animate: false });
  }
  if (f) {
    if (!state.on.has(r.layer)) setLayer(r.layer, true);
    featurePopup(rec, f, center);
  } else {
    locateAt(center);
  }
}

export function init() {
  const input = /** @type {HTMLInputElement} */ ($('#search-input'));
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { timer = 0; lastRun = run(input.value); }, 120); });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      if (!hits.length) return;
      sel = (sel + (ev.key === 'ArrowDown' ? 1 : -1) + hits.length) % hits.length;
      render();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      if (timer) { clearTimeout(timer); timer = 0; lastRun = run(input.value); }
      lastRun.then(() => { if (hits[sel]) choose(hits[sel]); });
    } else if (ev.key === 'Escape') {
      $('#search-results').hidden = true;
      input.setAttribute('aria-expanded', 'false');
    }
  });
  input.addEventListener('blur', () => setTimeout(() => { $('#search-results').hidden = true; input.setAttribute('aria-expanded', 'false'); }, 150));
  input.addEventListener('focus', () => { if (input.value.trim()) render(); });
  onLang(() => { if (input.value.trim()) run(input.value); });
}
