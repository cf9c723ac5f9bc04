// The page's state, in one place. Modules read it directly and change it
// through set(), which tells the subscribers of the changed keys (the
// permalink, the layer tree, …). Leaflet objects live in the modules that
// own them; here is what the page is showing and why.

/**
 * @typedef {object} Parcel  a located parcel or point (drawn, uploaded or from the permalink)
 * @property {number} no            1-based row number
 * @property {string} name
 * @property {'drawn' | 'upload' | 'link'} origin
 * @property {any} geometry         GeoJSON geometry in WGS84 (null when the input had none)
 * @property {Record<string, any>} [input]   the input row's columns, as uploaded
 * @property {import('./api.js').PolygonAnswer | import('./api.js').PointAnswer | null} answer
 * @property {{zh: string, en: string} | null} error
 * @property {any} [layer]          its Leaflet layer, while drawn
 */

export const state = {
  /** @type {'CRS84' | 'GCJ02'} the frame the map shows (GCJ02 under a GCJ-02 basemap) */
  crs: 'CRS84',
  /** @type {'CRS84' | 'GCJ02' | null} the frame of the layers as drawn, once loaded */
  layersCRS: null,
  /** the basemap id ('none' for no basemap) */
  base: 'none',
  /** @type {import('./api.js').Catalog | null} */
  catalog: null,
  /** @type {import('./api.js').WebConfig | null} */
  webconfig: null,
  /** @type {Set<string>} ids of the layers shown */
  on: new Set(),
  /** @type {Record<string, number>} layer-group id → opacity 0…1 */
  opacity: {},
  /** @type {null | {kind: 'point', wgs84: [number, number]} | {kind: 'parcel', parcel: Parcel}} what the permalink and the report are about */
  selected: null,
  /** @type {Parcel[]} */
  parcels: [],
  /** @type {null | 'draw' | 'measure'} */
  tool: null,
  /** true once the first view is set: from then on view changes go to the permalink */
  ready: false,
};

const subscribers = [];

/**
 * set changes state keys and tells the subscribers of any of them.
 * @param {Partial<typeof state>} patch
 */
export function set(patch) {
  Object.assign(state, patch);
  const keys = Object.keys(patch);
  for (const s of subscribers) if (s.keys.some((k) => keys.includes(k))) s.fn();
}

/**
 * subscribe calls fn after set() changes any of keys.
 * @param {string[]} keys
 * @param {() => void} fn
 */
export const subscribe = (keys, fn) => subscribers.push({ keys, fn });

/** changed tells the subscribers of keys that a key's contents changed in place. @param {...string} keys */
export function changed(...keys) {
  for (const s of subscribers) if (s.keys.some((k) => keys.includes(k))) s.fn();
}
