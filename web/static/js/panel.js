// The side panel: open and closed, and closed after an action on a phone.
import { $ } from './dom.js';
import { map } from './map.js';

export const phone = () => window.matchMedia('(max-width: 700px)').matches;

/** setPanel opens or closes the panel. @param {boolean} open */
export function setPanel(open) {
  document.body.classList.toggle('panel-closed', !open);
  $('#panel-toggle').setAttribute('aria-expanded', String(open));
  if (map) map.invalidateSize();
}
export function closePanelOnPhone() { if (phone()) setPanel(false); }

/** openSection opens the panel at a section (a <details> id). @param {string} id */
export function openSection(id) {
  setPanel(true);
  const d = /** @type {HTMLDetailsElement} */ ($('#' + id));
  if (d) { d.open = true; d.scrollIntoView({ block: 'nearest' }); }
}

export function init() {
  $('#panel-toggle').addEventListener('click', () => setPanel(document.body.classList.contains('panel-closed')));
  setPanel(!phone());
}
