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

/**
 * bilingual splits a problem's detail written as "<English> / <中文>" (the
 * upload, search and report endpoints) into its two languages; other
 * details are the same text in both.
 * @param {string} detail
 * @returns {{zh: string, en: string}}
 */
export function bilingual(detail) {
  const i = detail.lastIndexOf(' / ');
  if (i > 0 && /[\u3400-\u9fff]/.test(detail.slice(i + 3)) && /[A-Za-z]{3}/.test(detail.slice(0, i))) return { en: detail.slice(0, i), zh: detail.slice(i + 3) };
  return { zh: detail, en: detail };
}

/**
 * errorText is a failed request's message in both languages: the problem's
 * detail (or title), else the error's own message.
 * @param {any} err
 * @returns {{zh: string, en: string}}
 */
export function errorText(err) {
  const p = err && err.problem;
  const d = p && (p.detail || p.title);
  return d ? bilingual(d) : { zh: String(err && err.message || err), en: String(err && err.message || err) };
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

/**
 * catalog lists the layers; layout_version is the answer's
 * Hetang-Layout-Version header (the version the data was served from).
 * @returns {Promise<Catalog & {layout_version: string}>}
 */
export async function catalog() {
  const res = await request('/api/v1/layers', { headers: { Accept: 'application/json' } });
  return { ...(await res.json()), layout_version: res.headers.get('Hetang-Layout-Version') || '' };
}

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
 * @typedef {object} CRSInfo  what the server assumed about an upload's coordinates
 * @property {string} code       CRS84 | EPSG:4490 | EPSG:4547 | EPSG:4526 | EPSG:3857 | GCJ02 | BD09 | EPSG:n
 * @property {string} name
 * @property {'parameter' | 'file' | 'detected' | 'default'} source
 * @property {string} reason_zh
 * @property {string} reason_en
 * @property {boolean} swap_xy  the file's first coordinate was the northing or latitude
 */
/**
 * @typedef {object} InspectAnswer  POST /api/v1/locate/inspect
 * @property {string} format       csv | geojson | ndjson | xlsx | shapezip | gpkg
 * @property {string} encoding     UTF-8 | UTF-8-BOM | UTF-16LE | UTF-16BE | GB18030 | binary
 * @property {string[]} columns    a table's header ([] for GeoJSON, NDJSON, Shapefile, GeoPackage)
 * @property {{kind: 'xy', x: string, y: string} | {kind: 'wkt', column: string} | {kind: 'geometry' | 'members'}} geometry
 * @property {CRSInfo} crs
 * @property {string[]} warnings
 * @property {number} rows
 * @property {string[]} candidates  the CRSs the numbers could be in, the assumed one first
 * @property {number[] | null} bbox_wgs84  of every record that converts
 * @property {Record<string, any>[]} sample  the first records: input columns plus wgs84_lon/wgs84_lat for points
 * @property {{row: number, reason_zh: string, reason_en: string}[]} problems  at most 100
 * @property {number} problems_total
 * @property {string[]} [sheets]  an .xlsx workbook's worksheets; sheet the one read
 * @property {string} [sheet]
 * @property {string[]} [layers]  a GeoPackage's feature tables; layer the one read (the first of several, previewed: a batch must name it)
 * @property {string} [layer]
 * @property {({kind: 'xy', x: string, y: string} | {kind: 'wkt', column: string})[]} [geometry_choices]  two or more candidate coordinate column sets (geometry is the first, previewed: a batch must name it)
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

const MEDIA = { geojson: GEOJSON, json: GEOJSON, csv: 'text/csv', txt: 'text/csv', tsv: 'text/tab-separated-values', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  zip: 'application/zip', gpkg: 'application/geopackage+sqlite3', ndjson: 'application/x-ndjson' };
/** mediaType is the Content-Type the page sends a file with, from its name. @param {string} name */
export const mediaType = (name) => MEDIA[(name.match(/\.([a-z0-9]+)$/i) || [])[1]?.toLowerCase()] || 'application/octet-stream';

const uploadQuery = (file, o) => q({ filename: file.name, crs: o.crs, x: o.x, y: o.y, wkt: o.wkt, sheet: o.sheet, layer: o.layer });

/**
 * inspect asks the server what a file holds and which CRS it is in.
 * @param {File} file
 * @param {UploadOptions} [opts]
 * @param {AbortSignal} [signal]
 * @returns {Promise<InspectAnswer>}
 */
export const inspect = (file, opts = {}, signal) =>
  getJSON('/api/v1/locate/inspect?' + uploadQuery(file, opts), { method: 'POST', headers: { 'Content-Type': mediaType(file.name) }, body: file, signal });

/**
 * @typedef {object} BatchInput  the batch answer's "input" member: what was read and assumed
 * @property {string} format
 * @property {string} encoding
 * @property {string[]} columns
 * @property {CRSInfo} crs
 * @property {string[]} warnings
 */
/**
 * @typedef {object} BatchAnswer  POST /api/v1/locate/batch with Accept: application/geo+json
 * @property {any[]} features   GeoJSON features (WGS84) whose properties hold the input columns and the answer
 * @property {BatchInput | null} input
 * @property {string} inputCRS   the Hetang-Input-Crs header: what the server assumed
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
  return { features: fc.features, input: fc.input || null, inputCRS: res.headers.get('Hetang-Input-Crs') || '', encoding: res.headers.get('Hetang-Input-Encoding') || '' };
}

/**
 * @typedef {object} BatchRow  one row of a batch answer, as the page uses it
 * @property {Record<string, any>} input   the input row's own columns or properties
 * @property {PolygonAnswer | PointAnswer | null} answer  the full answer (points of nearest features in the input's frame)
 * @property {{zh: string, en: string} | null} error
 * @property {any} geometry  WGS84 GeoJSON geometry or null
 * @property {string | number | undefined} id
 */
/**
 * @typedef {object} BatchColumns  properties.answer: internal/locate.Columns as an object, plus in_district
 * @property {boolean | null} inside_district
 * @property {boolean | null} in_district
 * @property {string | null} district_status_zh  区内 | 区外 | 区界上
 * @property {string | null} area_id
 * @property {string | null} error_en
 * @property {string | null} error_zh
 */
/**
 * BATCH_MEMBERS are the members the server adds to each batch feature's
 * properties: the answer columns ("answer"), the full answer ("locate") and
 * "locate_error" (the old name of answer.error_en). Every other member is the
 * input's own.
 */
export const BATCH_MEMBERS = ['answer', 'locate', 'locate_error'];
/**
 * batchRow reads one feature of a batch answer. For a table (CSV, xlsx) the
 * input columns are the header the server read (input.columns), in the
 * file's order (the properties come sorted); for features (GeoJSON,
 * Shapefile, GeoPackage) they are the properties the server did not add.
 * @param {any} f
 * @param {string[]} [columns] the batch's input.columns
 * @returns {BatchRow}
 */
export function batchRow(f, columns) {
  const p = f.properties || {};
  const input = {};
  if (columns && columns.length) for (const k of columns) input[k] = p[k];
  else for (const [k, v] of Object.entries(p)) if (!BATCH_MEMBERS.includes(k)) input[k] = v;
  /** @type {Partial<BatchColumns>} */
  const cols = p.answer || {};
  const en = cols.error_en || p.locate_error || '', zh = cols.error_zh || en;
  return { id: f.id, input, geometry: f.geometry, answer: en ? null : p.locate || null, error: en ? { zh, en } : null };
}

// ---------- search and the site report (issue 11 contract) ----------

/**
 * @typedef {object} SearchResult  GET /api/v1/search → results[]
 * @property {string} kind    area | city | base | chain_node | service | agriculture | axis | corridor | chain | road | place | coordinate
 * @property {string} [layer]  the layer id (not for coordinates)
 * @property {string} [id]     the feature id (not for coordinates)
 * @property {string} name_zh
 * @property {string} name_en
 * @property {string} match   exact | alias | prefix | substring | pinyin | initials | fuzzy | coordinate
 * @property {number} score   0…1; the server sorts, areas first among equals
 * @property {XY} center      WGS84: a point, a polygon's centroid, a line's middle vertex
 * @property {number[]} [bbox] WGS84 [w, s, e, n] (not for coordinates)
 * @property {string} [alias]  the alias that matched (match "alias")
 * @property {string} [crs]    coordinates: the frame the numbers were read in
 * @property {string} [reason_zh]
 * @property {string} [reason_en]
 * @property {string} [area_id] coordinates: the area there (absent outside the areas)
 */
/**
 * search asks the server's search.
 * @param {string} text
 * @param {{limit?: number, signal?: AbortSignal}} [o]
 * @returns {Promise<{query: string, results: SearchResult[]}>}
 */
export const search = (text, o = {}) => getJSON('/api/v1/search?' + q({ q: text, limit: o.limit || 10 }), { signal: o.signal });

/**
 * @typedef {{kind: 'point', wgs84: XY} | {kind: 'parcel', geometry: any, name: () => string}} ReportSubject
 *   a parcel's name is a function: it follows the language (手绘地块 3 / Drawn parcel 3)
 */
/**
 * @typedef {object} PlanText  the plan's own words for an area, city, base or the corridor
 * @property {'area' | 'city' | 'base' | 'corridor'} for
 * @property {string} id
 * @property {string} name_zh
 * @property {string} name_en
 * @property {string} section   chapter and section in Chinese: "第五章 发展空间布局 · 第一节 空间布局"
 * @property {string} plan_ref  "第五章第一节 (Ch.5 §1)"
 * @property {string} text_zh   the plan's words
 * @property {string} text_en   a translation
 */
/**
 * @typedef {object} Report  GET/POST /api/v1/report
 * @property {string} title
 * @property {string} generated_at  RFC 3339 with the server's offset
 * @property {string} date          YYYY-MM-DD, the server's date
 * @property {string} data_version
 * @property {{kind: 'point', crs: string, input: XY} | {kind: 'parcel', crs: string, area_m2: number}} subject
 * @property {PointAnswer | PolygonAnswer} answers
 * @property {PlanText[]} plan_text
 * @property {{wgs84: XY, epsg4547: XY}} coordinates  a parcel's centroid
 * @property {string} accuracy_notice_zh
 * @property {string} accuracy_notice_en
 */
/**
 * reportRequest asks for a subject's report as JSON or as the server's PDF.
 * @param {ReportSubject} subject
 * @param {boolean} pdf
 */
function reportRequest(subject, pdf) {
  const accept = pdf ? 'application/pdf' : 'application/json';
  const format = pdf ? 'pdf' : null;
  if (subject.kind === 'point') {
    return request('/api/v1/report?' + q({ lon: subject.wgs84[0].toFixed(7), lat: subject.wgs84[1].toFixed(7), format }), { headers: { Accept: accept } });
  }
  return request('/api/v1/report?' + q({ format }), { method: 'POST', headers: { 'Content-Type': GEOJSON, Accept: accept },
    body: JSON.stringify({ type: 'Feature', properties: { name: subject.name() }, geometry: subject.geometry }) });
}
/**
 * report fetches the site report's data.
 * @param {ReportSubject} subject
 * @returns {Promise<Report>}
 */
export const report = async (subject) => (await reportRequest(subject, false)).json();
/**
 * reportPDF fetches the server's one-page A4 PDF of the report (in Chinese
 * and English) and the file name the server gives it.
 * @param {ReportSubject} subject
 * @returns {Promise<{blob: Blob, filename: string}>}
 */
export async function reportPDF(subject) {
  const res = await reportRequest(subject, true);
  const m = (res.headers.get('Content-Disposition') || '').match(/filename="([^"]+)"/);
  return { blob: await res.blob(), filename: m ? m[1] : 'hetang-site-report.pdf' };
}
