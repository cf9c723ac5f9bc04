// Transverse Mercator (Gauss–Krüger) on the CGCS2000 ellipsoid, for the live
// EPSG:4547 readout (CGCS2000 / 3-degree Gauss–Krüger CM 114°E: k0 = 1, false
// easting 500 000 m, no zone prefix). Krüger's series in n to order 6 (Karney
// 2011, "Transverse Mercator with an accuracy of a few nanometers"), the
// algorithm PROJ's tmerc uses by default: sub-millimetre within a zone.
// Pure functions, unit-tested against PROJ's cs2cs (web/test/unit/tmerc.test.mjs).
// CGCS2000 and WGS84 differ by far less than the layout's accuracy, so WGS84
// longitudes and latitudes go in as they are (as the server does).

const DEG = Math.PI / 180;

/**
 * @typedef {{a: number, f: number, lon0: number, k0: number, x0: number, y0: number}} TMParams
 */

/** EPSG:4547's parameters. @type {TMParams} */
export const EPSG4547 = Object.freeze({ a: 6378137, f: 1 / 298.257222101, lon0: 114, k0: 1, x0: 500000, y0: 0 });

const cache = new WeakMap();
function coefficients(p) {
  let c = cache.get(p);
  if (c) return c;
  const n = p.f / (2 - p.f), n2 = n * n, n3 = n2 * n, n4 = n3 * n, n5 = n4 * n, n6 = n5 * n;
  const e = Math.sqrt(p.f * (2 - p.f));
  c = {
    e,
    A: p.a / (1 + n) * (1 + n2 / 4 + n4 / 64 + n6 / 256),
    alpha: [
      n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180 - 127 * n5 / 288 + 7891 * n6 / 37800,
      13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440 + 281 * n5 / 630 - 1983433 * n6 / 1935360,
      61 * n3 / 240 - 103 * n4 / 140 + 15061 * n5 / 26880 + 167603 * n6 / 181440,
      49561 * n4 / 161280 - 179 * n5 / 168 + 6601661 * n6 / 7257600,
      34729 * n5 / 80640 - 3418889 * n6 / 1995840,
      212378941 * n6 / 319334400,
    ],
    beta: [
      n / 2 - 2 * n2 / 3 + 37 * n3 / 96 - n4 / 360 - 81 * n5 / 512 + 96199 * n6 / 604800,
      n2 / 48 + n3 / 15 - 437 * n4 / 1440 + 46 * n5 / 105 - 1118711 * n6 / 3870720,
      17 * n3 / 480 - 37 * n4 / 840 - 209 * n5 / 4480 + 5569 * n6 / 90720,
      4397 * n4 / 161280 - 11 * n5 / 504 - 830251 * n6 / 7257600,
      4583 * n5 / 161280 - 108847 * n6 / 3991680,
      20648693 * n6 / 638668800,
    ],
  };
  cache.set(p, c);
  return c;
}

/**
 * forward projects [lon, lat] in degrees to [easting, northing] in metres.
 * @param {[number, number]} ll
 * @param {TMParams} [p]
 * @returns {[number, number]}
 */
export function forward([lon, lat], p = EPSG4547) {
  const { e, A, alpha } = coefficients(p);
  const phi = lat * DEG, lam = (lon - p.lon0) * DEG;
  const s = Math.sin(phi);
  const t = Math.sinh(Math.atanh(s) - e * Math.atanh(e * s));
  const xi1 = Math.atan2(t, Math.cos(lam));
  const eta1 = Math.atanh(Math.sin(lam) / Math.sqrt(1 + t * t));
  let xi = xi1, eta = eta1;
  for (let j = 1; j <= 6; j++) {
    xi += alpha[j - 1] * Math.sin(2 * j * xi1) * Math.cosh(2 * j * eta1);
    eta += alpha[j - 1] * Math.cos(2 * j * xi1) * Math.sinh(2 * j * eta1);
  }
  return [p.x0 + p.k0 * A * eta, p.y0 + p.k0 * A * xi];
}

/**
 * inverse turns [easting, northing] in metres back into [lon, lat] degrees.
 * @param {[number, number]} en
 * @param {TMParams} [p]
 * @returns {[number, number]}
 */
export function inverse([x, y], p = EPSG4547) {
  const { e, A, beta } = coefficients(p);
  const xi = (y - p.y0) / (p.k0 * A), eta = (x - p.x0) / (p.k0 * A);
  let xi1 = xi, eta1 = eta;
  for (let j = 1; j <= 6; j++) {
    xi1 -= beta[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    eta1 -= beta[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  const chi = Math.asin(Math.sin(xi1) / Math.cosh(eta1)); // conformal latitude
  const lam = Math.atan2(Math.sinh(eta1), Math.cos(xi1));
  let phi = chi;
  for (let i = 0; i < 20; i++) {
    const es = e * Math.sin(phi);
    const next = 2 * Math.atan(Math.tan(Math.PI / 4 + chi / 2) * Math.pow((1 + es) / (1 - es), e / 2)) - Math.PI / 2;
    if (Math.abs(next - phi) < 1e-14) { phi = next; break; }
    phi = next;
  }
  return [p.lon0 + lam / DEG, phi / DEG];
}
