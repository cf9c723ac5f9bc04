// Browser test of the planners' page against a running server, in Debian's
// Chromium driven by playwright-core.
//
//   node web/test/browser.mjs http://127.0.0.1:PORT OUTDIR
//
// Asserts: no console errors or page errors; no request leaves the page's
// origin; every layer draws as many features as the catalog lists; a click
// inside area-jinshan shows 金山新城片区 in the popup; a parcel file picked on
// the page yields a table whose primary areas match POST /api/v1/locate/batch
// for the same file, and a CSV download with a BOM; a parcel drawn by hand
// with the draw tool well inside area-cbd gives a row with 中央商务区 at 100 %,
// as POST /api/v1/locate says for the same polygon; two measure clicks show the
// distance GET /api/v1/distance gives for the same points. With the GCJ-02
// basemap the server is configured with (browser_test.go; its tiles are on this
// origin and 404) selected in the layer control: every layer is re-fetched with
// crs=GCJ02, the district and parcel bounds move by the GCJ-02 offset, a click
// at the GCJ-02 position of a known point in area-jinshan asks
// /api/v1/locate?crs=GCJ02 and shows 金山新城片区 with that point's WGS84
// coordinates, and drawing and measuring send WGS84 vertices; switching back
// to no basemap re-fetches every layer in CRS84. A phone-sized viewport has no
// horizontal overflow. Writes screenshots to OUTDIR. Exits non-zero on any
// failure. The whole run is bounded (85 s) and every wait has a timeout.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, outdir] = process.argv.slice(2);
if (!base || !outdir) {
  console.error('usage: node browser.mjs BASE_URL OUTDIR');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });
const origin = new URL(base).origin;
const WAIT = 15000;

const overall = setTimeout(() => {
  console.error('FAIL: the browser test did not finish within 85 s');
  process.exit(3);
}, 85000);

const failures = [];
function check(cond, what, detail) {
  if (cond) console.log('ok   ' + what);
  else {
    console.log('FAIL ' + what + (detail !== undefined ? ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail)) : ''));
    failures.push(what);
  }
}

async function api(path, opts) {
  const res = await fetch(base + path, { ...opts, signal: AbortSignal.timeout(WAIT) });
  if (!res.ok) throw new Error(`${opts && opts.method || 'GET'} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

// --- interior points computed from the API's GeoJSON ---
function ringArea(r) {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] + r[i][0]) * (r[j][1] - r[i][1]);
  return a / 2;
}
function inRing(p, r) {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    if ((r[i][1] > p[1]) !== (r[j][1] > p[1]) && p[0] < (r[j][0] - r[i][0]) * (p[1] - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0]) inside = !inside;
  }
  return inside;
}
const polys = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
const inGeom = (p, g) => polys(g).some((rings) => inRing(p, rings[0]) && !rings.slice(1).some((h) => inRing(p, h)));
// interiorPoint: the centroid of the largest outer ring when it is inside,
// else the middle of the widest horizontal chord through the ring's middle.
function interiorPoint(g) {
  const best = polys(g).reduce((a, b) => (Math.abs(ringArea(b[0])) > Math.abs(ringArea(a[0])) ? b : a));
  const r = best[0];
  let a = 0, cx = 0, cy = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const f = r[j][0] * r[i][1] - r[i][0] * r[j][1];
    a += f; cx += (r[j][0] + r[i][0]) * f; cy += (r[j][1] + r[i][1]) * f;
  }
  const c = [cx / (3 * a), cy / (3 * a)];
  if (inGeom(c, g)) return c;
  const xs = [];
  for (const ring of best) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      if ((ring[i][1] > c[1]) !== (ring[j][1] > c[1])) xs.push((ring[j][0] - ring[i][0]) * (c[1] - ring[i][1]) / (ring[j][1] - ring[i][1]) + ring[i][0]);
    }
  }
  xs.sort((p, q) => p - q);
  let pick = null, w = -1;
  for (let k = 0; k + 1 < xs.length; k += 2) if (xs[k + 1] - xs[k] > w) { w = xs[k + 1] - xs[k]; pick = [(xs[k] + xs[k + 1]) / 2, c[1]]; }
  return pick;
}
// a square parcel of about 2·d metres around p
function square(p, d) {
  const dx = d / (111320 * Math.cos(p[1] * Math.PI / 180)), dy = d / 110540;
  return [[[p[0] - dx, p[1] - dy], [p[0] + dx, p[1] - dy], [p[0] + dx, p[1] + dy], [p[0] - dx, p[1] + dy], [p[0] - dx, p[1] - dy]]];
}

// GCJ-02, ported from internal/gcj02 independently of the page's copy.
const gcj = (() => {
  const A = 6378245.0, EE = 0.00669342162296594323;
  const inChina = (lon, lat) => lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  const shiftLat = (x, y) => -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
    + (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    + (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3
    + (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  const shiftLon = (x, y) => 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
    + (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    + (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3
    + (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  function offset(lon, lat) {
    const x = lon - 105, y = lat - 35, rad = lat / 180 * Math.PI;
    const magic = 1 - EE * Math.sin(rad) ** 2, sq = Math.sqrt(magic);
    return [shiftLon(x, y) * 180 / (A / sq * Math.cos(rad) * Math.PI), shiftLat(x, y) * 180 / ((A * (1 - EE)) / (magic * sq) * Math.PI)];
  }
  const from = ([lon, lat]) => { if (!inChina(lon, lat)) return [lon, lat]; const [dx, dy] = offset(lon, lat); return [lon + dx, lat + dy]; };
  function to([glon, glat]) {
    if (!inChina(glon, glat)) return [glon, glat];
    const [dx, dy] = offset(glon, glat);
    let lon = glon - dx, lat = glat - dy;
    for (let i = 0; i < 30; i++) {
      const [fx, fy] = from([lon, lat]);
      lon -= fx - glon; lat -= fy - glat;
      if (Math.abs(fx - glon) < 1e-10 && Math.abs(fy - glat) < 1e-10) break;
    }
    return [lon, lat];
  }
  return { from, to };
})();
// [west, south, east, north] of geometries after fn on every vertex
function bbox(geoms, fn = (p) => p) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] !== 'number') return c.forEach(walk);
    const [x, y] = fn(c);
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  };
  geoms.forEach((g) => walk(g.coordinates));
  return b;
}
const maxDiff = (a, b) => (a && b && a.length === b.length ? Math.max(...a.map((v, i) => Math.abs(v - b[i]))) : Infinity);
const near = (a, b, tol) => maxDiff(a, b) <= tol;
// the page's distance format (fmtDist in app.js)
const fmtDist = (m) => (m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(m < 10000 ? 2 : 1) + ' km');
// a square well inside g: the largest of a few sizes whose edges stay inside,
// around the grid point nearest g's interior point that holds it
function squareInside(g) {
  const fits = (r) => {
    for (let i = 0; i < 4; i++) {
      for (let t = 0; t <= 1; t += 0.125) if (!inGeom([r[i][0] + (r[i + 1][0] - r[i][0]) * t, r[i][1] + (r[i + 1][1] - r[i][1]) * t], g)) return false;
    }
    return true;
  };
  const c = interiorPoint(g), [w, s, e, n] = bbox([g]);
  const grid = [];
  for (let i = 0; i <= 24; i++) for (let j = 0; j <= 24; j++) grid.push([w + (e - w) * i / 24, s + (n - s) * j / 24]);
  grid.sort((p, q) => Math.hypot(p[0] - c[0], p[1] - c[1]) - Math.hypot(q[0] - c[0], q[1] - c[1]));
  for (const d of [500, 400, 300, 200, 150]) {
    for (const p of [c, ...grid]) {
      const r = square(p, d)[0];
      if (fits(r)) return r.slice(0, 4);
    }
  }
  return null;
}

// tile images of the test basemap (browser_test.go) 404 by design; only those
// failed loads are not console errors
const tileTest = origin + '/static/tile-test/';
let tileErrors = 0;
function watch(page, label, errors, foreign) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.text().startsWith('Failed to load resource') && (m.location().url || '').startsWith(tileTest)) { tileErrors++; return; }
    errors.push(`${label} console: ${m.text()} @ ${JSON.stringify(m.location())}`);
  });
  page.on('pageerror', (e) => errors.push(`${label} page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if ((u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') && u.origin !== origin) foreign.push(r.url());
  });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  timeout: WAIT,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const errors = [];
const foreign = [];
try {
  // --- what the API says ---
  const catalog = await api('/api/v1/layers');
  const areas = await api('/api/v1/layers/areas');
  const byId = Object.fromEntries(areas.features.map((f) => [f.id, f]));
  const jinshan = byId['area-jinshan'];
  const click = interiorPoint(jinshan.geometry);
  check(click && inGeom(click, jinshan.geometry), 'interior point of area-jinshan is inside it', click);
  const parcelIds = ['area-jinshan', 'area-cbd', 'area-hetang-moonlight'];
  const parcelFC = {
    type: 'FeatureCollection',
    features: parcelIds.map((id, i) => ({
      type: 'Feature', id: 'p' + (i + 1),
      properties: { name: '测试地块 ' + (i + 1) },
      geometry: { type: 'Polygon', coordinates: square(interiorPoint(byId[id].geometry), 150) },
    })),
  };
  const parcelBody = JSON.stringify(parcelFC);

  // --- desktop ---
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await desktop.newPage();
  page.setDefaultTimeout(WAIT);
  watch(page, 'desktop', errors, foreign);
  await page.goto(base + '/', { waitUntil: 'load', timeout: WAIT });
  await page.waitForSelector('body[data-ready="true"]', { timeout: WAIT });
  await page.waitForTimeout(300);
  // the page is a fixed full-window layout: only the panel (and Leaflet's own
  // panes) may scroll, never the document
  await page.evaluate(() => {
    window.__docScrolls = [];
    document.addEventListener('scroll', (e) => { if (e.target === document) window.__docScrolls.push(document.scrollingElement.scrollTop); }, true);
  });
  await page.screenshot({ path: join(outdir, 'desktop.png') });

  const note = page.locator('#schematic-note');
  check(await note.isVisible() && (await note.textContent()).includes('示意性数字化'), 'the schematic-digitisation note is visible');

  // every overlay on, through the layer control
  await page.evaluate(() => document.querySelectorAll('.leaflet-control-layers-overlays input[type=checkbox]').forEach((i) => { if (!i.checked) i.click(); }));
  const counts = await page.evaluate(() => window.hetang.layerCounts());
  for (const ly of catalog.layers) {
    const c = counts[ly.id];
    check(c && c.features === ly.feature_count && c.drawn === ly.feature_count, `layer ${ly.id} draws ${ly.feature_count} features`, c);
  }
  await page.screenshot({ path: join(outdir, 'desktop-all-layers.png') });
  // back to the default selection for the rest
  await page.evaluate(() => {
    for (const label of document.querySelectorAll('.leaflet-control-layers-overlays label')) {
      if (/一带四心五区|现代特色农业布局/.test(label.textContent)) { const i = label.querySelector('input'); if (i.checked) i.click(); }
    }
  });

  // the district boundary cannot be switched off
  const controlText = await page.locator('.leaflet-control-layers-overlays').textContent();
  check(!controlText.includes('荷塘区行政区域'), 'the district boundary is not in the layer control');

  // click inside area-jinshan
  const mapBox = await page.locator('#map').boundingBox();
  const pt = await page.evaluate(([lon, lat]) => window.hetang.containerPoint(lon, lat), click);
  await page.mouse.click(mapBox.x + pt.x, mapBox.y + pt.y);
  const popupOK = await page.waitForFunction(() => {
    const c = document.querySelector('.leaflet-popup-content');
    return c && c.querySelector('dl') ? c.textContent : (c && c.querySelector('.err') ? c.textContent : false);
  }, null, { timeout: WAIT }).then((h) => h.jsonValue(), (e) => 'no popup: ' + e.message);
  check(typeof popupOK === 'string' && popupOK.includes('金山新城片区') && popupOK.includes('EPSG:4547'), 'a click inside area-jinshan shows 金山新城片区 with EPSG:4547 coordinates', popupOK);
  await page.screenshot({ path: join(outdir, 'desktop-click.png') });
  if (await page.locator('.leaflet-popup-close-button').count()) await page.click('.leaflet-popup-close-button');
  await page.waitForSelector('.leaflet-popup', { state: 'detached', timeout: WAIT });

  // search flies to a place and opens its popup
  await page.fill('#search-input', '红旗广场');
  await page.waitForSelector('#search-results li[role=option]', { timeout: WAIT });
  await page.keyboard.press('Enter');
  const searchPopup = await page.waitForFunction(() => {
    const c = document.querySelector('.leaflet-popup-content h3');
    return c && c.textContent.includes('红旗广场') ? c.textContent : false;
  }, null, { timeout: WAIT }).then((h) => h.jsonValue(), () => document.querySelector('.leaflet-popup-content')?.textContent || 'no popup');
  check(searchPopup.includes('红旗广场'), 'search for 红旗广场 opens its popup', searchPopup);

  // parcels: the same file through the page and straight to the API
  let truth = null;
  try {
    truth = await api('/api/v1/locate/batch', { method: 'POST', headers: { 'Content-Type': 'application/geo+json', Accept: 'application/geo+json' }, body: parcelBody });
  } catch (e) {
    check(false, 'POST /api/v1/locate/batch answers', e.message);
  }
  await page.setInputFiles('#parcel-file', { name: 'parcels.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(parcelBody) });
  const rows = await page.waitForFunction((n) => {
    const trs = document.querySelectorAll('#parcel-table tbody tr');
    return trs.length >= n ? trs.length : (document.querySelector('#tool-status.error') ? -1 : false);
  }, parcelFC.features.length, { timeout: WAIT }).then((h) => h.jsonValue(), () => 0);
  const status = await page.locator('#tool-status').textContent();
  check(rows === parcelFC.features.length, `the parcel table has ${parcelFC.features.length} rows`, { rows, status });
  if (truth) {
    const want = truth.features.map((f) => {
      const l = f.properties.locate || {};
      const a = l.primary_area || l.area || {};
      return { id: a.id || '', zh: a.name_zh || '' };
    });
    const got = await page.$$eval('#parcel-table tbody td.primary-area', (tds) => tds.map((td) => ({ id: td.dataset.areaId, text: td.textContent })));
    check(got.length === want.length && want.every((w, i) => got[i].id === w.id && got[i].text.includes(w.zh)),
      'the primary-area cells match POST /api/v1/locate/batch', { want, got });
    check(want.map((w) => w.id).join() === parcelIds.join(), 'the batch answer puts each test parcel in the area it was drawn in', want);
  }
  if (rows > 0) {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.click('#parcels-csv')]);
    const csv = readFileSync(await dl.path(), 'utf8');
    const lines = csv.replace(/\r\n$/, '').split('\r\n');
    check(csv.charCodeAt(0) === 0xfeff && lines.length === rows + 1, 'Download CSV gives a BOM-prefixed CSV with one line per parcel', lines.slice(0, 2));
  }
  await page.screenshot({ path: join(outdir, 'desktop-parcels.png') });

  // the links panel
  await page.click('#sec-links summary');
  const ogc = await page.inputValue('#ogcapi-url');
  check(ogc === origin + '/ogcapi/', 'the QGIS address is the absolute /ogcapi/ URL', ogc);
  const layerLinks = await page.locator('#layer-links a').count();
  check(layerLinks === catalog.layers.length, 'one GeoJSON link per layer', layerLinks);

  const docScroll = () => page.evaluate(() => ({ scrollHeight: document.scrollingElement.scrollHeight, height: innerHeight, scrollTop: document.scrollingElement.scrollTop, scrolls: window.__docScrolls }));
  let ds = await docScroll();
  check(ds.scrollHeight <= ds.height && ds.scrollTop === 0, 'the document does not overflow the window (with parcels in the table)', ds);

  // --- draw a parcel, measure, and the GCJ-02 basemap ---
  const cbd = byId['area-cbd'];
  const cbdSquare = squareInside(cbd.geometry);
  check(cbdSquare !== null, 'a test square fits inside area-cbd');
  const hook = (fn, ...args) => page.evaluate(([f, a]) => window.hetang[f](...a), [fn, args]);
  const layerReqs = []; // { id, crs } of every layer fetch, in order
  page.on('request', (r) => {
    const u = new URL(r.url());
    const m = u.pathname.match(/^\/api\/v1\/layers\/([^/]+)$/);
    if (m && u.origin === origin) layerReqs.push({ id: decodeURIComponent(m[1]), crs: u.searchParams.get('crs') || 'CRS84' });
  });
  const settle = () => page.waitForTimeout(400);
  async function closePopup() {
    if (await page.locator('.leaflet-popup-close-button').count()) await page.click('.leaflet-popup-close-button');
    await page.waitForSelector('.leaflet-popup', { state: 'detached', timeout: WAIT });
  }
  // flyTo: search for an area and close the popup the search opens
  async function flyTo(zh) {
    await page.fill('#search-input', zh);
    await page.waitForSelector('#search-results li[role=option]', { timeout: WAIT });
    await page.keyboard.press('Enter');
    await page.waitForFunction((t) => (document.querySelector('.leaflet-popup-content h3') || {}).textContent?.includes(t), zh, { timeout: WAIT });
    await settle();
    await closePopup();
    await settle();
  }
  // pixel: the whole container pixel nearest a point given in the map's CRS,
  // checked to be well inside the map
  async function pixel(p) {
    const q = await hook('containerPoint', p[0], p[1]);
    const px = { x: Math.round(q.x), y: Math.round(q.y) };
    if (!(px.x > 20 && px.y > 60 && px.x < mapBox.width - 20 && px.y < mapBox.height - 40)) throw new Error(`point ${p} is off the map at ${JSON.stringify(px)}`);
    return px;
  }
  const clickAt = async (px) => { const b = await page.locator('#map').boundingBox(); await page.mouse.click(b.x + px.x, b.y + px.y); };
  // the WGS84 point the page's map shows at a pixel, for the current basemap
  const wgsAt = async (px, crs) => { const ll = await hook('latLngAt', px.x, px.y); return crs === 'GCJ02' ? gcj.to(ll) : ll; };

  // drawParcel draws cbdSquare with the draw tool (the vertices at whole
  // pixels) and checks the new table row against POST /api/v1/locate.
  async function drawParcel(crs) {
    const tag = crs === 'GCJ02' ? ' (GCJ-02 basemap)' : '';
    const pxs = [];
    for (const v of cbdSquare) pxs.push(await pixel(crs === 'GCJ02' ? gcj.from(v) : v));
    const spread = Math.min(...pxs.map((p, i) => Math.hypot(p.x - pxs[(i + 1) % 4].x, p.y - pxs[(i + 1) % 4].y)));
    check(spread >= 30, 'the drawn square is big enough on screen to click' + tag, spread);
    console.log(`     drawing a square of ${pxs.map((p) => p.x + ',' + p.y).join(' ')} px at zoom ${await hook('zoom')}`);
    const ring = [];
    for (const px of pxs) ring.push(await wgsAt(px, crs));
    ring.push(ring[0]);
    check(ring.every((p) => inGeom(p, cbd.geometry)), 'the drawn vertices are inside area-cbd' + tag, ring);
    const before = await page.locator('#parcel-table tbody tr').count();
    await page.click('#tool-draw');
    for (const px of pxs) { await clickAt(px); await page.waitForTimeout(350); } // apart, so no double-click
    const [req] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/locate', { timeout: WAIT }),
      page.click('#tool-status button:has-text("完成")'),
    ]);
    const sent = JSON.parse(req.postData()).geometry.coordinates[0];
    check(sent.length === ring.length && sent.every((p, i) => near(p, ring[i], 1e-9)), 'the page sends the drawn vertices in WGS84' + tag, { sent, want: ring });
    const n = await page.waitForFunction((k) => document.querySelectorAll('#parcel-table tbody tr').length > k, before, { timeout: WAIT })
      .then(() => page.locator('#parcel-table tbody tr').count(), () => before);
    check(n === before + 1, 'the drawn parcel adds a table row' + tag, { before, n, status: await page.locator('#tool-status').textContent() });
    await page.screenshot({ path: join(outdir, crs === 'GCJ02' ? 'desktop-gcj02-draw.png' : 'desktop-draw.png') });
    const truth = await api('/api/v1/locate', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' },
      body: JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }) });
    const pa = truth.primary_area || truth.area || {};
    const row = await page.$eval('#parcel-table tbody tr:last-child', (tr) => ({
      id: tr.querySelector('td.primary-area')?.dataset.areaId, area: tr.querySelector('td.primary-area')?.textContent, share: tr.children[2]?.textContent }));
    const wantShare = (pa.share * 100).toFixed(1) + '%';
    check(pa.id === 'area-cbd' && pa.share > 0.9999, 'POST /api/v1/locate puts the drawn square wholly in area-cbd' + tag, pa);
    check(row.id === pa.id && row.area.includes('中央商务区') && row.share === wantShare && row.share === '100.0%',
      'the drawn parcel row shows 中央商务区 at 100 %, as POST /api/v1/locate does' + tag, { row, want: { id: pa.id, share: wantShare } });
    return ring;
  }

  // measureAt clicks two pixels with the measure tool and checks the shown
  // distance against GET /api/v1/distance for the same two points.
  async function measureAt(pa, pb, crs, shot) {
    const tag = crs === 'GCJ02' ? ' (GCJ-02 basemap)' : '';
    const a = await wgsAt(pa, crs), b = await wgsAt(pb, crs);
    await page.click('#tool-measure');
    await clickAt(pa);
    await page.waitForTimeout(350);
    const [req] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/distance', { timeout: WAIT }),
      clickAt(pb),
    ]);
    const q = new URL(req.url()).searchParams;
    const from = q.get('from').split(',').map(Number), to = q.get('to').split(',').map(Number);
    check(near(from, a, 1e-6) && near(to, b, 1e-6), 'the measure tool sends the clicked points in WGS84' + tag, { from, to, a, b });
    const status = await page.waitForFunction(() => { const t = document.querySelector('#tool-status').textContent; return t.includes('Distance:') || t.includes('failed') ? t : false; }, null, { timeout: WAIT })
      .then((h) => h.jsonValue(), () => 'no distance shown');
    const want = await api('/api/v1/distance?' + new URLSearchParams({ from: a.map((v) => v.toFixed(7)).join(','), to: b.map((v) => v.toFixed(7)).join(',') }));
    const shown = (status.match(/Distance: ([\d.]+) m/) || [])[1];
    check(shown === want.distance_m.toFixed(1), 'the shown distance matches GET /api/v1/distance' + tag, { shown, want: want.distance_m, status });
    const label = await page.locator('.measure-label').textContent({ timeout: WAIT }).catch(() => '');
    check(label.startsWith(fmtDist(want.distance_m) + ' '), 'the distance label on the map matches GET /api/v1/distance' + tag, { label, want: fmtDist(want.distance_m) });
    await page.screenshot({ path: join(outdir, shot) });
    await page.click('#tool-measure'); // off again
  }

  async function pickBasemap(name) {
    await page.hover('.leaflet-control-layers');
    await page.waitForSelector('.leaflet-control-layers-expanded', { timeout: WAIT });
    await page.locator('.leaflet-control-layers-base label').filter({ hasText: name }).click({ timeout: WAIT });
    await page.mouse.move(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height - 10);
  }
  function refetched(from, crs) {
    const got = layerReqs.slice(from);
    const missing = catalog.layers.map((l) => l.id).filter((id) => !got.some((r) => r.id === id && r.crs === crs));
    const other = got.filter((r) => r.crs !== crs);
    return { missing, other, n: got.length };
  }
  const layersIn = (crs) => page.waitForFunction((c) => window.hetang.layersCRS() === c, crs, { timeout: WAIT }).then(() => true, () => false);

  if (cbdSquare) {
    await closePopup();
    await flyTo('中央商务区');
    const drawn = await drawParcel('CRS84');
    const c = await pixel(interiorPoint(cbd.geometry));
    await measureAt({ x: c.x - 120, y: c.y + 50 }, { x: c.x + 110, y: c.y - 60 }, 'CRS84', 'desktop-measure.png');

    // the GCJ-02 basemap
    const districtWGS = await hook('bounds', 'district');
    const district = await api('/api/v1/layers/district');
    const parcelGeoms = [...parcelFC.features.map((f) => f.geometry), { type: 'Polygon', coordinates: [drawn] }];
    check(near(districtWGS, bbox(district.features.map((f) => f.geometry)), 1e-9), 'the district is drawn at its WGS84 bounds without a basemap', districtWGS);
    check(near(await hook('bounds', 'parcels'), bbox(parcelGeoms), 1e-9), 'the parcels are drawn at their WGS84 bounds without a basemap');
    let mark = layerReqs.length;
    await pickBasemap('GCJ-02 test tiles');
    check(await layersIn('GCJ02') && (await hook('crs')) === 'GCJ02', 'selecting the GCJ-02 basemap reloads the layers in GCJ-02');
    let r = refetched(mark, 'GCJ02');
    check(r.missing.length === 0 && r.other.length === 0, 'every layer is re-fetched with crs=GCJ02', r);
    const districtGCJ = await hook('bounds', 'district');
    const wantGCJ = bbox(district.features.map((f) => f.geometry), gcj.from);
    const shift = districtGCJ.map((v, i) => v - districtWGS[i]);
    check(near(districtGCJ, wantGCJ, 1e-6), 'the district bounds are its GCJ-02 bounds on the GCJ-02 basemap', { districtGCJ, wantGCJ });
    check(shift[0] > 0.0052 && shift[0] < 0.0062 && shift[2] > 0.0052 && shift[2] < 0.0062 && shift[1] < -0.0028 && shift[1] > -0.0038 && shift[3] < -0.0028 && shift[3] > -0.0038,
      'the district moves ~0.0057° east and ~0.0033° south on the GCJ-02 basemap', shift);
    check(near(await hook('bounds', 'parcels'), bbox(parcelGeoms, gcj.from), 1e-6), 'the parcels move by the GCJ-02 offset on the GCJ-02 basemap');
    const tiles = await page.locator('img.leaflet-tile').evaluateAll((imgs) => imgs.map((i) => i.src));
    check(tiles.length > 0 && tiles.every((u) => u.startsWith(origin + '/static/tile-test/')), 'the basemap asks this origin for its tiles', tiles.slice(0, 3));

    // a click at the GCJ-02 position of a WGS84 point in area-jinshan
    await flyTo('金山新城片区');
    // a whole pixel near the interior point, off the test parcel drawn there
    // (a click on a parcel opens the parcel's popup instead)
    const c0 = await pixel(gcj.from(click));
    let px = null, shownAt = null, known = null;
    for (const [dx, dy] of [[0, 40], [0, -40], [40, 0], [-40, 0], [0, 80], [0, -80]]) {
      const p = { x: c0.x + dx, y: c0.y + dy };
      const ll = await hook('latLngAt', p.x, p.y); // GCJ-02, what the page gets from the click
      const w = gcj.to(ll); // the WGS84 point whose GCJ-02 position is that pixel
      if (inGeom(w, jinshan.geometry) && !inGeom(w, parcelFC.features[0].geometry)) { px = p; shownAt = ll; known = w; break; }
    }
    check(known !== null, 'a known WGS84 point inside area-jinshan, off the test parcel, sits at a whole pixel', { click, c0 });
    const [lreq] = await Promise.all([
      page.waitForRequest((q) => new URL(q.url()).pathname === '/api/v1/locate' && q.method() === 'GET', { timeout: WAIT }),
      clickAt(px),
    ]);
    const lq = new URL(lreq.url()).searchParams;
    check(lq.get('crs') === 'GCJ02' && near([+lq.get('lon'), +lq.get('lat')], shownAt, 1e-6), 'the click sends /api/v1/locate?crs=GCJ02 with the GCJ-02 position', lreq.url());
    const pop = await page.waitForFunction(() => {
      const c = document.querySelector('.leaflet-popup-content');
      return c && (c.querySelector('dl') || c.querySelector('.err')) ? c.textContent : false;
    }, null, { timeout: WAIT }).then((h) => h.jsonValue(), (e) => 'no popup: ' + e.message);
    const wm = pop.match(/lon, lat:\s*(-?[\d.]+), (-?[\d.]+)/);
    const shownWGS = wm ? [+wm[1], +wm[2]] : null;
    check(pop.includes('金山新城片区'), 'on the GCJ-02 basemap a click in area-jinshan shows 金山新城片区', pop);
    check(near(shownWGS, known, 1e-6) && !near(shownWGS, shownAt, 1e-3), 'the popup shows the WGS84 coordinates of the known point (within 1e-6°)', { shownWGS, known, shownAt });
    await page.waitForTimeout(300); // the popup fades in
    await page.screenshot({ path: join(outdir, 'desktop-gcj02.png') });
    await closePopup();

    // drawing and measuring on the GCJ-02 basemap
    await flyTo('中央商务区');
    const drawnGCJ = await drawParcel('GCJ02');
    const g = await pixel(gcj.from(interiorPoint(cbd.geometry)));
    await measureAt({ x: g.x - 120, y: g.y + 50 }, { x: g.x + 110, y: g.y - 60 }, 'GCJ02', 'desktop-gcj02-measure.png');

    // back to no basemap
    mark = layerReqs.length;
    await pickBasemap('无底图');
    check(await layersIn('CRS84') && (await hook('crs')) === 'CRS84', 'switching back to no basemap reloads the layers in CRS84');
    r = refetched(mark, 'CRS84');
    check(r.missing.length === 0 && r.other.length === 0, 'every layer is re-fetched in CRS84 (no crs parameter)', r);
    check(near(await hook('bounds', 'district'), districtWGS, 1e-9), 'the district is back at its WGS84 bounds');
    const parcelsWGS = bbox([...parcelGeoms, { type: 'Polygon', coordinates: [drawnGCJ] }]);
    check(near(await hook('bounds', 'parcels'), parcelsWGS, 1e-9), 'the parcels are back at their WGS84 bounds');

    // to GCJ-02 and straight back while the GCJ-02 answers are slow: the
    // late answers must not be drawn on the map without a basemap
    let delayed = 0;
    const slow = (u) => /^\/api\/v1\/layers\/[^/]+$/.test(u.pathname) && u.searchParams.get('crs') === 'GCJ02';
    await page.route(slow, async (route) => {
      await new Promise((res) => setTimeout(res, 700));
      await route.continue().catch(() => {});
      delayed++;
    });
    await pickBasemap('GCJ-02 test tiles');
    await page.waitForFunction(() => window.hetang.crs() === 'GCJ02', null, { timeout: WAIT });
    await pickBasemap('无底图');
    await page.waitForFunction(() => window.hetang.crs() === 'CRS84', null, { timeout: WAIT });
    for (const t0 = Date.now(); delayed < catalog.layers.length && Date.now() - t0 < WAIT;) await page.waitForTimeout(100);
    const allLate = delayed >= catalog.layers.length;
    await settle();
    await page.unroute(slow);
    check(allLate, 'the quick switch asked for every layer in GCJ-02 (answers delayed)', delayed);
    check(await layersIn('CRS84') && near(await hook('bounds', 'district'), districtWGS, 1e-9) && near(await hook('bounds', 'parcels'), parcelsWGS, 1e-9),
      'after a quick GCJ-02 → none switch the late GCJ-02 answers are not drawn', { district: await hook('bounds', 'district'), want: districtWGS, layersCRS: await hook('layersCRS') });
  }
  ds = await docScroll();
  check(ds.scrollHeight <= ds.height && ds.scrollTop === 0 && ds.scrolls.length === 0, 'the document never scrolled', ds);
  await desktop.close();

  // --- phone ---
  const phone = await browser.newContext({ viewport: { width: 375, height: 667 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const pp = await phone.newPage();
  pp.setDefaultTimeout(WAIT);
  watch(pp, 'phone', errors, foreign);
  await pp.goto(base + '/', { waitUntil: 'load', timeout: WAIT });
  await pp.waitForSelector('body[data-ready="true"]', { timeout: WAIT });
  await pp.waitForTimeout(300);
  const overflow = () => pp.evaluate(() => ({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, vw: window.innerWidth }));
  let o = await overflow();
  check(o.doc <= o.vw && o.body <= o.vw, 'no horizontal overflow at 375×667', o);
  await pp.screenshot({ path: join(outdir, 'phone.png') });
  await pp.click('#panel-toggle');
  await pp.waitForSelector('#panel', { state: 'visible', timeout: WAIT });
  o = await overflow();
  check(o.doc <= o.vw && o.body <= o.vw, 'no horizontal overflow at 375×667 with the panel open', o);
  await pp.screenshot({ path: join(outdir, 'phone-panel.png') });
  await phone.close();
} catch (e) {
  check(false, 'the browser run completed', e.stack || String(e));
} finally {
  await browser.close().catch(() => {});
}

check(errors.length === 0, 'no console errors or page errors', errors);
check(foreign.length === 0, 'no requests to other origins', foreign);
console.log(`screenshots in ${outdir}; ${tileErrors} failed test-tile load(s) not counted as console errors`);
clearTimeout(overall);
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all browser checks passed');
