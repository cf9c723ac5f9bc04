// The planners' flows of issue 11 for browser.mjs: uploads (inspect, the CRS
// check, the batch), search, and the site report. Each flow drives one page
// and checks what it shows against a direct API call for the same input and
// against independent truth (the known points of the upload fixtures, point
// in polygon on the areas layer, poppler's pdfinfo/pdftotext on PDFs).
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';

/**
 * @typedef {object} T  what browser.mjs lends the flows
 * @property {(cond: any, what: string, detail?: any) => void} check
 * @property {(path: string, opts?: any) => Promise<any>} api
 * @property {string} base
 * @property {string} outdir
 * @property {number} WAIT
 * @property {(p: number[], g: any) => boolean} inGeom
 * @property {any[]} areas  the areas layer's features
 * @property {number[]} district  the district's WGS84 bbox
 */

const MEDIA = { geojson: 'application/geo+json', csv: 'text/csv', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', zip: 'application/zip' };
const ext = (p) => p.slice(p.lastIndexOf('.') + 1).toLowerCase();
const pct = (s) => (s * 100).toFixed(1) + '%';
const fmtEN = (p) => 'E ' + p[0].toFixed(1) + '  N ' + p[1].toFixed(1);
const squash = (s) => s.replace(/\s+/g, '');

/** upload posts a fixture file to inspect or batch, as the page does. */
async function upload(t, endpoint, path, params, accept) {
  const q = new URLSearchParams({ filename: basename(path), ...params });
  const res = await fetch(t.base + '/api/v1/locate/' + endpoint + '?' + q, {
    method: 'POST', body: readFileSync(path), signal: AbortSignal.timeout(t.WAIT),
    headers: { 'Content-Type': MEDIA[ext(path)] || 'application/octet-stream', Accept: accept || 'application/json' },
  });
  if (!res.ok) throw new Error(`${endpoint} ${basename(path)}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** areaAt is the id of the area whose polygon holds p (independent of the server's locate), or null. */
const areaAt = (t, p) => (t.areas.find((f) => t.inGeom(p, f.geometry)) || { id: null }).id;

/** the view stays in the district's neighbourhood: its centre within the district's box padded by 0.3° */
async function viewSane(t, h, what) {
  const c = await h.hook('center');
  const [w, s, e, n] = t.district;
  t.check(c[0] > w - 0.3 && c[0] < e + 0.3 && c[1] > s - 0.3 && c[1] < n + 0.3, `the view stays at the district (${what})`, { centre: c, district: t.district });
}

async function setLang(page, lang) {
  if (await page.evaluate(() => window.hetang.lang()) !== lang) {
    await page.click('#lang-toggle');
    await page.waitForFunction((l) => window.hetang.lang() === l, lang, { timeout: 5000 });
  }
}

async function openPanel(page) {
  if (await page.getAttribute('#panel-toggle', 'aria-expanded') !== 'true') await page.click('#panel-toggle');
  await page.locator('#sec-parcels').evaluate((d) => { d.open = true; });
}

/** checkFacts waits for the inspect panel and compares it with the inspect API's answer for the same file and CRS. */
async function checkFacts(t, page, fx, tag, crs, lang) {
  await page.waitForSelector('#upload-check:not([hidden]) #upload-run:not([disabled])', { timeout: t.WAIT });
  const want = await upload(t, 'inspect', fx.path, crs ? { crs } : {});
  const got = await page.evaluate(() => ({
    crs: /** @type {HTMLSelectElement} */ (document.getElementById('upload-crs')).value,
    options: [...document.querySelectorAll('#upload-crs option')].map((o) => o.value),
    format: document.getElementById('upload-format').textContent,
    reason: document.getElementById('upload-crs-reason').textContent,
    bbox: document.getElementById('upload-bbox').textContent,
    geometry: document.getElementById('upload-geometry').textContent,
    problems: document.getElementById('upload-problems')?.textContent || '',
    sample: document.getElementById('upload-sample')?.textContent || '',
  }));
  const reason = lang === 'en' ? want.crs.reason_en : want.crs.reason_zh;
  const bboxText = want.bbox_wgs84 ? want.bbox_wgs84.map((v) => v.toFixed(5)) : [];
  const geomOK = want.geometry.kind === 'xy' ? got.geometry.includes(want.geometry.x) && got.geometry.includes(want.geometry.y) : want.geometry.kind === 'geometry';
  t.check(got.crs === want.crs.code && got.reason.includes(reason) && got.format.includes(want.encoding === 'binary' ? '' : want.encoding.replace('GB18030', 'GB18030 (GBK)'))
    && bboxText.every((v) => got.bbox.includes(v)) && geomOK,
  `${tag}: the page shows what inspect says of ${basename(fx.path)}${crs ? ' read as ' + crs : ''} (format, encoding, columns, CRS ${want.crs.code} with its reason, extent)`, { got, want: { crs: want.crs, bbox: want.bbox_wgs84, geometry: want.geometry } });
  const allCRS = ['CRS84', 'EPSG:4490', 'EPSG:4547', 'EPSG:4526', 'EPSG:3857', 'GCJ02', 'BD09'];
  t.check(allCRS.every((c) => got.options.includes(c)), `${tag}: the CRS selector offers WGS84, CGCS2000, EPSG:4547, EPSG:4526, 3857, GCJ-02 and BD-09`, got.options);
  for (const p of want.problems) {
    const r = lang === 'en' ? `Row ${p.row}: ${p.reason_en}` : `第 ${p.row} 行：${p.reason_zh}`;
    t.check(got.problems.includes(r), `${tag}: the bad row ${p.row} is listed with its reason (${lang})`, { want: r, got: got.problems });
  }
  if (want.sample.length && want.sample[0].wgs84_lon != null) {
    const w = want.sample[0].wgs84_lon.toFixed(6);
    t.check(got.sample.includes(w), `${tag}: the sample shows the first record's WGS84 longitude ${w}`, got.sample.slice(0, 200));
  }
  return want;
}

/**
 * layerChoice: a GeoPackage of several layers. The check offers them all
 * (as inspect lists them); choosing the second asks inspect again with
 * layer= and shows its records; the first is then chosen back.
 */
async function layerChoice(t, page, h, fx, name, lang) {
  const options = await page.$$eval('#upload-layer option', (os) => os.map((o) => o.value));
  t.check(options.join(',') === fx.layers.join(','), `${name}: the check offers the GeoPackage's layers ${fx.layers.join(', ')}`, options);
  const other = fx.layers.find((l) => l !== fx.layer);
  const [req] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/locate/inspect', { timeout: t.WAIT }),
    page.selectOption('#upload-layer', other),
  ]);
  t.check(new URL(req.url()).searchParams.get('layer') === other, `${name}: choosing layer ${other} asks inspect again with layer=`, req.url());
  await page.waitForFunction((l) => document.getElementById('upload-layer')?.value === l && !document.getElementById('upload-run')?.disabled, other, { timeout: t.WAIT });
  const want = await upload(t, 'inspect', fx.path, { layer: other });
  const rows = await page.textContent('#upload-rows');
  t.check(want.layer === other && rows === String(want.rows) && want.rows === 2, `${name}: layer ${other} shows its own ${want.rows} records, as inspect says`, { rows, want: want.rows });
  await h.shot(`upload-${fx.id}-${lang}-1b-layer`);
  await page.selectOption('#upload-layer', fx.layer);
  await page.waitForFunction((l) => document.getElementById('upload-layer')?.value === l && !document.getElementById('upload-run')?.disabled && document.getElementById('upload-rows')?.textContent !== '2', fx.layer, { timeout: t.WAIT });
}

/**
 * columnChoice: a table with two candidate coordinate column sets. The
 * check offers both; choosing the other asks inspect again with x=&y= and
 * shows the other set's CRS; the first is then chosen back.
 */
async function columnChoice(t, page, h, fx, name, lang) {
  const options = await page.$$eval('#upload-columns-choice option', (os) => os.map((o) => o.textContent));
  t.check(options.length === 2 && options[0].startsWith(fx.x) && options[1].startsWith(fx.other_x), `${name}: the check offers both coordinate column sets`, options);
  const [req] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/locate/inspect', { timeout: t.WAIT }),
    page.selectOption('#upload-columns-choice', '1'),
  ]);
  t.check(new URL(req.url()).searchParams.get('x') === fx.other_x, `${name}: choosing ${fx.other_x} asks inspect again with x=${fx.other_x}`, req.url());
  await page.waitForFunction((c) => document.getElementById('upload-crs')?.value === c && !document.getElementById('upload-run')?.disabled, fx.other_crs, { timeout: t.WAIT });
  await h.shot(`upload-${fx.id}-${lang}-1c-columns`);
  await page.selectOption('#upload-columns-choice', '0');
  await page.waitForFunction((c) => document.getElementById('upload-crs')?.value === c && !document.getElementById('upload-run')?.disabled, fx.crs, { timeout: t.WAIT });
}

/**
 * uploadFlow uploads one fixture file through the page's file input, checks
 * the inspect panel, runs the batch and compares the rows with the batch API
 * and with the known points.
 */
export async function uploadFlow(t, page, h, fx, tag, { lang = 'zh', changeCRS = false, axe = false, csv = false } = {}) {
  await setLang(page, lang);
  await openPanel(page);
  const name = `${tag}: ${fx.id}`;
  await page.setInputFiles('#parcel-file', fx.path);
  const want = await checkFacts(t, page, fx, name, null, lang);
  t.check(want.crs.code === fx.crs && want.crs.source === fx.source && want.format === fx.format && want.encoding === fx.encoding && !!want.crs.swap_xy === fx.swap_xy,
    `${name}: the server reads it as ${fx.format}/${fx.encoding} in ${fx.crs} (${fx.source}${fx.swap_xy ? ', X/Y swapped' : ''})`, { crs: want.crs, format: want.format, encoding: want.encoding });
  await h.shot(`upload-${fx.id}-${lang}-1-check`);
  if (axe) await h.axe('the upload check of ' + fx.id);
  if (fx.layers) await layerChoice(t, page, h, fx, name, lang);
  if (fx.other_x) await columnChoice(t, page, h, fx, name, lang);
  if (changeCRS) {
    // the planner says "zone 38 with prefix": the page asks inspect again with crs=, and shows the new reading
    const [req] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/locate/inspect', { timeout: t.WAIT }),
      page.selectOption('#upload-crs', 'EPSG:4526'),
    ]);
    t.check(new URL(req.url()).searchParams.get('crs') === 'EPSG:4526', `${name}: changing the CRS asks inspect again with crs=EPSG:4526`, req.url());
    await page.waitForFunction(() => document.getElementById('upload-crs')?.value === 'EPSG:4526' && !document.getElementById('upload-run')?.disabled && document.getElementById('upload-crs-reason')?.textContent.includes('4526'), null, { timeout: t.WAIT });
    const w2 = await checkFacts(t, page, fx, name, 'EPSG:4526', lang);
    t.check(w2.bbox_wgs84 === null && w2.problems_total === fx.points.length, `${name}: read as EPSG:4526 no record converts, and the page says so`, { bbox: w2.bbox_wgs84, problems: w2.problems_total });
    await h.shot(`upload-${fx.id}-${lang}-2-crs-4526`);
    await page.selectOption('#upload-crs', fx.crs);
    await page.waitForFunction((c) => document.getElementById('upload-crs')?.value === c && !document.getElementById('upload-run')?.disabled && !document.getElementById('upload-bbox')?.classList.contains('warn'), fx.crs, { timeout: t.WAIT });
    await checkFacts(t, page, fx, name, fx.crs, lang);
  }
  const crs = await page.inputValue('#upload-crs');
  const [breq] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/locate/batch', { timeout: t.WAIT }),
    page.click('#upload-run'),
  ]);
  t.check(new URL(breq.url()).searchParams.get('crs') === crs && crs === fx.crs, `${name}: the batch runs with the confirmed CRS ${fx.crs}`, breq.url());
  if (fx.layer) t.check(new URL(breq.url()).searchParams.get('layer') === fx.layer, `${name}: the batch names the layer the check read (${fx.layer})`, breq.url());
  if (fx.x) t.check(new URL(breq.url()).searchParams.get('x') === fx.x && new URL(breq.url()).searchParams.get('y') === fx.y, `${name}: the batch names the coordinate columns the check read (${fx.x}/${fx.y})`, breq.url());
  await page.waitForFunction((n) => window.hetang.parcels().length === n && document.querySelectorAll('#parcel-table tbody tr').length === n, fx.points.length, { timeout: t.WAIT });
  const truth = await upload(t, 'batch', fx.path, { crs, ...(fx.layer ? { layer: fx.layer } : {}), ...(fx.x ? { x: fx.x, y: fx.y } : {}) }, 'application/geo+json');
  const rows = await h.hook('parcels');
  const dom = await page.$$eval('#parcel-table tbody tr', (trs) => trs.map((tr) => ({
    flag: tr.querySelector('td.flag')?.textContent, area: tr.querySelector('td.primary-area')?.dataset.areaId || null, text: tr.textContent })));
  t.check(rows.length === truth.features.length, `${name}: the page has one row per record (${truth.features.length})`, rows.length);
  const bad = [];
  truth.features.forEach((f, i) => {
    const p = f.properties.answer, r = rows[i], d = dom[i], known = fx.points[i];
    const apiArea = p.area_id || null;
    const full = f.properties.locate;
    const apiShares = full && full.areas ? full.areas.map((x) => x.id + ':' + x.share.toFixed(6)).join(';') : null;
    const pageShares = r && r.areas ? r.areas.map((x) => x.id + ':' + x.share.toFixed(6)).join(';') : null;
    const pageArea = r && r.primary_area ? r.primary_area.id : null;
    if (!known) { // a row that cannot be read: the same error on the page as from the API, in the page's language
      const err = lang === 'en' ? p.error_en : p.error_zh;
      if (!(p.error_en && r.error && r.error.en === p.error_en && d.text.includes(err))) bad.push({ row: i + 1, want: err, got: r && r.error });
      return;
    }
    const expect = areaAt(t, known.wgs84);
    const flag = lang === 'en' ? (expect ? 'inside' : 'outside') : (expect ? '区内' : '区外');
    if (pageArea !== apiArea || apiArea !== expect || pageShares !== apiShares || d.area !== expect || d.flag !== flag || (fx.parcels && apiShares && !d.text.includes(pct(r.areas[0].share))))
      bad.push({ row: i + 1, known: known.name, expect, api: apiArea, page: pageArea, dom: d, apiShares, pageShares });
  });
  t.check(bad.length === 0, `${name}: every row lands in the area holding its known point, as the batch API says, with the same shares; 区内/区外 flagged; the bad row carries the API's reason`, bad);
  const input = rows.find((r) => !r.error);
  t.check(input && Object.keys(input.input).length > 0 && !['answer', 'locate', 'locate_error', 'area_id'].some((k) => k in input.input), `${name}: the rows keep the input's own columns and nothing of the answer`, input && input.input);
  await viewSane(t, h, name);
  await h.shot(`upload-${fx.id}-${lang}-3-rows`);
  if (csv) { // the page's CSV: every input column, every share, the coordinates, both error languages
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: t.WAIT }), page.click('#parcels-csv')]);
    const text = readFileSync(await dl.path(), 'utf8').replace(/^\uFEFF/, '');
    const lines = text.trim().split(/\r\n/);
    const head = lines[0].split(',');
    const cols = Object.keys(rows.find((r) => !r.error).input);
    const firstOK = truth.features.findIndex((f) => !f.properties.answer.error_en);
    const want = truth.features[firstOK].properties.answer;
    const line = lines[firstOK + 1];
    t.check(lines.length === rows.length + 1 && cols.every((c) => head.includes(c)) && ['area_shares', 'lon_wgs84', 'lat_wgs84', '区内区外', 'error_zh', 'error_en'].every((c) => head.includes(c))
      && line.includes(want.area_id) && line.includes(want.wgs84_lon.toFixed(7).slice(0, 9)),
    `${name}: the page's CSV keeps every input column and adds the shares, 区内/区外, WGS84 coordinates and errors`, { head, line });
  }
  await page.click('#parcels-clear');
  await page.waitForSelector('#results', { state: 'hidden', timeout: t.WAIT });
}

/** searchFlow types q, checks the list against the API, walks it with the keyboard and picks the first with Enter. */
export async function searchFlow(t, page, h, q, tag, expect, { shot = '' } = {}) {
  const want = await t.api('/api/v1/search?' + new URLSearchParams({ q, limit: '10' }));
  await page.fill('#search-input', '');
  await page.click('#search-input');
  await page.keyboard.type(q);
  await page.waitForFunction((text) => { const l = document.getElementById('search-results'); return !l.hidden && l.dataset.query === text; }, q, { timeout: t.WAIT });
  const list = await page.$$eval('#search-results [role=option]', (os) => os.map((o) => ({ id: o.dataset.id || null, text: o.querySelector('.name').textContent })));
  t.check(list.length > 0 && list.every((o, i) => o.text.startsWith(want.results[i].name_zh) && (o.id || null) === (want.results[i].id || null)),
    `${tag}: "${q}" lists what /api/v1/search answers, in its order`, { list, want: want.results.map((r) => r.name_zh) });
  t.check(expect(want.results[0]), `${tag}: "${q}" finds ${want.results[0] && want.results[0].name_zh} first`, want.results[0]);
  if (list.length > 1) {
    await page.keyboard.press('ArrowDown');
    const ad = await page.getAttribute('#search-input', 'aria-activedescendant');
    await page.keyboard.press('ArrowUp');
    const back = await page.getAttribute('#search-input', 'aria-activedescendant');
    t.check(ad === 'search-opt-1' && back === 'search-opt-0' && await page.getAttribute('#search-opt-0', 'aria-selected') === 'true', `${tag}: the arrow keys walk the results list`, { ad, back });
  }
  if (shot) await h.shot(shot);
  const r = want.results[0];
  const locate = r.kind === 'coordinate' ? page.waitForRequest((x) => new URL(x.url()).pathname === '/api/v1/locate', { timeout: t.WAIT }) : null;
  await page.keyboard.press('Enter');
  const pop = await h.popupText();
  if (r.kind === 'coordinate') {
    const sent = new URL((await locate).url()).searchParams;
    const at = [+sent.get('lon'), +sent.get('lat')];
    const a = await t.api('/api/v1/locate?' + new URLSearchParams({ lon: sent.get('lon'), lat: sent.get('lat') }));
    t.check(Math.abs(at[0] - r.center[0]) < 1e-6 && Math.abs(at[1] - r.center[1]) < 1e-6 && a.area && pop.includes(a.area.name_zh) && a.area.id === r.area_id,
      `${tag}: picking the coordinate locates it (${r.center.map((v) => v.toFixed(5))}) and shows ${a.area && a.area.name_zh}`, { at, pop: pop.slice(0, 60) });
  } else {
    const fid = await page.evaluate(() => document.querySelector('.leaflet-popup-content .pop')?.dataset.featureId);
    t.check(fid === r.id && pop.includes(r.name_zh), `${tag}: picking "${r.name_zh}" flies there and opens its popup`, { fid, pop: pop.slice(0, 60) });
    if (tag === 'desktop' && r.name_en) {
      const shown = [await page.inputValue('#search-input')];
      await setLang(page, 'en');
      shown.push(await page.inputValue('#search-input'));
      await setLang(page, 'zh');
      shown.push(await page.inputValue('#search-input'));
      t.check(shown[0] === r.name_zh && shown[1] === r.name_en && shown[2] === r.name_zh, `${tag}: the chosen name in the search box follows the language switch`, shown);
    }
  }
  await viewSane(t, h, `${tag}: search "${q}"`);
  return r;
}

/** pdfText is the one-page check of a PDF: its page count and its text. */
function pdfText(path) {
  const info = execFileSync('pdfinfo', [path]).toString();
  return { pages: +(info.match(/Pages:\s+(\d+)/) || [])[1], text: execFileSync('pdftotext', ['-layout', path, '-']).toString() };
}

/**
 * reportFlow opens the site report from the open popup's button, checks the
 * printable view against the report API (POSTing the same parcel, or GETting
 * the same point), prints it (one page), and, when pdf is set, downloads the
 * server's PDF and checks it with pdfinfo and pdftotext.
 */
export async function reportFlow(t, page, h, tag, what, { pdf = false, lang = 'zh', name = '' } = {}) {
  tag = `${tag}, report of the ${what}`;
  const slug = what.replace(/\s+/g, '-');
  const [req] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/report', { timeout: t.WAIT }),
    page.click('.leaflet-popup-content .pop-actions button'),
  ]);
  await page.waitForSelector('#report:not([hidden]) .report-table', { timeout: t.WAIT });
  const u = new URL(req.url());
  const want = req.method() === 'POST'
    ? await t.api('/api/v1/report', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: req.postData() })
    : await t.api('/api/v1/report?' + new URLSearchParams({ lon: u.searchParams.get('lon'), lat: u.searchParams.get('lat') }));
  const text = await page.textContent('#report-page');
  const a = want.answers;
  const en = lang === 'en';
  const nm = (x) => (en ? x.name_en : x.name_zh);
  const shares = 'areas' in a ? [...a.areas, ...a.cities, ...a.bases].map((x) => nm(x) + ' ' + pct(x.share)) : [];
  const names = 'areas' in a ? a.areas.map(nm) : a.area ? [nm(a.area)] : [];
  const plan = want.plan_text.map((p) => (en ? p.section + ' · ' + p.plan_ref : p.section));
  const planWords = want.plan_text.map((p) => (en ? p.text_en : p.text_zh).slice(0, 30));
  const missing = [...names, ...shares, fmtEN(want.coordinates.epsg4547), want.coordinates.wgs84.map((v) => v.toFixed(6)).join(', '),
    ...plan, ...planWords, en ? want.accuracy_notice_en : want.accuracy_notice_zh, want.date, name].filter((s) => s && !text.includes(s));
  t.check(missing.length === 0 && names.length > 0, `${tag}: the report shows the answers with shares, the plan's text with chapter and section, WGS84 and EPSG:4547, the notice and the date, as the report API says`, { missing });
  t.check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'report-close'), `${tag}: the report dialog takes the focus`);
  await h.shot(`report-${slug}`);
  await h.axe('report of the ' + what);
  // the browser's print of the report: one page
  const printed = join(t.outdir, `${h.tag}-report-${slug}-print.pdf`);
  await page.pdf({ path: printed, format: 'A4', printBackground: true });
  const pr = pdfText(printed);
  t.check(pr.pages === 1 && squash(pr.text).includes(squash(en ? 'Site check report' : '选址核查报告')) && names.every((n) => squash(pr.text).includes(squash(n))) && !pr.text.includes('Leaflet'),
    `${tag}: printing the report view gives one page with the report alone`, { pages: pr.pages, text: pr.text.slice(0, 300) });
  if (pdf) {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: t.WAIT * 2 }), page.click('#report-pdf')]);
    const file = join(t.outdir, `${h.tag}-report-${slug}-server.pdf`);
    await dl.saveAs(file);
    const got = pdfText(file);
    const flat = squash(got.text);
    const zhShares = 'areas' in a ? [...a.areas, ...a.cities, ...a.bases].flatMap((x) => [x.name_zh, pct(x.share)]) : [];
    const need = [...('areas' in a ? a.areas.map((x) => x.name_zh) : [a.area.name_zh]), ...zhShares,
      'E' + want.coordinates.epsg4547[0].toFixed(1), 'N' + want.coordinates.epsg4547[1].toFixed(1), want.coordinates.wgs84[0].toFixed(6),
      want.accuracy_notice_zh.slice(0, 40), want.date, name].filter((s) => s && !flat.includes(squash(s)));
    t.check(got.pages === 1 && need.length === 0 && /^hetang-site-report-\d{4}-\d\d-\d\d\.pdf$/.test(dl.suggestedFilename()),
      `${tag}: the PDF download is the server's one-page A4 report with the areas, shares, coordinates, notice, date${name ? ' and the name ' + name : ''}`, { pages: got.pages, missing: need, file: dl.suggestedFilename() });
  }
  await page.keyboard.press('Escape');
  await page.waitForSelector('#report', { state: 'hidden', timeout: t.WAIT });
  return want;
}

/**
 * wrongCRSFlow reads Gauss–Krüger metres as WGS84 degrees, as the page once
 * did: every record fails with its reason, and the view stays at the district.
 */
export async function wrongCRSFlow(t, page, h, fx, tag) {
  await setLang(page, 'zh');
  await openPanel(page);
  await page.setInputFiles('#parcel-file', fx.path);
  await page.waitForSelector('#upload-check:not([hidden]) #upload-run:not([disabled])', { timeout: t.WAIT });
  const before = await h.hook('center');
  await page.selectOption('#upload-crs', 'CRS84');
  await page.waitForFunction(() => document.getElementById('upload-crs')?.value === 'CRS84' && !document.getElementById('upload-run')?.disabled && document.getElementById('upload-bbox')?.classList.contains('warn'), null, { timeout: t.WAIT });
  await page.click('#upload-run');
  await page.waitForFunction((n) => window.hetang.parcels().length === n, fx.points.length, { timeout: t.WAIT });
  const rows = await h.hook('parcels');
  const truth = await upload(t, 'batch', fx.path, { crs: 'CRS84' }, 'application/geo+json');
  const after = await h.hook('center');
  t.check(rows.every((r, i) => r.error && r.error.zh === truth.features[i].properties.answer.error_zh) && (await page.textContent('#results-summary')).includes(`${fx.points.length} 行失败`),
    `${tag}: Gauss–Krüger metres read as WGS84 fail row by row with the API's reasons, and the summary says so`, rows.map((r) => r.error));
  // (the results drawer opening under the map shifts the centre a little)
  t.check(Math.abs(after[0] - before[0]) < 0.01 && Math.abs(after[1] - before[1]) < 0.01, `${tag}: after the failed batch the view has not moved`, { before, after });
  await viewSane(t, h, tag + ' (wrong CRS)');
  await h.shot('upload-wrong-crs');
  await page.click('#parcels-clear');
  await page.waitForSelector('#results', { state: 'hidden', timeout: t.WAIT });
}
