// WGS84 ↔ GCJ-02 (the frame of Amap/Gaode and Tencent web maps), mirroring
// the server's internal/gcj02: the public forward formula and an iterative
// inverse to below 1e-10°. Pure functions, no DOM; unit-tested with node
// against values computed by the Go code (web/test/unit/gcj02.test.mjs).

const A = 6378245.0; // Krasovsky 1940 semi-major axis
const EE = 0.00669342162296594323; // its eccentricity squared
const TOLERANCE = 1e-10;
const MAX_ITERATIONS = 30;

/** inChina reports whether the formula applies (outside China GCJ-02 = WGS84). */
export const inChina = (lon, lat) => lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;

function shiftLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
  r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  return r;
}
function shiftLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
  r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  return r;
}
function offset(lon, lat) {
  const x = lon - 105, y = lat - 35;
  const rad = lat / 180 * Math.PI;
  const magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
  return [
    shiftLon(x, y) * 180 / (A / sq * Math.cos(rad) * Math.PI),
    shiftLat(x, y) * 180 / ((A * (1 - EE)) / (magic * sq) * Math.PI),
  ];
}

/**
 * fromWGS84 converts a WGS84 [lon, lat] to GCJ-02.
 * @param {[number, number]} p
 * @returns {[number, number]}
 */
export function fromWGS84([lon, lat]) {
  if (!inChina(lon, lat)) return [lon, lat];
  const [dx, dy] = offset(lon, lat);
  return [lon + dx, lat + dy];
}

/**
 * toWGS84 converts a GCJ-02 [lon, lat] to WGS84 (iterative inverse).
 * @param {[number, number]} p
 * @returns {[number, number]}
 */
export function toWGS84([glon, glat]) {
  if (!inChina(glon, glat)) return [glon, glat];
  const [dx, dy] = offset(glon, glat);
  let lon = glon - dx, lat = glat - dy;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const [fx, fy] = fromWGS84([lon, lat]);
    const ex = fx - glon, ey = fy - glat;
    lon -= ex; lat -= ey;
    if (Math.abs(ex) < TOLERANCE && Math.abs(ey) < TOLERANCE) break;
  }
  return [lon, lat];
}
