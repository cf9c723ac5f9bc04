// Languages: Chinese (default) and English. UI text is written in place as
// tr('中文', 'English'); static HTML carries data-t="中文|English" (and
// data-t-ATTR for attributes), which apply() fills in. Data text comes from
// the server's zh/en fields through pick(). Modules that render text
// register with onLang() and render again when the language changes.

/** @typedef {'zh' | 'en'} Lang */

/** @type {Lang} */
let lang = 'zh';
const listeners = [];

/** @returns {Lang} */
export const getLang = () => lang;

/**
 * tr returns the text for the current language.
 * @param {string} zh
 * @param {string} en
 */
export const tr = (zh, en) => (lang === 'en' ? en : zh);

/**
 * pick returns a feature's or answer's text in the current language:
 * obj[base + '_zh'] / obj[base + '_en'] (or obj[base] as the English form
 * when there is no _en field, as with description), falling back to the other.
 * @param {Record<string, any> | null | undefined} obj
 * @param {string} base e.g. 'name', 'title', 'description'
 * @returns {string}
 */
export function pick(obj, base) {
  if (!obj) return '';
  const zh = obj[base + '_zh'], en = obj[base + '_en'] != null ? obj[base + '_en'] : obj[base];
  return (lang === 'en' ? en || zh : zh || en) || '';
}

/**
 * setLang switches the language and tells every listener.
 * @param {Lang} l
 */
export function setLang(l) {
  const next = l === 'en' ? 'en' : 'zh';
  if (next === lang) return;
  lang = next;
  apply();
  listeners.forEach((fn) => fn(lang));
}

/** @param {(l: Lang) => void} fn */
export const onLang = (fn) => listeners.push(fn);

/**
 * apply translates static HTML under root: data-t="zh|en" sets the text,
 * data-t-title, data-t-aria-label, data-t-placeholder set attributes.
 * @param {ParentNode} [root]
 */
export function apply(root = document) {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  const i = lang === 'en' ? 1 : 0;
  root.querySelectorAll('[data-t]').forEach((e) => { e.textContent = e.dataset.t.split('|')[i]; });
  for (const attr of ['title', 'aria-label', 'placeholder', 'alt']) {
    const key = 't' + attr.replace(/(^|-)([a-z])/g, (_, d, c) => c.toUpperCase());
    root.querySelectorAll('[data-t-' + attr + ']').forEach((e) => {
      e.setAttribute(attr, /** @type {HTMLElement} */ (e).dataset[key].split('|')[i]);
    });
  }
  if (root === document) document.title = tr('荷塘区空间布局', 'Hetang District spatial layout');
}
