// The one client of the service's HTTP API. Every response shape the page
// reads is written down here as a JSDoc type that mirrors the server's Go
// types (internal/locate/answer.go and friends) and the page reads exactly
// those fields. Errors are RFC 9457 problem documents, turned into ApiError.

/** @typedef {[number, number]} XY x first: lon, lat or easting, northing */

/**
 * @typedef {object} LayerInfo  GET /api/v1/layers → layers[]
 * @property {string} id
 * @property {string} title_zh
 * @property {string} title_en
 * @property {string} description
 * @property {string} geometry_type
 * @property {number} feature_count
 * @property {number[]} bbox
 */
/**
 * @typedef {object} Catalog  GET /api/v1/layers
 * @property {string} data_version
 * @property {string} notice
 * @property {LayerInfo[]} layers
 */
/**
 * @typedef {object} Basemap
 * @property {string} id
 * @property {string} name
 * @property {string} url
 * @property {string} crs  CRS84 | EPSG:4326 | GCJ02 …
 * @property {string} attribution
 * @property {string} subdomains
 * @property {number} max_zoom
 */
/**
 * @typedef {object} Link  a download or service the page lists
 * @property {string} id
 * @property {string} kind  download | service
 * @property {string} href
 * @property {string} type  media type
 * @property {string} title_zh
 * @property {string} title_en
 */
/**
 * @typedef {object} WebConfig  GET /api/v1/webconfig
 * @property {Basemap[]} basemaps
 * @property {Link[]} links
 * @property {string} notice
 */
/** @typedef {{id: string, name_zh: string, name_en: string}} FeatureRef */
/** @typedef {FeatureRef & {position: string}} BaseRef */
/** @typedef {FeatureRef & {kind: string}} ServiceRef */
/**
 * @typedef {FeatureRef & {kind?: string, class?: string, distance_m: number, point: XY | null}} NearestRef
 */
/**
 * @typedef {object} NearestSet
 * @property {NearestRef | null} axis
 * @property {NearestRef | null} chain
 * @property {NearestRef | null} corridor
 * @property {NearestRef | null} district_boundary
 * @property {NearestRef[]} roads
 */
/**
 * @typedef {object} PointAnswer  GET /api/v1/locate
 * @property {{lon: number, lat: number, crs: string}} query
 * @property {XY | null} wgs84
 * @property {XY | null} epsg4547
 * @property {boolean} inside_district
 * @property {boolean} on_boundary
 * @property {number} distance_to_district_m
 * @property {FeatureRef | null} area
 * @property {FeatureRef[]} cities
 * @property {BaseRef[]} bases
 * @property {boolean} in_corridor
 * @property {ServiceRef[]} services
 * @property {FeatureRef[]} agriculture
 * @property {NearestSet} nearest
 * @property {string} notice
 */
/** @typedef {FeatureRef & {position?: string, overlap_m2: number, share: number}} OverlapRef share is a fraction 0…1 */
/**
 * @typedef {object} PolygonAnswer  POST /api/v1/locate
 * @property {string} crs
 * @property {boolean} repaired
 * @property {string} repair_note
 * @property {number} area_m2
 * @property {OverlapRef | null} primary_area
 * @property {OverlapRef[]} areas
 * @property {OverlapRef[]} cities
 * @property {OverlapRef[]} bases
 * @property {boolean} in_corridor
 * @property {NearestSet} nearest
 * @property {string} notice
 */
/**
 * @typedef {object} DistanceAnswer  GET /api/v1/distance
 * @property {number} distance_m
 * @property {number} azimuth_fwd_deg
 * @property {number} azimuth_back_deg
 */
/**
 * @typedef {object} Problem  an RFC 9457 problem document
 * @property {string} [title]
 * @property {string} [detail]
 * @property {number} [status]
 * @property {string} [request_id]
 * @property {{row?: number, reason_zh?: string, reason_en?: string}[]} [findings]
 */

export const GEOJSON = 'application/geo+json';

/** ApiError is a failed request: the HTTP status and the problem document. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super('HTTP ' + status + (problem.detail || problem.title ? ': ' + (problem.detail || problem.title) : ''));
    this.status = status;
    this.problem = problem;
  }
}

/** @param {Response} res */
async function fail(res) {
  /** @type {Problem} */
  let p = {};
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try { p = await res.json(); } catch { /* a body that is not JSON */ }
  }
  return new ApiError(res.status, p);
}

/**
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function request(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) throw await fail(res);
  return res;
}
const getJSON = async (url, init) => (await request(url, { ...init, headers: { Accept: 'application/json', ...(init && init.headers) } })).json();

const q = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== '').map(([k, v]) => [k, String(v)])).toString();

/** @returns {Promise<Catalog>} */
export const catalog = () => getJSON('/api/v1/layers');

/** @returns {Promise<WebConfig>} */
export const webconfig = () => getJSON('/api/v1/webconfig');

/**
 * layer fetches a layer's GeoJSON in CRS84 or GCJ-02.
 * @param {string} id
 * @param {'CRS84' | 'GCJ02'} crs
 * @returns {Promise<{type: 'FeatureCollection', features: any[]}>}
 */
export const layer = (id, crs) => getJSON('/api/v1/layers/' + encodeURIComponent(id) + (crs === 'GCJ02' ? '?crs=GCJ02' : ''), { headers: { Accept: GEOJSON } });

/** layerHref is the address of a layer's GeoJSON, for links. @param {string} id */
export const layerHref = (id) => '/api/v1/layers/' + encodeURIComponent(id);

/**
 * locatePoint: which area, city, base… a point is in.
 * @param {XY} p
 * @param {'CRS84' | 'GCJ02'} crs
 * @param {AbortSignal} [signal]
 * @returns {Promise<PointAnswer>}
 */
export const locatePoint = (p, crs, signal) =>
  getJSON('/api/v1/locate?' + q({ lon: p[0].toFixed(7), lat: p[1].toFixed(7), crs: crs === 'GCJ02' ? 'GCJ02' : null }), { signal });

/**
 * locateParcel: overlaps of a WGS84 parcel with the areas, cities and bases.
 * @param {object} feature a GeoJSON Feature with a Polygon
 * @returns {Promise<PolygonAnswer>}
 */
export const locateParcel = (feature) =>
  getJSON('/api/v1/locate', { method: 'POST', headers: { 'Content-Type': GEOJSON }, body: JSON.stringify(feature) });

/**
 * distance: the geodesic distance between two WGS84 points.
 * @param {XY} a
 * @param {XY} b
 * @returns {Promise<DistanceAnswer>}
 */
export const distance = (a, b) =>
  getJSON('/api/v1/distance?' + q({ from: a.map((v) => v.toFixed(7)).join(','), to: b.map((v) => v.toFixed(7)).join(',') }));

// ---------- uploads (issue 11 contract: one decoder on the server) ----------

/** The coordinate systems an upload may be in, as the server names them. */
export const UPLOAD_CRS = ['CRS84', 'EPSG:4490', 'EPSG:4547', 'EPSG:4526', 'EPSG:3857', 'GCJ02', 'BD09'];

/**
 * @typedef {object} InspectAnswer  POST /api/v1/locate/inspect
 * @property {string} format       geojson | csv | xlsx | shapefile | gpkg | ndjson
 * @property {string} [encoding]   for text formats: UTF-8, GB18030 …
 * @property {number} rows
 * @property {string[]} columns
 * @property {{kind: 'xy', x: string, y: string} | {kind: 'wkt', column: string} | {kind: 'geometry'}} geometry
 * @property {{code: string, source: 'file' | 'detected' | 'parameter' | 'default', reason_zh: string, reason_en: string}} crs
 * @property {string[]} candidates
 * @property {number[] | null} bbox_wgs84
 * @property {Record<string, any>[]} sample
 * @property {{row: number, reason_zh: string, reason_en: string}[]} problems
 */
/**
 * @typedef {object} UploadOptions  the overrides the page may send
 * @property {string} [crs]
 * @property {string} [x]
 * @property {string} [y]
 * @property {string} [wkt]
 * @property {string} [sheet]
 * @property {string} [layer]
 */

const MEDIA = { geojson: GEOJSON, json: GEOJSON, csv: 'text/csv', txt: 'text/csv', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  zip: 'application/zip', gpkg: 'application/geopackage+sqlite3', ndjson: 'application/x-ndjson' };
/** mediaType is the Content-Type the page sends a file with, from its name. @param {string} name */
export const mediaType = (name) => MEDIA[(name.match(/\.([a-z0-9]+)$/i) || [])[1]?.toLowerCase()] || 'application/octet-stream';

const uploadQuery = (file, o) => q({ filename: file.name, crs: o.crs, x: o.x, y: o.y, wkt: o.wkt, sheet: o.sheet, layer: o.layer });

/**
 * inspect asks the server what a file holds and which CRS it is in.
 * @param {File} file
 * @param {UploadOptions} [opts]
 * @returns {Promise<InspectAnswer>}
 */
export const inspect = (file, opts = {}) =>
  getJSON('/api/v1/locate/inspect?' + uploadQuery(file, opts), { method: 'POST', headers: { 'Content-Type': mediaType(file.name) }, body: file });

/**
 * @typedef {object} BatchAnswer  POST /api/v1/locate/batch with Accept: application/geo+json
 * @property {any[]} features   GeoJSON features (WGS84) whose properties hold the input columns and the answer
 * @property {string} inputCRS   the Hetang-Input-CRS header: what the server assumed
 * @property {string} encoding   the Hetang-Input-Encoding header
 */
/**
 * batch locates every row of a file.
 * @param {File} file
 * @param {UploadOptions} [opts]
 * @returns {Promise<BatchAnswer>}
 */
export async function batch(file, opts = {}) {
  const res = await request('/api/v1/locate/batch?' + uploadQuery(file, opts), { method: 'POST', headers: { 'Content-Type': mediaType(file.name), Accept: GEOJSON }, body: file });
  const fc = await res.json();
  return { features: fc.features, inputCRS: res.headers.get('Hetang-Input-CRS') || '', encoding: res.headers.get('Hetang-Input-Encoding') || '' };
}

/**
 * @typedef {object} BatchRow  one row of a batch answer, as the page uses it
 * @property {Record<string, any>} input   the input row's own columns
 * @property {PolygonAnswer | PointAnswer | null} answer
 * @property {{zh: string, en: string} | null} error
 * @property {any} geometry  WGS84 GeoJSON geometry or null
 * @property {string | number | undefined} id
 */
/** The members the server adds to a batch feature's properties. */
const BATCH_MEMBERS = ['locate', 'locate_error'];
/**
 * batchRow reads one feature of a batch answer.
 * @param {any} f
 * @returns {BatchRow}
 */
export function batchRow(f) {
  const p = f.properties || {};
  const input = {};
  for (const [k, v] of Object.entries(p)) if (!BATCH_MEMBERS.includes(k)) input[k] = v;
  const err = p.locate_error;
  return { id: f.id, input, geometry: f.geometry, answer: p.locate || null, error: err ? { zh: err, en: err } : null };
}

// ---------- search and the site report (issue 11 contract) ----------

/**
 * @typedef {object} SearchResult
 * @property {string} kind    area | city | base | road | place | chain_node | service | … | coordinate
 * @property {string} layer
 * @property {string} id
 * @property {string} name_zh
 * @property {string} name_en
 * @property {string} match   exact | alias | prefix | pinyin | initials | fuzzy | coordinate
 * @property {number} score
 * @property {XY} center     WGS84
 * @property {number[] | null} [bbox]
 */
/**
 * search asks the server's search.
 * @param {string} text
 * @param {{lang?: string, limit?: number, signal?: AbortSignal}} [o]
 * @returns {Promise<{query: string, results: SearchResult[]}>}
 */
export const search = (text, o = {}) => getJSON('/api/v1/search?' + q({ q: text, limit: o.limit || 10, lang: o.lang }), { signal: o.signal });

/**
 * @typedef {{kind: 'point', wgs84: XY} | {kind: 'parcel', geometry: any, name?: string}} ReportSubject
 */
/**
 * @typedef {object} PlanText
 * @property {string} for      area | base | city
 * @property {string} id
 * @property {string} chapter
 * @property {string} section
 * @property {string} text_zh
 * @property {string} text_en
 */
/**
 * @typedef {object} Report  GET/POST /api/v1/report
 * @property {string} generated_at
 * @property {string} data_version
 * @property {{kind: 'point' | 'parcel'}} subject
 * @property {PointAnswer | PolygonAnswer} answers
 * @property {PlanText[]} plan_text
 * @property {{wgs84: XY | null, epsg4547: XY | null}} coordinates
 * @property {string} accuracy_notice_zh
 * @property {string} accuracy_notice_en
 */
function reportRequest(subject, pdf, lang) {
  const accept = pdf ? 'application/pdf' : 'application/json';
  if (subject.kind === 'point') {
    return request('/api/v1/report?' + q({ lon: subject.wgs84[0].toFixed(7), lat: subject.wgs84[1].toFixed(7), format: pdf ? 'pdf' : null, lang }), { headers: { Accept: accept } });
  }
  return request('/api/v1/report?' + q({ format: pdf ? 'pdf' : null, lang }), { method: 'POST', headers: { 'Content-Type': GEOJSON, Accept: accept },
    body: JSON.stringify({ type: 'Feature', properties: { name: subject.name || '' }, geometry: subject.geometry }) });
}
/**
 * report fetches the site report's data.
 * @param {ReportSubject} subject
 * @returns {Promise<Report>}
 */
export const report = async (subject) => (await reportRequest(subject, false)).json();
/**
 * reportPDF fetches the server's one-page A4 PDF of the report.
 * @param {ReportSubject} subject
 * @param {string} lang
 * @returns {Promise<Blob>}
 */
export const reportPDF = async (subject, lang) => (await reportRequest(subject, true, lang)).blob();
