// Browser test of the planners' page against a running server, in Debian's
// Chromium driven by playwright-core.
//
//   node web/test/browser.mjs http://127.0.0.1:PORT OUTDIR
//
// Asserts: no console errors or page errors; no request leaves the page's
// origin; every layer draws as many features as the catalog lists; a click
// inside area-jinshan shows 金山新城片区 in the popup; a parcel file picked on
// the page yields a table whose primary areas match POST /api/v1/locate/batch
// for the same file, and a CSV download with a BOM; a phone-sized viewport has
// no horizontal overflow. Writes screenshots to OUTDIR. Exits non-zero on any
// failure. The whole run is bounded (55 s) and every wait has a timeout.
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
  console.error('FAIL: the browser test did not finish within 55 s');
  process.exit(3);
}, 55000);

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

function watch(page, label, errors, foreign) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${label} console: ${m.text()} @ ${JSON.stringify(m.location())}`); });
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
console.log(`screenshots in ${outdir}`);
clearTimeout(overall);
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all browser checks passed');
