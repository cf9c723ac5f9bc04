// The Hetang planners' page: a Leaflet map of the layout that answers
// questions through the service's API. Plain JavaScript, no build step.
//
// Coordinates: the map shows whatever CRS the selected basemap needs — CRS84
// (WGS84) when there is no basemap or a WGS84 one, GCJ-02 for an Amap-style
// basemap. Layers are fetched from the API in that CRS (?crs=GCJ02) and clicks
// are sent with crs=GCJ02, so the server does the conversion. Parcels are kept
// in WGS84 (what files and the batch API speak) and only shifted for display.
(function () {
  'use strict';

  // ---------- small DOM helpers (text only: data never becomes HTML) ----------
  const $ = (sel) => document.querySelector(sel);
  function h(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const svgNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...children) {
    const e = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    children.forEach((c) => e.append(c));
    return e;
  }
  function bootError(msg) {
    const b = $('#boot-error');
    b.textContent = msg;
    b.hidden = false;
  }

  if (!window.L) {
    bootError('地图库未加载：请运行 make web 后重新构建。 Leaflet is missing from this build: run `make web` and rebuild.');
    return;
  }

  // ---------- API ----------
  const API = {
    catalog: '/api/v1/layers',
    webconfig: '/api/v1/webconfig',
    layer: (id, crs) => '/api/v1/layers/' + encodeURIComponent(id) + (crs === 'GCJ02' ? '?crs=GCJ02' : ''),
    locate: '/api/v1/locate',
    batch: '/api/v1/locate/batch',
    distance: '/api/v1/distance',
  };
  const GEOJSON = 'application/geo+json';

  async function problem(res) {
    let msg = 'HTTP ' + res.status;
    try {
      const p = await res.json();
      if (p && (p.detail || p.title)) msg += ': ' + (p.detail || p.title);
    } catch (_) { /* not JSON */ }
    return new Error(msg);
  }
  async function fetchJSON(url, opts) {
    const res = await fetch(url, Object.assign({ headers: { Accept: 'application/json' } }, opts));
    if (!res.ok) throw await problem(res);
    return res.json();
  }

  // ---------- GCJ-02 (display of parcels only; mirrors internal/gcj02) ----------
  const gcj = (function () {
    const A = 6378245.0, EE = 0.00669342162296594323;
    const inChina = (lon, lat) => lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
    function tLat(x, y) {
      let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
      r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
      r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
      r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
      return r;
    }
    function tLon(x, y) {
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
        tLon(x, y) * 180 / (A / sq * Math.cos(rad) * Math.PI),
        tLat(x, y) * 180 / ((A * (1 - EE)) / (magic * sq) * Math.PI),
      ];
    }
    function fromWGS84([lon, lat]) {
      if (!inChina(lon, lat)) return [lon, lat];
      const [dx, dy] = offset(lon, lat);
      return [lon + dx, lat + dy];
    }
    function toWGS84([glon, glat]) {
      if (!inChina(glon, glat)) return [glon, glat];
      const [dx, dy] = offset(glon, glat);
      let lon = glon - dx, lat = glat - dy;
      for (let i = 0; i < 30; i++) {
        const [fx, fy] = fromWGS84([lon, lat]);
        const ex = fx - glon, ey = fy - glat;
        lon -= ex; lat -= ey;
        if (Math.abs(ex) < 1e-10 && Math.abs(ey) < 1e-10) break;
      }
      return [lon, lat];
    }
    return { fromWGS84, toWGS84 };
  })();

  function mapCoords(geom, fn) {
    const walk = (c) => (typeof c[0] === 'number' ? fn(c) : c.map(walk));
    if (!geom) return geom;
    if (geom.type === 'GeometryCollection') return { type: geom.type, geometries: geom.geometries.map((g) => mapCoords(g, fn)) };
    return { type: geom.type, coordinates: walk(geom.coordinates) };
  }

  // ---------- geometry helpers for labels ----------
  function ringArea(r) {
    let a = 0;
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] + r[i][0]) * (r[j][1] - r[i][1]);
    return a / 2;
  }
  function ringCentroid(r) {
    let a = 0, cx = 0, cy = 0;
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const f = r[j][0] * r[i][1] - r[i][0] * r[j][1];
      a += f; cx += (r[j][0] + r[i][0]) * f; cy += (r[j][1] + r[i][1]) * f;
    }
    if (a === 0) return r[0];
    return [cx / (3 * a), cy / (3 * a)];
  }
  function inRing(p, r) {
    let inside = false;
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      if ((r[i][1] > p[1]) !== (r[j][1] > p[1]) &&
          p[0] < (r[j][0] - r[i][0]) * (p[1] - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0]) inside = !inside;
    }
    return inside;
  }
  const inPolygon = (p, rings) => inRing(p, rings[0]) && !rings.slice(1).some((h) => inRing(p, h));
  // labelPoint returns a point inside the polygon's largest part: the centroid
  // when it is inside, else the middle of the widest horizontal chord through it.
  function labelPoint(geom) {
    const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
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
  // linePoint returns the point at fraction t of a line's length and the
  // direction there (radians, screen orientation, kept readable).
  function linePoint(coords, t) {
    const P = (c) => L.Projection.SphericalMercator.project(L.latLng(c[1], c[0]));
    let total = 0;
    const seg = [];
    for (let i = 1; i < coords.length; i++) {
      const d = P(coords[i - 1]).distanceTo(P(coords[i]));
      seg.push(d); total += d;
    }
    let want = total * t;
    for (let i = 1; i < coords.length; i++) {
      if (want <= seg[i - 1] || i === coords.length - 1) {
        const f = seg[i - 1] ? Math.min(1, want / seg[i - 1]) : 0;
        const a = coords[i - 1], b = coords[i];
        const pa = P(a), pb = P(b);
        let ang = Math.atan2(-(pb.y - pa.y), pb.x - pa.x) * 180 / Math.PI;
        ang = -ang; // screen y grows downwards
        if (ang > 90) ang -= 180;
        if (ang < -90) ang += 180;
        return { at: [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f], angle: ang };
      }
      want -= seg[i - 1];
    }
    return { at: coords[0], angle: 0 };
  }

  // ---------- cartography ----------
  const AREA_COLOURS = {
    'area-cbd': '#f3a7a0',
    'area-shuizhuhu': '#a6cee3',
    'area-taiyang': '#fdd08a',
    'area-jinshan': '#cab2e6',
    'area-hetang-moonlight': '#b9e3a1',
  };
  const CITY_COLOURS = { 'city-materials': '#a0175e', 'city-logistics': '#1f5fa8' };
  const SERVICE_STYLES = {
    belt: { color: '#c51b8a', weight: 1.5, fillColor: '#f768a1', fillOpacity: 0.35 },
    centre: { color: '#980043', weight: 2, fillColor: '#e7298a', fillOpacity: 0.45 },
    zone: { color: '#dd3497', weight: 1.5, dashArray: '4 3', fillColor: '#fcc5c0', fillOpacity: 0.3 },
  };
  const ROAD_STYLES = {
    vertical: { color: '#7a4a12', weight: 3.5, opacity: 0.9 },
    horizontal: { color: '#c58b32', weight: 3, opacity: 0.9 },
  };
  const POSITION_ZH = { north: '北', middle: '中', south: '南' };

  // Layer definitions, drawn bottom to top. `fixed` layers are always shown
  // and not offered in the layer control.
  const DEFS = [
    { id: 'neighbours', z: 402, on: true,
      style: () => ({ color: '#ffffff', weight: 1.5, fillColor: '#d6d9d2', fillOpacity: 0.7 }),
      label: (f) => ({ cls: 'lbl-neighbour', text: f.properties.name_zh }) },
    { id: 'areas', z: 405, on: true,
      style: (f) => ({ color: '#ffffff', weight: 2, fillColor: AREA_COLOURS[f.id] || '#ddd', fillOpacity: 0.55 }),
      label: (f) => ({ cls: 'lbl-area', text: f.properties.name_zh, small: f.properties.name_en }) },
    { id: 'agriculture', z: 408, on: false,
      style: () => ({ color: '#238443', weight: 1.5, dashArray: '2 4', fillColor: '#78c679', fillOpacity: 0.3 }) },
    { id: 'services', z: 410, on: false,
      style: (f) => SERVICE_STYLES[f.properties.kind] || SERVICE_STYLES.zone },
    { id: 'corridor', z: 415, on: true,
      style: () => ({ color: '#e66101', weight: 1.5, dashArray: '8 5', fillColor: '#fdae61', fillOpacity: 0.22 }) },
    { id: 'bases', z: 420, on: true,
      style: () => ({ color: '#542788', weight: 1.5, fillColor: '#8073ac', fillOpacity: 0.4 }),
      label: (f) => ({ cls: 'lbl-base', text: f.properties.name_zh }) },
    { id: 'cities', z: 425, on: true,
      style: (f) => ({ color: CITY_COLOURS[f.id] || '#333', weight: 2.5, dashArray: '10 4', fillColor: 'url(#hatch-' + f.id + ')', fillOpacity: 1 }),
      label: (f) => ({ cls: 'lbl-city', text: f.properties.name_zh, colour: CITY_COLOURS[f.id], dy: 20 }) },
    { id: 'roads', z: 430, on: true,
      style: (f) => ROAD_STYLES[f.properties.class] || ROAD_STYLES.horizontal,
      label: (f) => ({ cls: 'lbl-road', text: f.properties.name_zh, along: 0.5 }) },
    { id: 'chain', z: 440, on: true,
      style: () => ({ color: '#1a9850', weight: 4, dashArray: '10 7', lineCap: 'butt' }) },
    { id: 'axis', z: 445, on: true, casing: true,
      style: () => ({ color: '#d7301f', weight: 6, lineCap: 'round', lineJoin: 'round' }),
      label: (f) => ({ cls: 'lbl-road', text: '一轴 ' + (f.properties.segments || '').replace(/;\s*/g, '—'), along: 0.25 }) },
    { id: 'district', z: 450, on: true, fixed: true, casing: true,
      style: () => ({ color: '#263238', weight: 3, dashArray: '14 4 3 4', fill: false }) },
    { id: 'chain_nodes', z: 455, on: true, points: true,
      point: () => ({ radius: 6, color: '#ffffff', weight: 2, fillColor: '#1a9850', fillOpacity: 1 }),
      label: (f) => ({ cls: 'lbl-node', text: f.properties.name_zh, dx: 10 }) },
    { id: 'places', z: 460, on: true, points: true,
      point: () => ({ radius: 4.5, color: '#ffffff', weight: 1.5, fillColor: '#37474f', fillOpacity: 0.95 }),
      label: (f) => ({ cls: 'lbl-place', text: f.properties.name_zh, dx: 8 }) },
  ];

  // ---------- state ----------
  const state = {
    crs: 'CRS84', // or 'GCJ02'
    catalog: null,
    webconfig: null,
    layers: {}, // id → { def, info, data, geo, labels, group }
    index: [], // search entries
    tool: null,
    layersCRS: null, // the CRS of the layers as drawn (state.crs once a reload is done)
    parcels: [],
    viewToken: 0, // bumped when the view is taken over, so a pending search popup does not open
  };

  // ---------- map ----------
  const map = L.map('map', { zoomControl: true, preferCanvas: false, minZoom: 8, maxZoom: 18, zoomSnap: 0.25 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>');
  L.control.scale({ imperial: false, position: 'bottomright' }).addTo(map);
  for (const d of DEFS) {
    map.createPane('p-' + d.id).style.zIndex = String(d.z);
  }
  map.createPane('p-casing').style.zIndex = '444';
  map.createPane('p-labels').style.zIndex = '470';
  map.getPane('p-labels').style.pointerEvents = 'none';
  map.createPane('p-query').style.zIndex = '480';
  map.createPane('p-parcels').style.zIndex = '475'; // the user's parcels above the labels
  const queryLayer = L.layerGroup().addTo(map);
  const parcelLayer = L.featureGroup().addTo(map);
  const toolLayer = L.layerGroup().addTo(map);

  function setZoomClasses() {
    const z = map.getZoom(), c = map.getContainer().classList;
    c.toggle('z-lt11', z < 11);
    c.toggle('z-lt12', z < 12);
    c.toggle('z-lt13', z < 13);
    c.toggle('z-lt14', z < 14);
    c.toggle('z-ge14', z >= 14);
  }
  map.on('zoomend', setZoomClasses);

  // SVG hatch patterns for the cities (referenced as fill="url(#hatch-<id>)").
  (function patterns() {
    const defs = s('defs');
    for (const [id, colour] of Object.entries(CITY_COLOURS)) {
      const rot = id === 'city-materials' ? 45 : -45;
      defs.append(s('pattern', { id: 'hatch-' + id, patternUnits: 'userSpaceOnUse', width: 9, height: 9, patternTransform: 'rotate(' + rot + ')' },
        s('line', { x1: 0, y1: 0, x2: 0, y2: 9, stroke: colour, 'stroke-width': 2.2, 'stroke-opacity': 0.55 })));
    }
    const svg = s('svg', { width: 0, height: 0, 'aria-hidden': 'true', focusable: 'false' }, defs);
    svg.style.position = 'absolute';
    svg.style.width = '0';
    svg.style.height = '0';
    document.body.prepend(svg);
  })();

  // labelMarker places a text label centred on its point (or, with dx, to its
  // right); CSS translates the label box, so no measuring is needed.
  function labelMarker(latlng, spec, pane) {
    const inner = h('span', null, spec.text, spec.small ? h('small', null, spec.small) : null);
    if (spec.colour) inner.style.color = spec.colour;
    if (spec.angle) inner.style.transform = 'rotate(' + spec.angle.toFixed(1) + 'deg)';
    const wrap = h('div', { class: spec.dx ? 'right' : 'centre' }, inner);
    if (spec.dx) wrap.style.left = spec.dx + 'px';
    if (spec.dy) wrap.style.top = spec.dy + 'px';
    const icon = L.divIcon({ className: 'lbl ' + spec.cls, html: wrap, iconSize: null });
    return L.marker(latlng, { icon, interactive: false, keyboard: false, pane: pane || 'p-labels' });
  }

  // drawLayer (re)builds one layer's Leaflet objects from its GeoJSON.
  function drawLayer(rec) {
    const d = rec.def;
    rec.geo.clearLayers();
    rec.labels.clearLayers();
    if (rec.casing) rec.casing.clearLayers();
    rec.geo.addData(rec.data);
    if (rec.casing) rec.casing.addData(rec.data);
    if (d.label) {
      for (const f of rec.data.features) {
        const spec = d.label(f);
        if (!spec || !spec.text) continue;
        const g = f.geometry;
        let at;
        if (g.type === 'Point') at = g.coordinates;
        else if (g.type === 'LineString' || g.type === 'MultiLineString') {
          const coords = g.type === 'LineString' ? g.coordinates : g.coordinates[0];
          const lp = linePoint(coords, spec.along != null ? spec.along : 0.5);
          at = lp.at; spec.angle = lp.angle;
        } else at = labelPoint(g);
        rec.labels.addLayer(labelMarker(L.latLng(at[1], at[0]), spec));
      }
    }
  }

  function makeLayer(def, info) {
    const rec = { def, info, data: null };
    const pane = 'p-' + def.id;
    const opts = { pane, interactive: false };
    if (def.points) {
      opts.interactive = true;
      opts.pointToLayer = (f, ll) => L.circleMarker(ll, Object.assign({ pane, bubblingMouseEvents: false }, def.point(f)));
      opts.onEachFeature = (f, l) => {
        l.bindTooltip(f.properties.name_zh + ' ' + (f.properties.name_en || ''), { direction: 'top', offset: [0, -6] });
        l.on('click', (e) => {
          if (state.tool) { onToolClick(e); return; }
          openFeaturePopup(rec, f, e.latlng);
        });
      };
    } else {
      opts.style = def.style;
    }
    rec.geo = L.geoJSON(null, opts);
    rec.labels = L.layerGroup();
    const parts = [rec.geo, rec.labels];
    if (def.casing) {
      rec.casing = L.geoJSON(null, { pane: 'p-casing', interactive: false,
        style: () => ({ color: '#ffffff', weight: def.id === 'axis' ? 10 : 7, opacity: 0.85, fill: false, lineCap: 'round', lineJoin: 'round' }) });
      parts.unshift(rec.casing);
    }
    rec.group = L.layerGroup(parts);
    return rec;
  }

  // ---------- popups ----------
  const fmtDist = (m) => (m == null || isNaN(m) ? '—' : m < 1000 ? Math.round(m) + ' m' : (m / 1000).toFixed(m < 10000 ? 2 : 1) + ' km');
  const nameOf = (o) => (o ? [o.name_zh, o.name_en].filter(Boolean).join(' ') : '');
  const names = (arr, extra) => (arr && arr.length ? arr.map((o) => h('span', { class: 'tag' }, nameOf(o) + (extra ? extra(o) : ''))) : ['—']);

  function openFeaturePopup(rec, f, latlng) {
    const p = f.properties;
    const body = h('div', { class: 'pop' },
      h('h3', null, p.name_zh, h('span', { class: 'en' }, p.name_en)),
      h('dl', null,
        h('dt', null, '图层 Layer'), h('dd', null, rec.info.title_zh + ' ' + rec.info.title_en),
        p.kind ? [h('dt', null, '类型 Kind'), h('dd', null, p.kind)] : null,
        p.position ? [h('dt', null, '位置 Position'), h('dd', null, (POSITION_ZH[p.position] || '') + ' ' + p.position)] : null,
        p.plan_ref ? [h('dt', null, '规划 Plan'), h('dd', null, p.plan_ref)] : null),
      p.description ? h('p', { class: 'desc' }, p.description) : null,
      h('p', { class: 'src' }, '精度 Accuracy: ' + (p.accuracy || '—') + ' · 来源 Source: ' + (p.source || '—')),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => locateAt(latlng) }, '查询此处 Locate here'));
    L.popup({ maxWidth: 340, autoPanPaddingTopLeft: [10, 60] }).setLatLng(latlng).setContent(body).openOn(map);
  }

  function locateAt(latlng) {
    queryLayer.clearLayers();
    const popup = L.popup({ maxWidth: 340, autoPanPaddingTopLeft: [10, 60] }).setLatLng(latlng)
      .setContent(h('div', { class: 'pop' }, '查询中… Locating…')).openOn(map);
    const q = new URLSearchParams({ lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7) });
    if (state.crs === 'GCJ02') q.set('crs', 'GCJ02');
    fetchJSON(API.locate + '?' + q).then((a) => {
      popup.setContent(locatePopup(a));
      drawNearest(latlng, a.nearest);
    }, (err) => {
      popup.setContent(h('div', { class: 'pop' }, h('p', { class: 'err' }, '查询失败 Locate failed: ' + err.message)));
    });
  }

  function drawNearest(from, n) {
    if (!n) return;
    const targets = [[n.axis, '#d7301f'], [n.chain, '#1a9850'], [n.roads && n.roads[0], '#7a4a12']];
    for (const [t, colour] of targets) {
      if (!t || !t.point || !(t.distance_m > 0)) continue;
      const to = L.latLng(t.point[1], t.point[0]);
      queryLayer.addLayer(L.polyline([from, to], { pane: 'p-query', color: colour, weight: 1.5, dashArray: '3 4', interactive: false }));
      queryLayer.addLayer(L.circleMarker(to, { pane: 'p-query', radius: 3, color: colour, fillOpacity: 1, interactive: false }));
    }
  }

  function locatePopup(a) {
    const n = a.nearest || {};
    const title = a.area
      ? h('h3', null, a.area.name_zh, h('span', { class: 'en' }, a.area.name_en))
      : h('h3', null, a.inside_district ? '荷塘区 Hetang District' : '荷塘区外 Outside Hetang District');
    const rows = [];
    const row = (dt, ...dd) => rows.push(h('dt', null, dt), h('dd', null, ...dd));
    if (!a.inside_district) row('距区界 To boundary', fmtDist(a.distance_to_district_m));
    if (a.on_boundary) row('区界 Boundary', h('span', { class: 'warn' }, '位于区界上 On the district boundary'));
    row('片区 Area', a.area ? nameOf(a.area) : '—');
    row('城 City', ...names(a.cities));
    row('基地 Base', ...names(a.bases, (b) => (b.position ? ' (' + (POSITION_ZH[b.position] || b.position) + ')' : '')));
    row('一廊 Corridor', a.in_corridor ? '在廊内 Inside' : '廊外 Outside' + (n.corridor ? ' · ' + fmtDist(n.corridor.distance_m) : ''));
    if (a.services && a.services.length) row('服务业 Services', ...names(a.services));
    if (a.agriculture && a.agriculture.length) row('农业 Agriculture', ...names(a.agriculture));
    row('到一轴 To axis', fmtDist(n.axis && n.axis.distance_m));
    row('到一链 To chain', fmtDist(n.chain && n.chain.distance_m));
    const roads = (n.roads || []).slice(0, 3);
    row('最近道路 Roads', ...(roads.length ? roads.map((r) => h('div', null, r.name_zh + ' ' + fmtDist(r.distance_m))) : ['—']));
    const w = a.wgs84 || [], g = a.epsg4547 || [];
    const coords = h('div', { class: 'coords' },
      h('div', null, 'WGS84 经纬度 lon, lat:'),
      h('div', null, '  ' + (w.length ? w[0].toFixed(6) + ', ' + w[1].toFixed(6) : '—')),
      h('div', null, 'CGCS2000 高斯-克吕格 GK, EPSG:4547:'),
      h('div', null, '  ' + (g.length ? 'E ' + g[0].toFixed(1) + '  N ' + g[1].toFixed(1) : '—')));
    return h('div', { class: 'pop' }, title, h('dl', null, rows), coords);
  }

  // ---------- search ----------
  const searchInput = $('#search-input'), searchList = $('#search-results');
  let searchHits = [], searchSel = -1;
  const LAYER_RANK = { places: 0, areas: 1, roads: 2, chain_nodes: 3, cities: 4, bases: 5, services: 6, agriculture: 7, axis: 8, chain: 9, corridor: 10, district: 11, neighbours: 12 };

  function buildIndex() {
    state.index = [];
    for (const rec of Object.values(state.layers)) {
      rec.geo.eachLayer((l) => {
        const f = l.feature, p = f.properties;
        state.index.push({ rec, layer: l, f, zh: p.name_zh || '', en: p.name_en || '', id: String(f.id || p.id || ''),
          hay: [p.name_zh, p.name_en, f.id, p.id].filter(Boolean).join(' ').toLowerCase() });
      });
    }
  }
  function search(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    const hits = [];
    for (const e of state.index) {
      const i = e.hay.indexOf(q);
      if (i < 0) continue;
      const exact = e.zh.toLowerCase() === q || e.en.toLowerCase() === q || e.id.toLowerCase() === q;
      hits.push({ e, score: (exact ? 0 : i === 0 ? 1 : 2) * 100 + (LAYER_RANK[e.rec.def.id] || 0) });
    }
    hits.sort((a, b) => a.score - b.score);
    return hits.slice(0, 12).map((x) => x.e);
  }
  function renderHits() {
    searchList.replaceChildren();
    if (!searchInput.value.trim()) { searchList.hidden = true; return; }
    if (!searchHits.length) {
      searchList.append(h('li', { class: 'empty' }, '无结果 No match'));
    }
    searchHits.forEach((e, i) => {
      searchList.append(h('li', { role: 'option', 'aria-selected': i === searchSel ? 'true' : 'false',
        onmousedown: (ev) => { ev.preventDefault(); choose(e); } },
      h('span', { class: 'layer' }, e.rec.info.title_zh), e.zh, h('span', { class: 'en' }, e.en)));
    });
    searchList.hidden = false;
  }
  function choose(e) {
    searchList.hidden = true;
    searchInput.value = e.zh;
    searchInput.blur();
    if (!map.hasLayer(e.rec.group)) map.addLayer(e.rec.group);
    closePanelOnPhone();
    map.stop();
    map.closePopup();
    const g = e.f.geometry;
    let at;
    if (g.type === 'Point') {
      at = L.latLng(g.coordinates[1], g.coordinates[0]);
      map.flyTo(at, Math.max(map.getZoom(), 15), { duration: 0.8 });
    } else {
      at = g.type.endsWith('Polygon') ? (([x, y]) => L.latLng(y, x))(labelPoint(g)) : e.layer.getCenter();
      map.flyToBounds(e.layer.getBounds(), { padding: [40, 40], maxZoom: 16, duration: 0.8 });
    }
    let done = false;
    const token = ++state.viewToken;
    const open = () => { if (!done && token === state.viewToken) { done = true; openFeaturePopup(e.rec, e.f, at); } };
    map.once('moveend', open);
    setTimeout(open, 1500);
  }
  searchInput.addEventListener('input', () => { searchHits = search(searchInput.value); searchSel = searchHits.length ? 0 : -1; renderHits(); });
  searchInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      if (!searchHits.length) return;
      searchSel = (searchSel + (ev.key === 'ArrowDown' ? 1 : -1) + searchHits.length) % searchHits.length;
      renderHits();
    } else if (ev.key === 'Enter') {
      if (searchHits[searchSel]) choose(searchHits[searchSel]);
    } else if (ev.key === 'Escape') {
      searchList.hidden = true;
    }
  });
  searchInput.addEventListener('blur', () => setTimeout(() => { searchList.hidden = true; }, 150));
  searchInput.addEventListener('focus', () => { if (searchInput.value.trim()) renderHits(); });

  // ---------- panel ----------
  const phone = () => window.matchMedia('(max-width: 700px)').matches;
  function setPanel(open) {
    document.body.classList.toggle('panel-closed', !open);
    $('#panel-toggle').setAttribute('aria-expanded', String(open));
    map.invalidateSize();
  }
  function closePanelOnPhone() { if (phone()) setPanel(false); }
  $('#panel-toggle').addEventListener('click', () => setPanel(document.body.classList.contains('panel-closed')));
  setPanel(!phone());

  // ---------- legend ----------
  function swatch(kind, st) {
    const svg = s('svg', { width: 28, height: 16, viewBox: '0 0 28 16', 'aria-hidden': 'true' });
    if (kind === 'poly') {
      svg.append(s('rect', { x: 1.5, y: 1.5, width: 25, height: 13, rx: 2, fill: st.fillColor || 'none', 'fill-opacity': st.fillOpacity != null ? st.fillOpacity : 1,
        stroke: st.color || 'none', 'stroke-width': Math.min(st.weight || 1, 2.5), 'stroke-dasharray': st.dashArray || '' }));
    } else if (kind === 'line') {
      if (st.casing) svg.append(s('line', { x1: 2, y1: 8, x2: 26, y2: 8, stroke: '#fff', 'stroke-width': st.weight + 3 }));
      svg.append(s('line', { x1: 2, y1: 8, x2: 26, y2: 8, stroke: st.color, 'stroke-width': Math.min(st.weight, 6), 'stroke-dasharray': st.dashArray ? st.dashArray.split(' ').map((v) => v / 2).join(' ') : '' }));
    } else {
      svg.append(s('circle', { cx: 14, cy: 8, r: st.radius || 5, fill: st.fillColor, stroke: '#666', 'stroke-width': 1 }));
    }
    return svg;
  }
  function buildLegend() {
    const ul = $('#legend');
    ul.replaceChildren();
    const item = (sw, zh, en, sub) => ul.append(h('li', { class: sub ? 'sub' : null }, sw, h('span', null, zh, ' ', h('span', { class: 'en' }, en))));
    const info = (id) => (state.layers[id] ? state.layers[id].info : { title_zh: id, title_en: '' });
    const featuresOf = (id) => (state.layers[id] && state.layers[id].data ? state.layers[id].data.features : []);
    const order = ['district', 'areas', 'cities', 'axis', 'chain', 'chain_nodes', 'roads', 'corridor', 'bases', 'services', 'agriculture', 'places', 'neighbours'];
    for (const id of order) {
      const d = DEFS.find((x) => x.id === id), inf = info(id);
      if (id === 'areas') {
        item(swatch('poly', { fillColor: '#eee', color: '#fff' }), inf.title_zh, inf.title_en);
        for (const f of featuresOf(id)) item(swatch('poly', d.style(f)), f.properties.name_zh, f.properties.name_en, true);
      } else if (id === 'cities') {
        item(swatch('poly', { fillColor: 'none', color: '#555', dashArray: '10 4' }), inf.title_zh, inf.title_en);
        for (const f of featuresOf(id)) item(swatch('poly', d.style(f)), f.properties.name_zh, f.properties.name_en, true);
      } else if (id === 'roads') {
        item(swatch('line', ROAD_STYLES.vertical), '五纵 Vertical', '(north–south)');
        item(swatch('line', ROAD_STYLES.horizontal), '七横 Horizontal', '(east–west)');
      } else if (id === 'services') {
        item(swatch('poly', SERVICE_STYLES.belt), '一带 Belt', inf.title_zh);
        item(swatch('poly', SERVICE_STYLES.centre), '四心 Centres', '');
        item(swatch('poly', SERVICE_STYLES.zone), '五区 Zones', '');
      } else if (d.points) {
        item(swatch('point', d.point()), inf.title_zh, inf.title_en);
      } else {
        const st = d.style(featuresOf(id)[0] || { properties: {} });
        const kind = ['axis', 'chain', 'district'].includes(id) ? 'line' : 'poly';
        item(swatch(kind, Object.assign({}, st, { casing: d.casing })), inf.title_zh + (d.fixed ? '（始终显示）' : ''), inf.title_en);
      }
    }
  }

  // ---------- layers: load and (re)load in the current CRS ----------
  // A basemap switch during a reload starts another one; only the newest
  // draws, so a slow answer in the old CRS cannot land on the new basemap.
  let loadSeq = 0;
  async function loadLayers() {
    const crs = state.crs, seq = ++loadSeq;
    const recs = Object.values(state.layers);
    const data = await Promise.all(recs.map((rec) => fetchJSON(API.layer(rec.def.id, crs), { headers: { Accept: GEOJSON } })));
    if (seq !== loadSeq) return;
    recs.forEach((rec, i) => { rec.data = data[i]; drawLayer(rec); });
    state.layersCRS = crs;
    buildIndex();
  }

  function layerControlLabel(rec) {
    return '<span>' + esc(rec.info.title_zh) + '</span> <span class="en">' + esc(rec.info.title_en) + '</span>';
  }
  function esc(t) { return String(t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }

  async function setCRS(crs) {
    if (crs === state.crs) return;
    state.crs = crs;
    map.closePopup();
    queryLayer.clearLayers();
    cancelTool();
    toolLayer.clearLayers();
    await loadLayers();
    redrawParcels();
  }

  function buildBasemaps() {
    const none = L.layerGroup();
    const bases = { '无底图 None (offline)': none };
    const byLayer = new Map([[none, 'CRS84']]);
    for (const b of state.webconfig.basemaps || []) {
      const t = L.tileLayer(b.url, { subdomains: b.subdomains || 'abc', maxZoom: b.max_zoom || 18, attribution: b.attribution || '' });
      bases[esc(b.name) + ' <span class="en">(' + esc(b.crs) + ')</span>'] = t;
      byLayer.set(t, b.crs === 'GCJ02' ? 'GCJ02' : 'CRS84');
    }
    none.addTo(map);
    map.on('baselayerchange', (e) => {
      map.getContainer().classList.toggle('basemap-on', e.layer !== none);
      setCRS(byLayer.get(e.layer) || 'CRS84').catch((err) => setStatus('图层重新加载失败 Reloading layers failed: ' + err.message, true));
    });
    return bases;
  }

  // ---------- notice ----------
  function noticeControl(text) {
    const C = L.Control.extend({
      options: { position: 'bottomleft' },
      onAdd() {
        const more = h('div', { class: 'more' }, text);
        more.hidden = true;
        const btn = h('button', { type: 'button', 'aria-expanded': String(!more.hidden) }, more.hidden ? '详情 More' : '收起 Less');
        btn.addEventListener('click', () => {
          more.hidden = !more.hidden;
          btn.textContent = more.hidden ? '详情 More' : '收起 Less';
          btn.setAttribute('aria-expanded', String(!more.hidden));
        });
        const div = h('div', { class: 'schematic-note', id: 'schematic-note' },
          h('strong', null, '示意性数字化 Schematic digitisation — not a survey.'), btn, more);
        L.DomEvent.disableClickPropagation(div);
        return div;
      },
    });
    return new C();
  }

  // ---------- tools: draw a parcel, measure a distance ----------
  const statusEl = $('#tool-status');
  function setStatus(msg, isError, ...extra) {
    statusEl.replaceChildren(msg || '', ...extra);
    statusEl.classList.toggle('error', !!isError);
  }
  let drawVerts = [], drawPreview = null, measurePts = [];

  function startTool(name) {
    const was = state.tool;
    cancelTool();
    if (was === name) return;
    state.tool = name;
    map.getContainer().classList.add('tool-on');
    $('#tool-' + name).classList.add('active');
    map.doubleClickZoom.disable();
    map.closePopup();
    closePanelOnPhone();
    if (name === 'draw') {
      drawVerts = [];
      setStatus('点击地图添加顶点，双击或点“完成”结束。 Click to add vertices; double-click or Finish to end. ', false,
        h('button', { type: 'button', class: 'btn btn-small', onclick: finishDraw }, '完成 Finish'), ' ',
        h('button', { type: 'button', class: 'btn btn-small btn-quiet', onclick: cancelTool }, '取消 Cancel'));
    } else {
      measurePts = [];
      toolLayer.clearLayers();
      setStatus('点击两点测量距离。 Click two points to measure.');
    }
  }
  function cancelTool() {
    if (!state.tool) return;
    if (state.tool === 'draw') { toolLayer.clearLayers(); drawVerts = []; drawPreview = null; }
    document.querySelectorAll('.tools .btn.active').forEach((b) => b.classList.remove('active'));
    map.getContainer().classList.remove('tool-on');
    map.doubleClickZoom.enable();
    state.tool = null;
    setStatus('');
  }
  const toWGS84 = (ll) => (state.crs === 'GCJ02' ? gcj.toWGS84([ll.lng, ll.lat]) : [ll.lng, ll.lat]);

  function onToolClick(e) {
    if (state.tool === 'draw') {
      const last = drawVerts[drawVerts.length - 1];
      if (last && map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(e.latlng)) < 5) return;
      drawVerts.push(e.latlng);
      toolLayer.clearLayers();
      drawPreview = (drawVerts.length >= 3 ? L.polygon(drawVerts, { pane: 'p-query', color: '#b3261e', weight: 2, dashArray: '5 4', fillOpacity: 0.1, interactive: false })
        : L.polyline(drawVerts, { pane: 'p-query', color: '#b3261e', weight: 2, dashArray: '5 4', interactive: false })).addTo(toolLayer);
      drawVerts.forEach((v) => toolLayer.addLayer(L.circleMarker(v, { pane: 'p-query', radius: 4, color: '#b3261e', fillColor: '#fff', fillOpacity: 1, weight: 2, interactive: false })));
    } else if (state.tool === 'measure') {
      if (measurePts.length >= 2) { measurePts = []; toolLayer.clearLayers(); }
      measurePts.push(e.latlng);
      toolLayer.addLayer(L.circleMarker(e.latlng, { pane: 'p-query', radius: 5, color: '#b3261e', fillColor: '#fff', fillOpacity: 1, weight: 2, interactive: false }));
      if (measurePts.length === 2) measure(measurePts[0], measurePts[1]);
    }
  }
  async function measure(a, b) {
    toolLayer.addLayer(L.polyline([a, b], { pane: 'p-query', color: '#b3261e', weight: 2.5, dashArray: '6 4', interactive: false }));
    const q = new URLSearchParams({ from: toWGS84(a).map((v) => v.toFixed(7)).join(','), to: toWGS84(b).map((v) => v.toFixed(7)).join(',') });
    try {
      const d = await fetchJSON(API.distance + '?' + q);
      const text = fmtDist(d.distance_m) + (d.azimuth_fwd_deg != null ? ' · 方位 ' + Math.round(d.azimuth_fwd_deg) + '°' : '');
      const mid = L.latLng((a.lat + b.lat) / 2, (a.lng + b.lng) / 2);
      toolLayer.addLayer(L.marker(mid, { pane: 'p-query', interactive: false, icon: L.divIcon({ className: 'measure-label', html: h('span', null, text), iconSize: null, iconAnchor: [-6, 10] }) }));
      setStatus('距离 Distance: ' + d.distance_m.toFixed(1) + ' m' + (d.azimuth_fwd_deg != null ? '，方位角 azimuth ' + d.azimuth_fwd_deg.toFixed(1) + '°' : '') + '。再点两点重新测量 Click twice more to measure again.');
    } catch (err) {
      setStatus('测距失败 Measuring failed: ' + err.message, true);
    }
  }
  async function finishDraw() {
    if (state.tool !== 'draw') return;
    if (drawVerts.length < 3) { setStatus('至少需要三个顶点 A parcel needs at least three vertices.', true); return; }
    const ring = drawVerts.map(toWGS84);
    ring.push(ring[0]);
    const n = state.parcels.length + 1;
    const feature = { type: 'Feature', properties: { name: '手绘地块 ' + n + ' Drawn parcel ' + n }, geometry: { type: 'Polygon', coordinates: [ring] } };
    cancelTool();
    setStatus('查询中… Locating…');
    try {
      const res = await fetch(API.locate, { method: 'POST', headers: { 'Content-Type': GEOJSON, Accept: 'application/json' }, body: JSON.stringify(feature) });
      if (!res.ok) throw await problem(res);
      addParcel({ name: feature.properties.name, geometry: feature.geometry, answer: await res.json() });
      setStatus('');
      if (!phone()) $('#parcels').scrollIntoView({ block: 'nearest' });
    } catch (err) {
      setStatus('地块查询失败 Locating the parcel failed: ' + err.message, true);
    }
  }
  map.on('click', (e) => { if (state.tool) onToolClick(e); else locateAt(e.latlng); });
  map.on('dblclick', () => { if (state.tool === 'draw') finishDraw(); });
  map.on('popupclose', () => queryLayer.clearLayers());
  $('#tool-draw').addEventListener('click', () => startTool('draw'));
  $('#tool-measure').addEventListener('click', () => startTool('measure'));
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && state.tool) cancelTool(); });

  // ---------- parcels ----------
  function primaryOf(a) {
    if (!a) return { area: null, share: null };
    const area = a.primary_area || a.area || null;
    let share = area && area.share != null ? area.share : null;
    if (share == null && area && a.areas) {
      const m = a.areas.find((x) => x.id === area.id);
      if (m && m.share != null) share = m.share;
    }
    return { area, share };
  }
  const fmtShare = (v) => (v == null ? '—' : (v > 1.0001 ? v : v * 100).toFixed(1) + '%');
  // names joined, with the share of a parcel that overlaps each when partial
  const plainNames = (arr) => (arr || []).map((o) => o.name_zh + (o.share != null && o.share < 0.995 ? ' ' + fmtShare(o.share) : '')).join('、');

  function parcelName(props, fid, i) {
    const p = props || {};
    for (const k of ['name', 'name_zh', '名称', 'NAME', 'Name', 'title', 'id', 'ID', 'fid']) if (p[k] != null && p[k] !== '') return String(p[k]);
    if (fid != null && fid !== '') return String(fid);
    return '#' + (i + 1);
  }

  function parcelDisplayGeom(g) { return state.crs === 'GCJ02' ? mapCoords(g, gcj.fromWGS84) : g; }
  function drawParcel(p) {
    if (!p.geometry) return;
    p.layer = L.geoJSON({ type: 'Feature', properties: {}, geometry: parcelDisplayGeom(p.geometry) }, {
      pane: 'p-parcels',
      style: () => ({ color: '#b3261e', weight: 2, fillColor: '#ef5350', fillOpacity: 0.18 }),
      pointToLayer: (f, ll) => L.circleMarker(ll, { pane: 'p-parcels', radius: 6, color: '#b3261e', weight: 2, fillColor: '#fff', fillOpacity: 1 }),
      bubblingMouseEvents: false,
    }).bindTooltip(p.name).on('click', (e) => {
      if (state.tool) { onToolClick(e); return; }
      L.DomEvent.stopPropagation(e);
      L.popup({ maxWidth: 340 }).setLatLng(e.latlng).setContent(parcelPopup(p)).openOn(map);
    });
    parcelLayer.addLayer(p.layer);
  }
  function redrawParcels() {
    parcelLayer.clearLayers();
    state.parcels.forEach(drawParcel);
  }
  function parcelPopup(p) {
    if (p.error) return h('div', { class: 'pop' }, h('h3', null, p.name), h('p', { class: 'err' }, p.error));
    const a = p.answer, { area, share } = primaryOf(a);
    return h('div', { class: 'pop' },
      h('h3', null, p.name),
      h('dl', null,
        h('dt', null, '主片区 Primary area'), h('dd', null, area ? nameOf(area) + ' · ' + fmtShare(share) : '—'),
        a.areas && a.areas.length > 1 ? [h('dt', null, '涉及片区 Areas'), h('dd', null, ...a.areas.map((x) => h('div', null, x.name_zh + ' ' + fmtShare(x.share))))] : null,
        h('dt', null, '城 Cities'), h('dd', null, ...names(a.cities)),
        h('dt', null, '基地 Bases'), h('dd', null, ...names(a.bases)),
        h('dt', null, '一廊 Corridor'), h('dd', null, a.in_corridor ? '在廊内 Inside' : '廊外 Outside'),
        a.repaired ? [h('dt', null, '几何 Geometry'), h('dd', { class: 'warn' }, '已修复 Repaired' + (a.repair_note ? ': ' + a.repair_note : ''))] : null,
        a.area_m2 != null ? [h('dt', null, '面积 Area'), h('dd', null, (a.area_m2 / 10000).toFixed(2) + ' ha (' + Math.round(a.area_m2) + ' m²)')] : null));
  }

  function addParcel(p) {
    state.parcels.push(p);
    drawParcel(p);
    const tbody = $('#parcel-table tbody');
    const { area, share } = primaryOf(p.answer);
    const cell = (content, cls) => h('td', { class: cls }, content);
    const tr = p.error
      ? h('tr', null, cell(p.name), h('td', { class: 'err', colspan: 4 }, p.error))
      : h('tr', null,
        cell(p.name),
        h('td', { class: 'primary-area', dataset: { areaId: area ? area.id : '' } }, area ? area.name_zh : '—', area ? h('span', { class: 'en' }, area.name_en) : null),
        cell(fmtShare(share), 'num'),
        cell(plainNames(p.answer.cities) || '—'),
        cell(plainNames(p.answer.bases) || '—'));
    tr.addEventListener('click', () => {
      if (!p.layer) return;
      closePanelOnPhone();
      const b = p.layer.getBounds();
      if (b.isValid()) map.flyToBounds(b, { padding: [40, 40], maxZoom: 16, duration: 0.6 });
    });
    tbody.append(tr);
    $('#parcels').hidden = false;
  }

  async function loadParcelFile(file) {
    const text = await file.text();
    const isCSV = /\.csv$/i.test(file.name) || /csv/.test(file.type);
    let body, ctype;
    if (isCSV) {
      body = text; ctype = 'text/csv';
    } else {
      let gj;
      try { gj = JSON.parse(text); } catch (err) { throw new Error(file.name + ' 不是有效的 GeoJSON is not valid GeoJSON: ' + err.message); }
      if (gj.type === 'Feature') gj = { type: 'FeatureCollection', features: [gj] };
      else if (gj.type !== 'FeatureCollection') gj = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: gj }] };
      body = JSON.stringify(gj); ctype = GEOJSON;
    }
    const res = await fetch(API.batch, { method: 'POST', headers: { 'Content-Type': ctype, Accept: GEOJSON }, body });
    if (!res.ok) throw await problem(res);
    const out = await res.json();
    const feats = out.features || [];
    feats.forEach((f, i) => {
      const props = f.properties || {};
      const name = parcelName(props, f.id, state.parcels.length);
      const ans = props.locate;
      if (ans && typeof ans === 'object' && !ans.error) addParcel({ name, fid: f.id, geometry: f.geometry, answer: ans, props });
      else addParcel({ name, fid: f.id, geometry: f.geometry, error: '无法查询 Not located: ' + ((ans && (ans.error || ans.detail)) || props.locate_error || props.error || 'no answer'), props });
    });
    return feats.length;
  }
  async function handleFiles(files) {
    for (const file of files) {
      setStatus('上传中… Locating ' + file.name + '…');
      try {
        const n = await loadParcelFile(file);
        setStatus('已查询 ' + n + ' 个地块 Located ' + n + ' parcel(s) from ' + file.name + '.');
        $('#parcels').scrollIntoView({ block: 'nearest' });
        if (parcelLayer.getLayers().length) {
          const b = parcelLayer.getBounds();
          state.viewToken++;
          map.closePopup();
          map.stop(); // a running fly animation would otherwise leave the vectors undrawn
          if (b.isValid()) map.fitBounds(b, { padding: [40, 40], maxZoom: 15, animate: false });
        }
      } catch (err) {
        setStatus('地块文件处理失败 The parcel file failed: ' + err.message, true);
      }
    }
  }
  $('#parcel-file').addEventListener('change', (ev) => {
    const files = Array.from(ev.target.files || []);
    ev.target.value = '';
    if (files.length) handleFiles(files);
  });
  (function dragDrop() {
    const overlay = $('#drop-overlay');
    let depth = 0;
    const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files');
    document.addEventListener('dragenter', (ev) => { if (!hasFiles(ev)) return; ev.preventDefault(); depth++; overlay.hidden = false; });
    document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; overlay.hidden = true; } });
    document.addEventListener('dragover', (ev) => { if (hasFiles(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = 'copy'; } });
    document.addEventListener('drop', (ev) => {
      if (!hasFiles(ev)) return;
      ev.preventDefault();
      depth = 0; overlay.hidden = true;
      handleFiles(Array.from(ev.dataTransfer.files || []));
    });
  })();

  // CSV for Excel: UTF-8 with BOM, CRLF, quoted fields, no formula injection.
  function csvField(v) {
    let t = v == null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(t) && isNaN(Number(t))) t = "'" + t;
    return /[",\r\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  function parcelsCSV() {
    const head = ['序号 no', '名称 name', '主片区ID primary_area_id', '主片区 primary_area_zh', 'primary_area_en', '占比 share',
      '涉及片区 areas', '城 cities', '基地 bases', '在一廊 in_corridor', '面积 area_m2', '到一轴 axis_m', '到一链 chain_m', '最近道路 nearest_road', '到最近道路 nearest_road_m', '错误 error'];
    const rows = [head];
    state.parcels.forEach((p, i) => {
      const a = p.answer || {}, { area, share } = primaryOf(p.answer), n = a.nearest || {}, road = (n.roads || [])[0];
      rows.push([i + 1, p.name, area ? area.id : '', area ? area.name_zh : '', area ? area.name_en : '',
        share == null ? '' : (share > 1.0001 ? share / 100 : share).toFixed(4),
        (a.areas || []).map((x) => x.name_zh + ' ' + fmtShare(x.share)).join('; '),
        plainNames(a.cities), plainNames(a.bases), p.answer ? (a.in_corridor ? 'yes' : 'no') : '',
        a.area_m2 != null ? a.area_m2.toFixed(1) : '',
        n.axis ? n.axis.distance_m.toFixed(1) : '', n.chain ? n.chain.distance_m.toFixed(1) : '',
        road ? road.name_zh : '', road ? road.distance_m.toFixed(1) : '', p.error || '']);
    });
    return '\uFEFF' + rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
  }
  $('#parcels-csv').addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([parcelsCSV()], { type: 'text/csv;charset=utf-8' }));
    const a = h('a', { href: url, download: 'hetang-parcels.csv' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  $('#parcels-clear').addEventListener('click', () => {
    state.parcels = [];
    parcelLayer.clearLayers();
    $('#parcel-table tbody').replaceChildren();
    $('#parcels').hidden = true;
    setStatus('');
  });
  (function dropzone() {
    const z = $('#dropzone');
    z.addEventListener('dragover', () => z.classList.add('over'));
    z.addEventListener('dragleave', () => z.classList.remove('over'));
    z.addEventListener('drop', () => z.classList.remove('over'));
  })();

  // ---------- links ----------
  function buildLinks() {
    const links = state.webconfig.links || {};
    if (links.gpkg) $('#link-gpkg').href = links.gpkg;
    $('#ogcapi-url').value = new URL(links.ogcapi || '/ogcapi/', location.origin).href;
    $('#ogcapi-copy').addEventListener('click', async () => {
      const inp = $('#ogcapi-url');
      try { await navigator.clipboard.writeText(inp.value); } catch (_) { inp.select(); document.execCommand('copy'); }
      $('#ogcapi-copy').textContent = '已复制 Copied';
    });
    const ul = $('#layer-links');
    ul.replaceChildren(...state.catalog.layers.map((ly) => h('li', null,
      h('a', { href: API.layer(ly.id), download: 'hetang-' + ly.id + '.geojson', type: GEOJSON }, ly.title_zh + ' ' + ly.title_en),
      ' ', h('span', { class: 'en' }, '(' + ly.feature_count + ')'))));
    $('#notice-text').textContent = state.catalog.notice || state.webconfig.notice || '';
  }

  // ---------- debug hook for tests (read-only) ----------
  function layerCounts() {
    const out = {};
    for (const [id, rec] of Object.entries(state.layers)) {
      let drawn = 0;
      rec.geo.eachLayer((l) => {
        const node = l._path || l._icon;
        if (node && node.isConnected) drawn++;
      });
      out[id] = { features: rec.geo.getLayers().length, drawn, visible: map.hasLayer(rec.group), expected: rec.info.feature_count };
    }
    return out;
  }

  // ---------- boot ----------
  async function boot() {
    const [catalog, webconfig] = await Promise.all([fetchJSON(API.catalog), fetchJSON(API.webconfig)]);
    state.catalog = catalog;
    state.webconfig = webconfig;
    const infos = new Map(catalog.layers.map((l) => [l.id, l]));
    const overlays = {};
    for (const d of DEFS) {
      const info = infos.get(d.id);
      if (!info) continue;
      const rec = makeLayer(d, info);
      state.layers[d.id] = rec;
    }
    // layers the page has no style for still show, plainly
    for (const info of catalog.layers) {
      if (state.layers[info.id]) continue;
      map.createPane('p-' + info.id).style.zIndex = '435';
      const d = { id: info.id, on: true, points: info.geometry_type.endsWith('Point'),
        style: () => ({ color: '#555', weight: 2, fillOpacity: 0.15 }), point: () => ({ radius: 4, color: '#fff', weight: 1, fillColor: '#555', fillOpacity: 1 }) };
      state.layers[info.id] = makeLayer(d, info);
    }
    await loadLayers();
    for (const rec of Object.values(state.layers)) {
      if (rec.def.on) rec.group.addTo(map);
      if (!rec.def.fixed) overlays[layerControlLabel(rec)] = rec.group;
    }
    const bases = buildBasemaps();
    // expanded only where it leaves the map room; Leaflet's layers button otherwise
    L.control.layers(bases, overlays, { collapsed: window.innerWidth < 1500, position: 'topright' }).addTo(map);
    noticeControl(catalog.notice || webconfig.notice).addTo(map);
    const district = state.layers.district;
    const bounds = district && district.geo.getBounds().isValid() ? district.geo.getBounds() : parcelLayer.getBounds();
    map.fitBounds(bounds, { padding: [16, 16] });
    setZoomClasses();
    buildLegend();
    buildLinks();
    document.body.dataset.ready = 'true';
  }

  const ready = boot().catch((err) => {
    bootError('页面加载失败 The page failed to load: ' + err.message);
    throw err;
  });
  window.hetang = Object.freeze({
    ready,
    layerCounts,
    crs: () => state.crs,
    layersCRS: () => state.layersCRS, // the CRS the drawn layers are in, once loaded
    containerPoint: (lon, lat) => { const p = map.latLngToContainerPoint(L.latLng(lat, lon)); return { x: p.x, y: p.y }; },
    latLngAt: (x, y) => { const ll = map.containerPointToLatLng(L.point(x, y)); return [ll.lng, ll.lat]; },
    bounds: (id) => { // [west, south, east, north] of a layer (or 'parcels') as drawn, in the map's CRS
      const g = id === 'parcels' ? parcelLayer : state.layers[id] && state.layers[id].geo;
      const b = g && g.getBounds();
      return b && b.isValid() ? [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] : null;
    },
    zoom: () => map.getZoom(),
    parcels: () => state.parcels.map((p) => ({ name: p.name, primary_area: primaryOf(p.answer).area, error: p.error || null })),
  });
})();
