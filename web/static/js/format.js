// Number formats shared by popups, tables, CSV and reports. Pure functions.

/**
 * fmtDist formats metres: "850 m", "2.35 km", "12.4 km"; "—" when missing.
 * @param {number | null | undefined} m
 */
export const fmtDist = (m) => (m == null || !Number.isFinite(m) ? '—' : m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(m < 10000 ? 2 : 1) + ' km');

/**
 * fmtShare formats a share, which the API gives as a fraction 0…1, as a percentage.
 * @param {number | null | undefined} share
 */
export const fmtShare = (share) => (share == null || !Number.isFinite(share) ? '—' : (share * 100).toFixed(1) + '%');

/**
 * fmtArea formats square metres as hectares with m².
 * @param {number | null | undefined} m2
 */
export const fmtArea = (m2) => (m2 == null || !Number.isFinite(m2) ? '—' : (m2 / 10000).toFixed(2) + ' ha (' + Math.round(m2).toLocaleString('en-US') + ' m²)');

/**
 * fmtLonLat formats WGS84 as "113.200000, 27.900000" (lon first).
 * @param {[number, number] | null | undefined} p
 */
export const fmtLonLat = (p) => (p ? p[0].toFixed(6) + ', ' + p[1].toFixed(6) : '—');

/**
 * fmtEN formats easting/northing in metres as "E 418252.8  N 3083203.9".
 * @param {[number, number] | null | undefined} p
 */
export const fmtEN = (p) => (p ? 'E ' + p[0].toFixed(1) + '  N ' + p[1].toFixed(1) : '—');
