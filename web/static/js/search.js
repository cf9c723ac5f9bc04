// The search box: the server's search (names, aliases, pinyin and initials,
// fuzzy, coordinates in any supported frame), as an accessible combobox.
import * as api from './api.js';
import { state } from './state.js';
import { map, toMap, fitSane, inSane } from './map.js';
import { layers, setLayer } from './layers.js';
import { featurePopup, locateAt } from './query.js';
import { h, $ } from './dom.js';
import { tr, pick, onLang } from './i18n.js';
import { crsName } from './parcels.js';
import { closePanelOnPhone } from './panel.js';

const L = window.L;
/** @type {api.SearchResult[]} */
let hits = [];
let sel = -1;
let seq = 0;
let abort = null;
let timer = 0;
/** @type {{zh: string, en: string} | null} */
let error = null;
let lastRun = Promise.resolve();
/** the text the list answers (data-query on the list, for tests and for people reading the DOM) */
let answered = '';

const KIND = {
  area: ['片区', 'area'], city: ['城', 'city'], base: ['基地', 'base'], road: ['道路', 'road'], place: ['地点', 'place'], chain_node: ['一链节点', 'chain node'],
  service: ['服务业', 'services'], agriculture: ['农业', 'agriculture'], corridor: ['一廊', 'corridor'], axis: ['一轴', 'axis'], chain: ['一链', 'chain'],
  district: ['行政区', 'district'], neighbour: ['邻区', 'neighbour'], coordinate: ['坐标', 'coordinate'],
};

async function run(text) {
  const mine = ++seq;
  if (abort) abort.abort();
  if (!text.trim()) { hits = []; error = null; answered = ''; render(); return; }
  abort = new AbortController();
  try {
    const res = await api.search(text, { limit: 10, signal: abort.signal });
    if (mine !== seq) return;
    hits = res.results; error = null; answered = text;
  } catch (err) {
    if (mine !== seq || err.name === 'AbortError') return;
    const e = api.errorText(err);
    hits = []; error = { zh: '搜索失败：' + e.zh, en: 'Search failed: ' + e.en }; answered = text;
  }
  sel = hits.length ? 0 : -1;
  render();
}

function render() {
  const input = /** @type {HTMLInputElement} */ ($('#search-input')), list = $('#search-results');
  list.replaceChildren();
  list.dataset.query = answered;
  if (!input.value.trim()) { list.hidden = true; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); return; }
  if (!hits.length) list.append(h('li', { class: 'empty', role: 'presentation' }, error ? tr(error.zh, error.en) : tr('无结果', 'No match')));
  hits.forEach((r, i) => list.append(h('li', { role: 'option', id: 'search-opt-' + i, 'aria-selected': i === sel ? 'true' : 'false', dataset: r.id ? { layer: r.layer, id: r.id } : { kind: r.kind },
    onmousedown: (ev) => { ev.preventDefault(); choose(r); } },
  h('span', { class: 'kind' }, tr(...(KIND[r.kind] || [r.kind, r.kind]))), h('span', { class: 'name' }, pick(r, 'name'),
    r.kind === 'coordinate' && r.crs ? h('span', { class: 'crs' }, tr('按 ', 'read as ') + crsName(r.crs)) : null,
    r.match === 'alias' && r.alias ? h('span', { class: 'crs' }, tr('别名 ', 'also known as ') + r.alias) : null))));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  if (sel >= 0) {
    input.setAttribute('aria-activedescendant', 'search-opt-' + sel);
    document.getElementById('search-opt-' + sel).scrollIntoView({ block: 'nearest' });
  } else input.removeAttribute('aria-activedescendant');
}

/** @type {null | {r: api.SearchResult, shown: string}} the result chosen last and the text it put in the box */
let chosen = null;

/**
 * choose shows a search result: a feature's extent (never beyond the
 * district's neighbourhood) and its popup; a coordinate is located like a
 * click there. A place far from the district is not flown to: the list
 * says so.
 * @param {api.SearchResult} r
 */
export function choose(r) {
  const input = /** @type {HTMLInputElement} */ ($('#search-input'));
  if (!inSane(r.center)) {
    hits = []; error = { zh: '该位置距荷塘区太远，地图不移过去（' + pick(r, 'name') + '）', en: 'That is too far from Hetang District to show (' + r.name_en + ')' };
    render();
    return;
  }
  $('#search-results').hidden = true;
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
  input.value = pick(r, 'name') || input.value;
  chosen = { r, shown: input.value };
  closePanelOnPhone();
  map.stop();
  map.closePopup();
  const rec = r.layer ? layers[r.layer] : null;
  const f = rec && rec.data ? rec.data.features.find((x) => String(x.id) === r.id) : null;
  const center = toMap(r.center);
  const b = r.bbox;
  if (b && b.length === 4 && (b[2] - b[0] > 1e-6 || b[3] - b[1] > 1e-6)) fitSane(b, 16);
  else map.setView(center, Math.max(map.getZoom(), 15), { animate: false });
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
  onLang(() => {
    if (!$('#search-results').hidden) render();
    // the chosen place's name follows the language, unless the box was edited since
    if (chosen && input.value === chosen.shown) chosen.shown = input.value = pick(chosen.r, 'name') || input.value;
  });
}
