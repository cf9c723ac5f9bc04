// The permalink in the URL hash: the view, the layers on, the basemap, the
// language and the selected point or parcel, so that a copied address
// restores the same map. Pure functions (no DOM), unit-tested with node.
//
//   #map=ZOOM/LAT/LON&layers=areas,roads&base=none&lang=en&pt=LON,LAT
//   #map=…&pg=LON,LAT;LON,LAT;…        (a parcel's outer ring, WGS84)
//
// The short form #ZOOM/LAT/LON is read too. Coordinates are WGS84 whatever
// the basemap shows.

/**
 * @typedef {object} Permalink
 * @property {{zoom: number, lat: number, lon: number}} [view]
 * @property {string[]} [layers]
 * @property {string} [base]
 * @property {'zh' | 'en'} [lang]
 * @property {[number, number]} [point]
 * @property {[number, number][]} [parcel] outer ring, closed or not
 */

/** MAX_PARCEL_CHARS bounds the parcel in the hash; bigger parcels are left out. */
export const MAX_PARCEL_CHARS = 1800;

const num = (v) => (v === '' || v == null ? NaN : Number(v));
const okLon = (v) => Number.isFinite(v) && v >= -180 && v <= 180;
const okLat = (v) => Number.isFinite(v) && v >= -90 && v <= 90;

/**
 * encode writes a Permalink as a hash (without the '#').
 * @param {Permalink} p
 */
export function encode(p) {
  const parts = [];
  if (p.view) {
    const { zoom, lat, lon } = p.view;
    parts.push('map=' + (+zoom.toFixed(2)) + '/' + lat.toFixed(5) + '/' + lon.toFixed(5));
  }
  if (p.layers) parts.push('layers=' + p.layers.map(encodeURIComponent).join(','));
  if (p.base) parts.push('base=' + encodeURIComponent(p.base));
  if (p.lang) parts.push('lang=' + p.lang);
  if (p.point) parts.push('pt=' + p.point[0].toFixed(6) + ',' + p.point[1].toFixed(6));
  if (p.parcel && p.parcel.length >= 3) {
    const ring = p.parcel.slice();
    const [f, l] = [ring[0], ring[ring.length - 1]];
    if (f[0] === l[0] && f[1] === l[1]) ring.pop();
    const pg = ring.map((q) => q[0].toFixed(6) + ',' + q[1].toFixed(6)).join(';');
    if (pg.length <= MAX_PARCEL_CHARS) parts.push('pg=' + pg);
  }
  return parts.join('&');
}

/**
 * decode reads a hash (with or without '#'); what is malformed is left out.
 * @param {string} hash
 * @returns {Permalink}
 */
export function decode(hash) {
  const h = String(hash || '').replace(/^#/, '');
  /** @type {Permalink} */
  const out = {};
  const view = (z, lat, lon) => {
    const v = { zoom: num(z), lat: num(lat), lon: num(lon) };
    if (Number.isFinite(v.zoom) && v.zoom >= 0 && v.zoom <= 22 && okLat(v.lat) && okLon(v.lon)) out.view = v;
  };
  const short = h.match(/^(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/);
  if (short) { view(short[1], short[2], short[3]); return out; }
  for (const part of h.split('&')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i);
    let v;
    try { v = decodeURIComponent(part.slice(i + 1)); } catch { continue; }
    if (k === 'map') {
      const m = v.split('/');
      if (m.length === 3) view(m[0], m[1], m[2]);
    } else if (k === 'layers') {
      out.layers = v ? v.split(',').filter((x) => /^[\w-]{1,64}$/.test(x)) : [];
    } else if (k === 'base' && /^[\w.-]{1,64}$/.test(v)) {
      out.base = v;
    } else if (k === 'lang' && (v === 'zh' || v === 'en')) {
      out.lang = v;
    } else if (k === 'pt') {
      const [x, y] = v.split(',').map(num);
      if (okLon(x) && okLat(y)) out.point = [x, y];
    } else if (k === 'pg' && v.length <= MAX_PARCEL_CHARS) {
      const ring = v.split(';').map((q) => q.split(',').map(num));
      if (ring.length >= 3 && ring.every((q) => q.length === 2 && okLon(q[0]) && okLat(q[1]))) {
        out.parcel = /** @type {[number, number][]} */ (ring);
      }
    }
  }
  return out;
}
