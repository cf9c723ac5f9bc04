// Browser test of the planners' page against a running server, in Debian's
// Chromium driven by playwright-core, at 1440×900 and on a 390×844 phone.
//
//   node web/test/browser.mjs BASE_URL OUTDIR [FIXTURES.json]
//
// Every answer the page shows is checked against a direct API call for the
// same input. FIXTURES.json (written by browser_test.go) lists upload files
// made with GDAL/PROJ tools from known WGS84 points and the area each point
// is in. Screenshots of each step go to OUTDIR. Exits non-zero on any
// failure; the whole run is bounded and every wait has a timeout.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { uploadFlow, searchFlow, reportFlow, wrongCRSFlow } from './flows.mjs';
import { decode as decodeLink } from '../static/js/permalink.js';

const [base, outdir, fixturesPath] = process.argv.slice(2);
if (!base || !outdir) {
  console.error('usage: node browser.mjs BASE_URL OUTDIR [FIXTURES.json]');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });
const origin = new URL(base).origin;
const WAIT = 15000;
const LIMIT_S = 240;
const here = dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const fixtures = fixturesPath ? JSON.parse(readFileSync(fixturesPath, 'utf8')) : null;
const t0 = Date.now();

// Starting Chromium is not part of what is tested and, on a freshly set-up
// machine busy with other test binaries, its first start (profile, font
// caches) has taken more than WAIT: it gets its own, longer bound and one
// retry, and the overall limit counts from when it is up.
const LAUNCH_WAIT = 90000;
let overall;
async function launch() {
  const opts = {
    executablePath: '/usr/bin/chromium',
    timeout: LAUNCH_WAIT,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  };
  let b;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    try {
      b = await chromium.launch(opts);
      console.log(`chromium started in ${((Date.now() - started) / 1000).toFixed(1)} s (attempt ${attempt})`);
      break;
    } catch (e) {
      if (attempt >= 2) throw e;
      console.log(`chromium did not start in ${((Date.now() - started) / 1000).toFixed(1)} s; trying once more: ${String(e.message).split('\n')[0]}`);
    }
  }
  overall = setTimeout(() => {
    console.error(`FAIL: the browser test did not finish within ${LIMIT_S} s of Chromium starting`);
    process.exit(3);
  }, LIMIT_S * 1000);
  return b;
}

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
  return (res.headers.get('Content-Type') || '').includes('json') ? res.json() : res;
}

// --- geometry, independent of the page's modules ---
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
// interiorPoint: the centroid of the largest outer ring when inside, else the
// middle of the widest horizontal chord through it
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
const fmtDist = (m) => (m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(m < 10000 ? 2 : 1) + ' km');
// GCJ-02 forward, ported from internal/gcj02 independently of the page's module
function gcjFrom([lon, lat]) {
  const A = 6378245.0, EE = 0.00669342162296594323, x = lon - 105, y = lat - 35, rad = lat / 180 * Math.PI;
  const dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    + (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3 + (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  const dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    + (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3 + (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  const magic = 1 - EE * Math.sin(rad) ** 2, sq = Math.sqrt(magic);
  return [lon + dLon * 180 / (A / sq * Math.cos(rad) * Math.PI), lat + dLat * 180 / ((A * (1 - EE)) / (magic * sq) * Math.PI)];
}

// tile images of the test basemap (browser_test.go) 404 by design
const tileTest = origin + '/static/tile-test/';
let tileErrors = 0;
const errors = [];
const foreign = [];
function watch(page, label) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.text().startsWith('Failed to load resource') && (m.location().url || '').startsWith(tileTest)) { tileErrors++; return; }
    errors.push(`${label} console: ${m.text()} @ ${JSON.stringify(m.location())}`);
  });
  page.on('pageerror', (e) => errors.push(`${label} page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/^(https?|wss?):$/.test(u.protocol) && u.origin !== origin) foreign.push(r.url());
  });
}

/** helpers bound to one page */
function on(page, tag) {
  const hook = (fn, ...args) => page.evaluate(([f, a]) => window.hetang[f](...a), [fn, args]);
  const shot = (name) => page.screenshot({ path: join(outdir, `${tag}-${name}.png`) });
  const mapBox = () => page.locator('#map').boundingBox();
  async function pixel(p) {
    const q = await hook('containerPoint', p[0], p[1]);
    return { x: Math.round(q.x), y: Math.round(q.y) };
  }
  async function clickAt(px) { const b = await mapBox(); await page.mouse.click(b.x + px.x, b.y + px.y); }
  async function tapAt(px) { const b = await mapBox(); await page.touchscreen.tap(b.x + px.x, b.y + px.y); }
  const popupText = () => page.waitForFunction(() => {
    const c = document.querySelector('.leaflet-popup-content .pop');
    return c && (c.querySelector('dl') || c.querySelector('.err')) ? c.textContent : false;
  }, null, { timeout: WAIT }).then((h) => h.jsonValue(), (e) => 'no popup: ' + e.message);
  async function closePopup() {
    if (await page.locator('.leaflet-popup-close-button').count()) await page.click('.leaflet-popup-close-button');
    await page.waitForSelector('.leaflet-popup', { state: 'detached', timeout: WAIT });
  }
  async function ready(hash = '') {
    if (hash) await page.goto('about:blank'); // a new document, not a same-page hash change
    await page.goto(base + '/' + hash, { waitUntil: 'load', timeout: WAIT });
    await page.waitForSelector('body[data-ready="true"]', { timeout: WAIT });
    await page.waitForTimeout(250);
  }
  async function axe(what) {
    // colours are checked as drawn: let fades (Leaflet's popups) finish first
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null, { timeout: WAIT });
    const res = await page.evaluate(async (src) => {
      if (!window.axe) (0, eval)(src);
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160)) }));
    }, axeSource);
    check(res.length === 0, `axe-core finds no serious or critical violations (${tag}, ${what})`, res);
  }
  async function noLabelOverlap(what) {
    const boxes = await hook('labelBoxes');
    const bad = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) bad.push([a.text, b.text]);
      }
    }
    const areaLabels = boxes.filter((b) => b.layer === 'areas').length;
    check(boxes.length >= 8 && bad.length === 0 && areaLabels === 5, `no two visible labels overlap and all five areas are labelled (${tag}, ${what}: ${boxes.length} labels)`, { bad, areaLabels });
  }
  return { tag, hook, shot, mapBox, pixel, clickAt, tapAt, popupText, closePopup, ready, axe, noLabelOverlap };
}

const browser = await launch();
try {
  // --- what the API says ---
  const catalog = await api('/api/v1/layers');
  const areas = await api('/api/v1/layers/areas');
  const byId = Object.fromEntries(areas.features.map((f) => [f.id, f]));
  const centroids = Object.fromEntries(areas.features.map((f) => [f.id, interiorPoint(f.geometry)]));
  for (const [id, c] of Object.entries(centroids)) check(c && inGeom(c, byId[id].geometry), `the test point of ${id} is inside it`, c);
  const districtBox = bbox((await api('/api/v1/layers/district')).features.map((f) => f.geometry));
  /** what the issue-11 flows (flows.mjs) need */
  const t = { check, api, base, outdir, WAIT, inGeom, areas: areas.features, district: districtBox };
  const files = fixtures ? fixtures.files : [];
  check(files.length === 7, 'the upload fixtures are there (EPSG:4547 GeoJSON, zipped Shapefile and GeoPackage, three GBK CSVs, .xlsx)', fixturesPath);

  // ================= desktop 1440×900 =================
  const desktop = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await desktop.newPage();
  page.setDefaultTimeout(WAIT);
  watch(page, 'desktop');
  const d = on(page, 'desktop');
  await d.ready();
  await d.shot('1-start');
  check((await page.locator('#schematic-note').textContent()).includes('示意性数字化'), 'the schematic-digitisation notice is on the map');
  check(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'the page starts in Chinese');
  await d.noLabelOverlap('start view');
  const tab = await page.evaluate(() => [...document.querySelectorAll('#map [tabindex], #map a, #map button, #map input')].filter((e) => e.tabIndex >= 0 && e.closest('.leaflet-marker-pane, .leaflet-overlay-pane')).length);
  check(tab === 0, 'no map symbol (place dot) is a tab stop', tab);
  await d.axe('中文');

  // the downloads and services listed are webconfig's links, and each answers
  const wc = await api('/api/v1/webconfig');
  const listed = await page.$$eval('#links li', (lis) => lis.map((li) => li.dataset.link));
  check(listed.join() === wc.links.map((l) => l.id).join(), 'the page lists the downloads and services of /api/v1/webconfig', { listed, want: wc.links.map((l) => l.id) });
  for (const l of wc.links.filter((x) => x.kind === 'download')) {
    const res = await fetch(base + l.href, { method: 'HEAD', signal: AbortSignal.timeout(WAIT) });
    check(res.ok && (res.headers.get('Content-Type') || '').startsWith(l.type), `the ${l.id} download answers ${l.type}`, { status: res.status, type: res.headers.get('Content-Type') });
  }

  // every layer on, through the layer tree
  // (the tree is drawn again after each change: find the next box each time)
  await page.evaluate(() => { for (let n = 0, i; n < 50 && (i = document.querySelector('#layer-tree input[type=checkbox]:not(:checked)')); n++) i.click(); });
  const counts = await d.hook('layerCounts');
  for (const ly of catalog.layers) {
    const c = counts[ly.id];
    check(c && c.features === ly.feature_count && c.drawn === ly.feature_count, `layer ${ly.id} draws ${ly.feature_count} features`, c);
  }
  const groups = await page.$$eval('#layer-tree legend', (ls) => ls.map((l) => l.textContent));
  check(['一轴两城一链五片区', '五纵七横', '一廊五基地'].every((g) => groups.includes(g)), 'the layer tree is grouped by the plan\'s slogans', groups);
  await d.shot('2-all-layers');
  for (const id of ['services', 'agriculture']) await page.uncheck(`#layer-tree li[data-layer="${id}"] > input`);
  // opacity: the group's panes follow the slider
  await page.locator('#op-main').fill('0.4');
  const op = await page.evaluate(() => document.querySelector('.leaflet-pane[class*="p-areas"], .leaflet-p-areas-pane')?.style.opacity);
  check(op === '0.4', 'the opacity slider sets the group\'s opacity', op);
  await page.locator('#op-main').fill('1');

  // a click inside area-jinshan
  const jinshan = centroids['area-jinshan'];
  await d.clickAt(await d.pixel(jinshan));
  let pop = await d.popupText();
  check(pop.includes('金山新城片区') && pop.includes('EPSG:4547'), 'a click inside area-jinshan shows 金山新城片区 with EPSG:4547 coordinates', pop);
  await d.shot('3-click');
  check(/pt=113\.\d+,27\.\d+/.test(await page.evaluate(() => location.hash)), 'the clicked point is in the permalink', await page.evaluate(() => location.hash));
  // the popup may still be panning the map into view: take the link once the
  // hash has stopped changing, and compare with the view the link names
  let link = await page.evaluate(() => location.href);
  for (const until = Date.now() + WAIT; Date.now() < until;) {
    await page.waitForTimeout(400);
    const now = await page.evaluate(() => location.href);
    if (now === link) break;
    link = now;
  }
  const named = decodeLink(new URL(link).hash).view;
  const linkView = named ? { zoom: named.zoom, center: [named.lon, named.lat] } : null;
  await d.closePopup();

  // the click race: the first answer is slow; the second click's answer wins
  const cbdPt = centroids['area-cbd'];
  let delayed = false;
  await page.route((u) => u.pathname === '/api/v1/locate', async (route) => {
    if (!delayed) { delayed = true; await new Promise((r) => setTimeout(r, 900)); }
    await route.continue().catch(() => {});
  });
  const slow = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/locate', { timeout: WAIT }).catch(() => null);
  await d.clickAt(await d.pixel(jinshan));
  await page.waitForTimeout(100);
  await d.clickAt(await d.pixel(cbdPt));
  await slow;
  await page.waitForTimeout(1200); // the slow first answer has arrived by now
  pop = await d.popupText();
  const qp = await d.hook('queryPoint');
  check(pop.includes('中央商务区') && !pop.includes('金山新城片区') && inGeom(qp || [0, 0], byId['area-cbd'].geometry),
    'with the first answer delayed, the second click\'s answer (中央商务区) stays on the map and nothing of the first is drawn', { pop: pop.slice(0, 80), qp });
  await page.unroute((u) => u.pathname === '/api/v1/locate');
  await d.closePopup();

  // Enter on the map asks about its centre
  await page.focus('#map');
  const centre = await d.hook('center');
  const [creq] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/locate'), page.keyboard.press('Enter')]);
  const cq = new URL(creq.url()).searchParams;
  check(near([+cq.get('lon'), +cq.get('lat')], centre, 1e-6), 'Enter on the map asks /api/v1/locate about the map centre', { sent: [cq.get('lon'), cq.get('lat')], centre });
  const centreAnswer = await api('/api/v1/locate?lon=' + cq.get('lon') + '&lat=' + cq.get('lat'));
  pop = await d.popupText();
  check(centreAnswer.area && pop.includes(centreAnswer.area.name_zh), 'the centre\'s popup names the area the API gives', { want: centreAnswer.area, pop: pop.slice(0, 60) });
  const focusVisible = await page.evaluate(() => { const m = document.getElementById('map'); return getComputedStyle(m).outlineStyle !== 'none' && parseFloat(getComputedStyle(m).outlineWidth) >= 2; });
  check(focusVisible, 'the focused map shows a visible focus outline');
  await d.closePopup();

  // draw a parcel inside area-cbd, finish on the map's own bar
  const cbd = byId['area-cbd'].geometry;
  await d.ready('#map=15/' + cbdPt[1].toFixed(5) + '/' + cbdPt[0].toFixed(5));
  const c0 = await d.pixel(cbdPt);
  const pxs = [[-30, -25], [30, -25], [35, 28], [-28, 30]].map(([dx, dy]) => ({ x: c0.x + dx, y: c0.y + dy }));
  const ring = [];
  for (const p of pxs) ring.push(await d.hook('latLngAt', p.x, p.y));
  ring.push(ring[0]);
  check(ring.every((p) => inGeom(p, cbd)), 'the test parcel\'s corners are inside area-cbd');
  await page.click('#tool-draw');
  check(await page.locator('#tool-bar').isVisible() && (await page.locator('#tool-bar').textContent()).includes('完成'), 'drawing shows its instructions and Finish on the map');
  for (const p of pxs) { await d.clickAt(p); await page.waitForTimeout(320); }
  await d.shot('4-drawing');
  const [dreq] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/locate'),
    page.click('#tool-bar .tool-finish'),
  ]);
  const sent = JSON.parse(dreq.postData()).geometry.coordinates[0];
  check(sent.length === ring.length && sent.every((p, i) => near(p, ring[i], 1e-9)), 'the page sends exactly the clicked corners, in WGS84 (nothing snaps)', { sent, ring });
  const truth = await api('/api/v1/locate', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }) });
  pop = await d.popupText();
  check(truth.primary_area.id === 'area-cbd' && pop.includes('中央商务区 ' + (truth.primary_area.share * 100).toFixed(1) + '%'),
    'the drawn parcel\'s answer opens on the map: 中央商务区 with the share POST /api/v1/locate gives', { pop: pop.slice(0, 120), want: truth.primary_area });
  const row = await page.$eval('#parcel-table tbody tr:last-child', (tr) => ({ id: tr.querySelector('td.primary-area')?.dataset.areaId, text: tr.textContent }));
  check(row.id === 'area-cbd' && row.text.includes('区内'), 'the results table has the drawn parcel in area-cbd, 区内', row);
  check(/pg=113/.test(await page.evaluate(() => location.hash)), 'the drawn parcel is in the permalink');
  const parcelLink = await page.evaluate(() => location.href);
  await d.shot('5-drawn');
  await reportFlow(t, page, d, 'desktop', 'drawn parcel', { name: '手绘地块 1' });
  await d.closePopup();

  // measure: two points, the total on the map's bar is GET /api/v1/distance
  await page.click('#tool-measure');
  await page.waitForTimeout(400); // a popup's pan has ended
  const c1 = await d.pixel(cbdPt); // the view may have moved to keep the parcel in view
  const ma = { x: c1.x - 150, y: c1.y - 30 }, mb = { x: c1.x + 130, y: c1.y - 140 };
  const wa = await d.hook('latLngAt', ma.x, ma.y), wb = await d.hook('latLngAt', mb.x, mb.y);
  await d.clickAt(ma);
  await page.waitForTimeout(320);
  const [mreq] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/distance'), d.clickAt(mb)]);
  const mq = new URL(mreq.url()).searchParams;
  check(near(mq.get('from').split(',').map(Number), wa, 2e-5) && near(mq.get('to').split(',').map(Number), wb, 2e-5), 'the measure tool sends the clicked points, within a pixel (nothing snaps)', { q: mq.toString(), wa, wb, ma, mb });
  const dist = await api('/api/v1/distance?' + new URLSearchParams({ from: mq.get('from'), to: mq.get('to') }));
  const total = await page.waitForFunction(() => { const t = document.querySelector('#measure-total')?.textContent || ''; return /\(\d/.test(t) ? t : false; }, null, { timeout: WAIT }).then((h) => h.jsonValue(), () => '');
  check(total.includes('(' + dist.distance_m.toFixed(1) + ' m)') && total.includes(fmtDist(dist.distance_m)), 'the measured distance on the map is GET /api/v1/distance', { total, want: dist.distance_m });
  await d.shot('6-measure');
  await page.click('#tool-bar .tool-cancel');

  // the GCJ-02 basemap: every layer again in GCJ-02, the district moves by the offset
  const districtWGS = await d.hook('bounds', 'district');
  const district = await api('/api/v1/layers/district');
  const layerReqs = [];
  page.on('request', (r) => { const u = new URL(r.url()); const m = u.pathname.match(/^\/api\/v1\/layers\/([^/]+)$/); if (m) layerReqs.push({ id: m[1], crs: u.searchParams.get('crs') || 'CRS84' }); });
  await page.check('#basemaps input[value="gcj-test"]');
  await page.waitForFunction(() => window.hetang.layersCRS() === 'GCJ02', null, { timeout: WAIT });
  const missing = catalog.layers.map((l) => l.id).filter((id) => !layerReqs.some((r) => r.id === id && r.crs === 'GCJ02'));
  check(missing.length === 0, 'the GCJ-02 basemap re-fetches every layer with crs=GCJ02', missing);
  check(near(await d.hook('bounds', 'district'), bbox(district.features.map((f) => f.geometry), gcjFrom), 1e-6), 'on the GCJ-02 basemap the district sits at its GCJ-02 bounds');
  check(/base=gcj-test/.test(await page.evaluate(() => location.hash)), 'the basemap is in the permalink');
  await page.check('#basemaps input[value="none"]');
  await page.waitForFunction(() => window.hetang.layersCRS() === 'CRS84', null, { timeout: WAIT });
  check(near(await d.hook('bounds', 'district'), districtWGS, 1e-9), 'back without a basemap the district is at its WGS84 bounds');

  // English (at the whole district, through the home button)
  await page.click('#home-btn');
  await page.waitForTimeout(400);
  await page.click('#lang-toggle');
  await page.waitForTimeout(200);
  const en = await page.evaluate(() => ({ lang: document.documentElement.lang, layers: document.querySelector('#sec-layers summary').textContent,
    zoom: document.querySelector('.leaflet-control-zoom-in').title, home: document.querySelector('#home-btn').title,
    labels: window.hetang.labelBoxes().map((b) => b.text), hash: location.hash }));
  check(en.lang === 'en' && en.layers === 'Layers' && en.zoom === 'Zoom in' && en.home === 'Whole district' && en.labels.includes('Central Business District') && !en.labels.some((t) => /[\u4e00-\u9fff]/.test(t)) && /lang=en/.test(en.hash),
    'the English switch translates the UI, Leaflet\'s controls and the labels, and goes into the permalink', en);
  const drawnName = await page.evaluate(() => [document.querySelector('#parcel-table tbody tr th')?.textContent, window.hetang.parcels()[0]?.name]);
  check(drawnName.every((n) => n === 'Drawn parcel 1'), 'a drawn parcel is called "Drawn parcel 1" in English', drawnName);
  const about = await page.textContent('#data-version');
  check(about.includes('Data version ' + catalog.data_version) && /layout version \d+/.test(about), 'About names the data and layout versions', about);
  await d.shot('7-english');
  await d.axe('English');
  await page.click('#lang-toggle');

  // the browser's print of the map: one clean page
  const pdfPath = join(outdir, 'desktop-print.pdf');
  await page.pdf({ path: pdfPath, format: 'A4', printBackground: true });
  const info = execFileSync('pdfinfo', [pdfPath]).toString();
  const pages = +(info.match(/Pages:\s+(\d+)/) || [])[1];
  const printed = execFileSync('pdftotext', [pdfPath, '-']).toString();
  check(pages === 1 && !printed.includes('搜索') && !printed.includes('Leaflet') && printed.includes('示意性数字化'), 'printing the map gives one page without controls, with the notice', { pages, text: printed.slice(0, 200) });

  // ----- search, the site report of a point, uploads (issue 11) -----
  await d.ready();
  await searchFlow(t, page, d, '株洲站', 'desktop', (r) => r && r.name_zh === '株洲火车站' && r.match === 'alias');
  await d.closePopup();
  await searchFlow(t, page, d, '荷塘区政府', 'desktop', (r) => r && r.name_zh === '荷塘区人民政府');
  await d.closePopup();
  await searchFlow(t, page, d, '金山', 'desktop', (r) => r && r.kind === 'area' && r.name_zh === '金山新城片区', { shot: '8-search-list' });
  await d.axe('search list and popup');
  await d.closePopup();
  await searchFlow(t, page, d, 'jsxc', 'desktop', (r) => r && r.kind === 'area' && r.name_zh === '金山新城片区');
  await d.closePopup();
  await searchFlow(t, page, d, '27°51\'36"N 113°10\'12"E', 'desktop', (r) => r && r.kind === 'coordinate' && Math.abs(r.center[0] - 113.17) < 1e-9 && Math.abs(r.center[1] - 27.86) < 1e-9);
  await d.shot('9-search-dms');
  await reportFlow(t, page, d, 'desktop', 'point', { pdf: true });
  await d.closePopup();
  for (const fx of files) {
    await uploadFlow(t, page, d, fx, 'desktop', { lang: ['csv-gbk-lonlat', 'xlsx-survey'].includes(fx.id) ? 'en' : 'zh', changeCRS: fx.id === 'csv-gbk-gk', axe: fx.id === 'csv-gbk-lonlat', csv: fx.id === 'csv-gbk-lonlat' });
  }
  const gk = files.find((f) => f.id === 'csv-gbk-gk');
  if (gk) await wrongCRSFlow(t, page, d, gk, 'desktop');
  if (fixtures) { // an uploaded parcel across areas: its row, its popup, its report and PDF
    await page.evaluate(() => window.hetang.lang() === 'zh' || document.getElementById('lang-toggle').click());
    await page.setInputFiles('#parcel-file', fixtures.straddle);
    await page.waitForSelector('#upload-run:not([disabled])', { timeout: WAIT });
    await page.click('#upload-run');
    await page.waitForSelector('#parcel-table tbody tr', { timeout: WAIT });
    await page.click('#parcel-table tbody tr');
    const sp = await d.popupText();
    const rows = await d.hook('parcels');
    check(rows.length === 1 && rows[0].areas && rows[0].areas.length >= 2 && rows[0].areas.every((x) => sp.includes((x.share * 100).toFixed(1) + '%')), 'the uploaded band across areas has two or more area shares, shown in its popup', { rows, sp: sp.slice(0, 100) });
    await reportFlow(t, page, d, 'desktop', 'uploaded parcel', { pdf: true, name: '跨片区地块' });
    await page.click('#lang-toggle');
    await page.click('.leaflet-popup-content .pop-actions button');
    await page.waitForSelector('#report:not([hidden]) .report-table', { timeout: WAIT });
    const enText = await page.textContent('#report-page');
    check(enText.includes('Site check report') && enText.includes('The parcel: 跨片区地块') && enText.includes('(our translation)'), 'the report follows the English switch', enText.slice(0, 200));
    await d.shot('report-uploaded-parcel-en');
    await page.keyboard.press('Escape');
    await page.click('#lang-toggle');
  }
  await desktop.close();

  // ================= the permalink round trip =================
  const again = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const pa = await again.newPage();
  watch(pa, 'permalink');
  const a = on(pa, 'permalink');
  await pa.goto(link, { waitUntil: 'load', timeout: WAIT });
  await pa.waitForSelector('body[data-ready="true"]', { timeout: WAIT });
  pop = await a.popupText();
  const view = { zoom: await a.hook('zoom'), center: await a.hook('center') };
  check(pop.includes('金山新城片区') && linkView && Math.abs(view.zoom - linkView.zoom) < 0.006 && near(view.center, linkView.center, 1e-5),
    'opening the permalink restores the view and the clicked point\'s answer', { view, linkView, pop: pop.slice(0, 40) });
  await a.shot('1-restored');
  await pa.goto('about:blank');
  await pa.goto(parcelLink, { waitUntil: 'load', timeout: WAIT });
  await pa.waitForSelector('body[data-ready="true"]', { timeout: WAIT });
  pop = await a.popupText();
  const ps = await a.hook('parcels');
  check(ps.length === 1 && ps[0].primary_area && ps[0].primary_area.id === 'area-cbd' && pop.includes('中央商务区'), 'opening a parcel permalink locates the same parcel', { ps, pop: pop.slice(0, 60) });
  await a.shot('2-parcel');
  await again.close();

  // ================= phone 390×844 =================
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, acceptDownloads: true });
  const pp = await phone.newPage();
  pp.setDefaultTimeout(WAIT);
  watch(pp, 'phone');
  const p = on(pp, 'phone');
  await p.ready();
  await p.shot('1-start');
  const o = await pp.evaluate(() => ({ doc: document.documentElement.scrollWidth, vw: window.innerWidth }));
  check(o.doc <= o.vw, 'no horizontal overflow at 390×844', o);
  await p.noLabelOverlap('start view');
  for (const [id, c] of Object.entries(centroids)) {
    await p.tapAt(await p.pixel(c));
    const t = await p.popupText();
    const want = byId[id].properties.name_zh;
    const got = await pp.evaluate(() => document.querySelector('.leaflet-popup-content .pop')?.dataset.areaId);
    check(got === id && t.includes(want), `a tap at the centre of ${id} answers ${want} (area first)`, { got, text: t.slice(0, 80) });
    await p.closePopup();
  }
  await p.shot('2-tap');
  await pp.click('#panel-toggle');
  await pp.click('#tool-draw');
  const barBox = await pp.locator('#tool-bar').boundingBox();
  check(barBox && barBox.y >= 0 && barBox.y + barBox.height <= 844 && await pp.locator('#tool-bar .tool-finish').isVisible() && await pp.locator('#tool-bar .tool-cancel').isVisible(),
    'on a phone the drawing instructions, Finish and Cancel are on the map', barBox);
  const pc = await p.pixel(centroids['area-hetang-moonlight']);
  for (const [dx, dy] of [[-25, -25], [25, -25], [0, 30]]) { await p.tapAt({ x: pc.x + dx, y: pc.y + dy }); await pp.waitForTimeout(320); }
  await p.shot('3-drawing');
  await pp.click('#tool-bar .tool-finish');
  pop = await p.popupText();
  console.log('     phone parcels', JSON.stringify(await p.hook('parcels')), JSON.stringify(await p.hook('selected')));
  check(pop.includes('荷塘月色片区'), 'a parcel drawn on a phone shows its answer on the map', pop.slice(0, 80));
  await p.shot('4-drawn');
  await p.axe('中文');
  await reportFlow(t, pp, p, 'phone', 'drawn parcel', { name: '手绘地块 1' });
  await p.closePopup();
  await pp.click('#parcels-clear');
  for (const fx of files) {
    await uploadFlow(t, pp, p, fx, 'phone', { lang: ['xlsx-survey', 'shapezip-4547'].includes(fx.id) ? 'en' : 'zh', axe: fx.id === 'xlsx-survey' });
  }
  await pp.evaluate(() => window.hetang.lang() === 'zh' || document.getElementById('lang-toggle').click());
  await searchFlow(t, pp, p, '株洲站', 'phone', (r) => r && r.name_zh === '株洲火车站', { shot: '5-search-list' });
  await p.closePopup();
  await searchFlow(t, pp, p, '27°51\'36"N 113°10\'12"E', 'phone', (r) => r && r.kind === 'coordinate');
  await p.shot('6-search-dms');
  await p.closePopup();
  await pp.click('#home-btn');
  await pp.waitForFunction(([lon, lat]) => {
    const m = document.getElementById('map'), q = window.hetang.containerPoint(lon, lat);
    return !m.querySelector('.leaflet-zoom-anim') && q.x > 0 && q.y > 0 && q.x < m.clientWidth && q.y < m.clientHeight;
  }, centroids['area-jinshan'], { timeout: WAIT });
  await p.tapAt(await p.pixel(centroids['area-jinshan']));
  check((await p.popupText()).includes('金山新城片区'), 'a tap in area-jinshan answers it, with the site report button');
  await reportFlow(t, pp, p, 'phone', 'tapped point', { pdf: true });
  const ov = await pp.evaluate(() => ({ doc: document.documentElement.scrollWidth, vw: window.innerWidth }));
  check(ov.doc <= ov.vw, 'no horizontal overflow at 390×844 after the flows', ov);
  await phone.close();
} catch (e) {
  check(false, 'the browser run completed', e.stack || String(e));
} finally {
  await browser.close().catch(() => {});
}

check(errors.length === 0, 'no console errors or page errors', errors);
check(foreign.length === 0, 'no requests to other origins', foreign);
console.log(`screenshots in ${outdir}; ${tileErrors} failed test-tile load(s) not counted as console errors; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
clearTimeout(overall);
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all browser checks passed');
