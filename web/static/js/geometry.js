// Planar geometry on GeoJSON coordinate arrays, for labels, hit testing and
// view bounds. Pure functions, no DOM and no Leaflet; unit-tested with node
// against orb's planar functions (web/test/unit/geometry.test.mjs).

/** @typedef {[number, number]} Pos */
/** @typedef {Pos[]} Ring */
/** @typedef {{type: string, coordinates?: any, geometries?: Geometry[]}} Geometry */

/**
 * ringArea is the signed shoelace area of a ring (positive counter-clockwise).
 * @param {Ring} r
 */
export function ringArea(r) {
  if (!r.length) return 0;
  const [ox, oy] = r[0]; // relative to the first vertex: no cancellation in large coordinates
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - ox) * (r[i][1] - oy) - (r[i][0] - ox) * (r[j][1] - oy);
  return a / 2;
}

/**
 * ringCentroid is the area centroid of a ring (its first vertex when degenerate).
 * @param {Ring} r
 * @returns {Pos}
 */
export function ringCentroid(r) {
  const [ox, oy] = r[0];
  let a = 0, cx = 0, cy = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const xj = r[j][0] - ox, yj = r[j][1] - oy, xi = r[i][0] - ox, yi = r[i][1] - oy;
    const f = xj * yi - xi * yj;
    a += f; cx += (xj + xi) * f; cy += (yj + yi) * f;
  }
  if (a === 0) return r[0];
  return [ox + cx / (3 * a), oy + cy / (3 * a)];
}

/**
 * inRing: even-odd point in ring.
 * @param {Pos} p
 * @param {Ring} r
 */
export function inRing(p, r) {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    if ((r[i][1] > p[1]) !== (r[j][1] > p[1]) &&
        p[0] < (r[j][0] - r[i][0]) * (p[1] - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0]) inside = !inside;
  }
  return inside;
}

/**
 * inPolygon: inside the outer ring and in none of the holes.
 * @param {Pos} p
 * @param {Ring[]} rings
 */
export const inPolygon = (p, rings) => inRing(p, rings[0]) && !rings.slice(1).some((h) => inRing(p, h));

/**
 * polygons lists the polygons (arrays of rings) of a Polygon or MultiPolygon.
 * @param {Geometry} g
 * @returns {Ring[][]}
 */
export function polygons(g) {
  if (!g) return [];
  if (g.type === 'Polygon') return [g.coordinates];
  if (g.type === 'MultiPolygon') return g.coordinates;
  if (g.type === 'GeometryCollection') return g.geometries.flatMap(polygons);
  return [];
}

/**
 * inGeometry: p inside any polygon of g.
 * @param {Pos} p
 * @param {Geometry} g
 */
export const inGeometry = (p, g) => polygons(g).some((rings) => inPolygon(p, rings));

/**
 * area is the planar area of a (Multi)Polygon in squared coordinate units.
 * @param {Geometry} g
 */
export const area = (g) => polygons(g).reduce((s, rings) => s + Math.abs(ringArea(rings[0])) - rings.slice(1).reduce((h, r) => h + Math.abs(ringArea(r)), 0), 0);

/**
 * labelPoint is a point inside the largest polygon of g: its outer ring's
 * centroid when that is inside, else the middle of the widest inside stretch
 * of a horizontal line through it (or through 30–70 % of its height).
 * @param {Geometry} g
 * @returns {Pos}
 */
export function labelPoint(g) {
  const polys = polygons(g);
  let best = polys[0];
  for (const p of polys) if (Math.abs(ringArea(p[0])) > Math.abs(ringArea(best[0]))) best = p;
  const c = ringCentroid(best[0]);
  if (inPolygon(c, best)) return c;
  const ys = best[0].map((q) => q[1]);
  const y0 = Math.min(...ys), y1 = Math.max(...ys);
  let pick = null, width = -1;
  for (const t of [0.5, 0.4, 0.6, 0.3, 0.7]) {
    const y = t === 0.5 ? c[1] : y0 + (y1 - y0) * t;
    const xs = [];
    for (const r of best) {
      for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
        if ((r[i][1] > y) !== (r[j][1] > y)) xs.push((r[j][0] - r[i][0]) * (y - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0]);
      }
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      if (xs[k + 1] - xs[k] > width) { width = xs[k + 1] - xs[k]; pick = [(xs[k] + xs[k + 1]) / 2, y]; }
    }
    if (pick) break;
  }
  return pick || c;
}

/**
 * bbox is [west, south, east, north] of any GeoJSON geometry (null when empty).
 * @param {Geometry} g
 * @returns {[number, number, number, number] | null}
 */
export function bbox(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  eachPosition(g, ([x, y]) => {
    if (x < b[0]) b[0] = x;
    if (y < b[1]) b[1] = y;
    if (x > b[2]) b[2] = x;
    if (y > b[3]) b[3] = y;
  });
  return b[0] <= b[2] ? b : null;
}

/**
 * eachPosition calls fn on every position of a geometry.
 * @param {Geometry} g
 * @param {(p: Pos) => void} fn
 */
export function eachPosition(g, fn) {
  if (!g) return;
  if (g.type === 'GeometryCollection') { g.geometries.forEach((x) => eachPosition(x, fn)); return; }
  const walk = (c) => (typeof c[0] === 'number' ? fn(c) : c.forEach(walk));
  if (g.coordinates && g.coordinates.length) walk(g.coordinates);
}

/**
 * mapCoords returns a copy of g with fn applied to every position.
 * @param {Geometry} g
 * @param {(p: Pos) => Pos} fn
 * @returns {Geometry}
 */
export function mapCoords(g, fn) {
  if (!g) return g;
  if (g.type === 'GeometryCollection') return { type: g.type, geometries: g.geometries.map((x) => mapCoords(x, fn)) };
  const walk = (c) => (typeof c[0] === 'number' ? fn(c) : c.map(walk));
  return { type: g.type, coordinates: walk(g.coordinates) };
}

/**
 * alongLine returns the point at fraction t of a line's length measured in a
 * projected plane (project maps a position to {x, y} with y down, as screen
 * pixels), and the direction there in degrees, turned to read left to right.
 * @param {Pos[]} coords
 * @param {number} t
 * @param {(p: Pos) => {x: number, y: number}} project
 * @returns {{at: Pos, angle: number}}
 */
export function alongLine(coords, t, project) {
  const pts = coords.map(project);
  const seg = [];
  let total = 0;
  for (let i = 1; i < pts.length; i++) {
    const d = Math.hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
    seg.push(d); total += d;
  }
  let want = total * t;
  for (let i = 1; i < coords.length; i++) {
    if (want <= seg[i - 1] || i === coords.length - 1) {
      const f = seg[i - 1] ? Math.min(1, want / seg[i - 1]) : 0;
      const a = coords[i - 1], b = coords[i], pa = pts[i - 1], pb = pts[i];
      let angle = Math.atan2(pb.y - pa.y, pb.x - pa.x) * 180 / Math.PI;
      if (angle > 90) angle -= 180;
      if (angle < -90) angle += 180;
      return { at: [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f], angle };
    }
    want -= seg[i - 1];
  }
  return { at: coords[0], angle: 0 };
}

/**
 * segmentDistance is the distance from p to the segment a–b (same units).
 * @param {{x: number, y: number}} p
 * @param {{x: number, y: number}} a
 * @param {{x: number, y: number}} b
 */
export function segmentDistance(p, a, b) {
  const dx = b.x - a.x, dy = b.y - a.y;
  const l2 = dx * dx + dy * dy;
  const t = l2 ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / l2)) : 0;
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/** @typedef {{x: number, y: number, w: number, h: number}} Box */

/**
 * boxesOverlap: two axis-aligned boxes share area (touching edges do not).
 * @param {Box} a
 * @param {Box} b
 * @param {number} [gap] extra clearance in the same units
 */
export const boxesOverlap = (a, b, gap = 0) =>
  a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;

/**
 * rotatedBox is the axis-aligned box around a w×h box rotated by angle
 * degrees about its centre (cx, cy).
 * @returns {Box}
 */
export function rotatedBox(cx, cy, w, h, angle) {
  const r = angle * Math.PI / 180, c = Math.abs(Math.cos(r)), s = Math.abs(Math.sin(r));
  const W = w * c + h * s, H = w * s + h * c;
  return { x: cx - W / 2, y: cy - H / 2, w: W, h: H };
}
