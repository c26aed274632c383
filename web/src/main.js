// stadsatlas: the web atlas. One page: map, controls, district panel, table and compare
// views; all state in the URL.
import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import { TEXT } from './i18n.js';
import { breaksFor, classOf, YLGNBU5 } from './classify.js';
import { h, getJSON, fmt, debounce } from './util.js';
import { renderPanel } from './panel.js';
import { renderCompare } from './compare.js';
import { renderTable } from './table.js';

const ORIGIN = location.origin;
const DEFAULT_VIEW = { lng: 15.6, lat: 62.4, z: 3.9 };
const MISSING = '#c8c8c8';

// MapLibre's tile workers start now, while the page boots.
maplibregl.prewarm();

export const app = {
  state: {
    lang: 'sv', indicator: null, year: null, cls: 'quantiles', sel: null, cmp: [], view: 'map',
    lng: DEFAULT_VIEW.lng, lat: DEFAULT_VIEW.lat, z: DEFAULT_VIEW.z,
  },
  indicators: [], // catalogue
  districts: [], // district list
  breaks: [],
  palette: YLGNBU5,
  values: null, // {indicator, year, values: [...]} for level=areas
  map: null,
  t: (k, ...a) => {
    const v = TEXT[app.state.lang][k];
    return typeof v === 'function' ? v(...a) : v;
  },
};
window.__atlas = app;
window.__atlasIdle = false;

// ---------------------------------------------------------------- URL state

function readUrl() {
  const p = new URLSearchParams(location.search);
  const st = { ...app.state };
  st.lang = p.get('lang') === 'en' ? 'en' : 'sv';
  st.indicator = p.get('indicator') || null;
  st.year = p.get('year') ? Number(p.get('year')) : null;
  const c = p.get('class');
  st.cls = ['quantiles', 'equal', 'jenks'].includes(c) ? c : 'quantiles';
  st.sel = p.get('district') || null;
  st.cmp = (p.get('compare') || '').split(',').filter(Boolean);
  const v = p.get('view');
  st.view = ['map', 'table', 'compare'].includes(v) ? v : 'map';
  const m = (p.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite)) [st.z, st.lat, st.lng] = m;
  else Object.assign(st, DEFAULT_VIEW, window.innerWidth < 760 ? { z: 3.3, lat: 62.0 } : {});
  return st;
}

function urlOf(st) {
  const p = new URLSearchParams();
  if (st.indicator) p.set('indicator', st.indicator);
  if (st.year) p.set('year', st.year);
  p.set('class', st.cls);
  if (st.sel) p.set('district', st.sel);
  if (st.cmp.length) p.set('compare', st.cmp.join(','));
  if (st.view !== 'map') p.set('view', st.view);
  if (st.lang !== 'sv') p.set('lang', st.lang);
  p.set('map', `${st.z.toFixed(2)}/${st.lat.toFixed(5)}/${st.lng.toFixed(5)}`);
  return `${location.pathname}?${p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/')}`;
}

function syncMapState() {
  if (!app.map) return;
  const c = app.map.getCenter();
  app.state.lng = c.lng;
  app.state.lat = c.lat;
  app.state.z = app.map.getZoom();
}

export function pushState() {
  syncMapState();
  history.pushState(null, '', urlOf(app.state));
}

function replaceState() {
  syncMapState();
  history.replaceState(null, '', urlOf(app.state));
}

// ---------------------------------------------------------------- indicators

export function indicator(id = app.state.indicator) {
  return app.indicators.find((i) => i.id === id);
}

export function indicatorName(ind) {
  if (!ind) return '';
  return ind.name?.[app.state.lang] || ind.name?.sv || ind.id;
}

export function unitShort(ind) {
  return ind ? TEXT[app.state.lang].units[ind.unit] ?? ind.unit : '';
}

export function format(value, ind = indicator()) {
  return fmt(value, ind?.decimals ?? 1, app.state.lang);
}

/** A formatted value with its unit, or a "missing" element. */
export function valueCell(value, ind = indicator(), withUnit = true) {
  const f = format(value, ind);
  if (f === null) return h('span', { class: 'missing', title: app.t('missing') }, app.t('missing'));
  const u = unitShort(ind);
  return withUnit && u ? (u === '%' ? `${f} %` : `${f} ${u}`) : f;
}

function yearsOf(ind) {
  const y = ind?.years?.regso?.length ? ind.years.regso : ind?.years?.district || [];
  return [...y].sort((a, b) => b - a);
}

// ---------------------------------------------------------------- map

function hatchImage() {
  const size = 8;
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const g = c.getContext('2d');
  g.fillStyle = '#e6e6e6';
  g.fillRect(0, 0, size, size);
  g.strokeStyle = '#8a8a8a';
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(0, size); g.lineTo(size, 0);
  g.moveTo(-size / 2, size / 2); g.lineTo(size / 2, -size / 2);
  g.moveTo(size / 2, size * 1.5); g.lineTo(size * 1.5, size / 2);
  g.stroke();
  return g.getImageData(0, 0, size, size);
}

function tileJsonUrl(layer) {
  const st = app.state;
  return `${ORIGIN}/tiles/${layer}.json?indicator=${encodeURIComponent(st.indicator)}&year=${st.year}`;
}

function fillExpression() {
  const b = app.breaks;
  const pal = app.palette;
  if (!b.length) return MISSING;
  const step = ['step', ['get', 'value'], pal[0]];
  b.forEach((x, i) => step.push(x, pal[Math.min(i + 1, pal.length - 1)]));
  return ['case', ['has', 'value'], step, MISSING];
}

/** The style with its sources' TileJSON inlined (saves a round trip after the map starts). */
async function inlineTileJson(style) {
  const sources = {};
  await Promise.all(Object.entries(style.sources).map(async ([id, src]) => {
    sources[id] = src;
    if (!src.url) return;
    try {
      const tj = await getJSON(src.url);
      sources[id] = { type: src.type, tiles: tj.tiles, minzoom: tj.minzoom, maxzoom: tj.maxzoom, bounds: tj.bounds,
        attribution: tj.attribution || src.attribution };
    } catch { /* keep the URL */ }
  }));
  return { ...style, sources };
}

/** Our style from the server, with the layers the page needs added. */
function adaptStyle(style) {
  const layers = [];
  for (const l of style.layers) {
    if (l.id === 'areas-fill') {
      layers.push({ ...l, minzoom: 0, paint: { ...l.paint, 'fill-color': fillExpression(), 'fill-opacity': 0.9 } });
      layers.push({
        id: 'areas-missing', type: 'fill', source: 'areas', 'source-layer': 'areas', minzoom: 0,
        filter: ['!', ['has', 'value']], paint: { 'fill-pattern': 'hatch' },
      });
    } else if (l.id === 'districts-candidate') {
      layers.push({
        id: 'districts-fill', type: 'fill', source: 'districts', 'source-layer': 'districts',
        paint: { 'fill-color': '#000000', 'fill-opacity': 0 },
      });
      layers.push({
        id: 'districts-compared', type: 'line', source: 'districts', 'source-layer': 'districts',
        filter: ['in', ['get', 'id'], ['literal', []]],
        paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 4, 12, 8], 'line-opacity': 0.9 },
      });
      layers.push({
        id: 'districts-selected', type: 'line', source: 'districts', 'source-layer': 'districts',
        filter: ['==', ['get', 'id'], ''],
        paint: { 'line-color': '#f4a259', 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 6, 12, 11] },
      });
      layers.push(l);
    } else if (l.id === 'district-labels') {
      layers.push({
        ...l, minzoom: 8,
        layout: { ...l.layout, 'text-size': ['interpolate', ['linear'], ['zoom'], 8, 11, 13, 15], 'text-padding': 4 },
        paint: { ...l.paint, 'text-color': '#111820', 'text-halo-width': 2 },
      });
    } else {
      layers.push(l);
    }
  }
  return { ...style, layers };
}

function setDistrictFilters() {
  const map = app.map;
  if (!map || !map.getLayer('districts-selected')) return;
  map.setFilter('districts-selected', ['==', ['get', 'id'], app.state.sel || '']);
  map.setFilter('districts-compared', ['in', ['get', 'id'], ['literal', app.state.cmp]]);
}

let idleWaiters = [];
let paintPending = true; // until the first classified style is set
function markBusy() {
  window.__atlasIdle = false;
}

function initMap(style) {
  const st = app.state;
  const map = new maplibregl.Map({
    container: 'map',
    style,
    center: [st.lng, st.lat],
    zoom: st.z,
    minZoom: 3,
    maxZoom: 16,
    maxBounds: [[-5, 50], [40, 72]],
    fadeDuration: 0,
    attributionControl: { compact: true },
    canvasContextAttributes: { preserveDrawingBuffer: true },
    dragRotate: false,
    pitchWithRotate: false,
    locale: {},
  });
  app.map = map;
  // The hatch for missing values, there before any tile asks for it.
  try { map.addImage('hatch', hatchImage()); } catch { /* added on styleimagemissing */ }
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('styleimagemissing', (e) => {
    if (e.id === 'hatch' && !map.hasImage('hatch')) map.addImage('hatch', hatchImage());
  });
  map.on('style.load', () => {
    setDistrictFilters();
    applyLayerToggles();
  });
  map.on('idle', () => {
    if (paintPending) return;
    window.__atlasIdle = true;
    if (!window.__atlasFirstPaint && app.breaks.length) window.__atlasFirstPaint = performance.now();
    const w = idleWaiters;
    idleWaiters = [];
    w.forEach((f) => f());
  });
  map.on('zoom', updateZoomNote);
  map.on('moveend', (e) => {
    if (e.fromHistory) return;
    replaceState();
  });
  map.on('mousemove', (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: ['districts-fill'] });
    map.getCanvas().style.cursor = f.length ? 'pointer' : '';
  });
  map.on('click', (e) => {
    const d = map.queryRenderedFeatures(e.point, { layers: ['districts-fill'] });
    if (d.length) {
      selectDistrict(d[0].properties.id, { fit: false });
      return;
    }
    const a = map.queryRenderedFeatures(e.point, { layers: ['areas-fill'] });
    if (a.length) {
      const p = a[0].properties;
      const ind = indicator();
      new maplibregl.Popup({ closeButton: true, maxWidth: '260px' })
        .setLngLat(e.lngLat)
        .setDOMContent(h('div', { class: 'popup' },
          h('strong', {}, p.name), h('div', { class: 'muted' }, `${p.kommun_name} · ${p.code}`),
          h('div', {}, `${indicatorName(ind)} ${st.year}: `, h('b', {}, valueCell(p.value ?? null, ind)))))
        .addTo(map);
    }
  });
  return map;
}


/** Class breaks and palette from the values (or, without the values API, the style's own quantile breaks). */
function classify(values, style) {
  const ind = indicator();
  if (values?.values) {
    app.values = { indicator: app.state.indicator, year: app.state.year, values: values.values };
    app.breaks = breaksFor(app.state.cls, values.values.map((v) => v.value), 5);
  } else {
    app.breaks = style?.metadata?.['stadsatlas:breaks'] || [];
  }
  app.palette = ind?.higher_is_better === false ? [...YLGNBU5].reverse() : YLGNBU5;
}

/** Classify the current indicator/year and colour the map and legend. */
async function updateChoropleth() {
  const st = app.state;
  const ind = indicator();
  paintPending = true;
  markBusy();
  let values = null;
  try {
    const body = await getJSON(`/api/indicators/${encodeURIComponent(st.indicator)}/values?level=areas&year=${st.year}`);
    values = body.values;
    app.values = { indicator: st.indicator, year: st.year, values };
  } catch {
    app.values = null;
  }
  if (st.indicator !== ind?.id) { paintPending = false; return; }
  let style = null;
  if (!values) {
    try {
      style = await getJSON(`/styles/atlas.json?indicator=${encodeURIComponent(st.indicator)}&year=${st.year}`);
    } catch { /* no breaks */ }
  }
  classify(values ? { values } : null, style);
  const map = app.map;
  if (map) {
    const areas = map.getSource('areas');
    const districts = map.getSource('districts');
    const want = tileJsonUrl('areas');
    if (areas && (areas.url || '') !== want) {
      areas.setUrl(want);
      districts?.setUrl(tileJsonUrl('districts'));
    }
    map.setPaintProperty('areas-fill', 'fill-color', fillExpression());
  }
  paintPending = false;
  renderLegend();
  updateZoomNote();
  if (map) map.triggerRepaint();
  if (st.view === 'table') renderTable(app);
  if (st.view === 'compare') renderCompare(app);
}

// ---------------------------------------------------------------- controls

const $ = (sel) => document.querySelector(sel);

function updateZoomNote() {
  const note = $('#zoom-note');
  const n = new Set((app.values?.values || []).filter((v) => v.value != null).map((v) => v.kommun)).size;
  note.hidden = !app.map || app.map.getZoom() >= 6 || !n;
  if (!note.hidden) note.textContent = app.t('zoom_note', n);
}

function renderStaticText() {
  const t = TEXT[app.state.lang];
  document.documentElement.lang = app.state.lang;
  document.title = app.state.lang === 'en' ? "Stadsatlas – Sweden's segregated urban districts" : 'Stadsatlas – Sveriges utsatta stadsdelar';
  document.querySelectorAll('[data-i18n]').forEach((el) => {
    const v = t[el.dataset.i18n];
    if (typeof v === 'string') el.textContent = v;
  });
  document.querySelectorAll('[data-i18n-ph]').forEach((el) => { el.placeholder = t[el.dataset.i18nPh]; });
  document.querySelectorAll('[data-i18n-aria]').forEach((el) => { el.setAttribute('aria-label', t[el.dataset.i18nAria]); });
  document.querySelectorAll('[data-lang]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === app.state.lang)));
}

function renderIndicatorControls() {
  const sel = $('#indicator');
  sel.replaceChildren(...app.indicators.map((i) => h('option', { value: i.id }, indicatorName(i))));
  sel.value = app.state.indicator;
  const ind = indicator();
  const ys = yearsOf(ind);
  $('#year').replaceChildren(...(ys.length ? ys : [app.state.year]).map((y) => h('option', { value: y }, y)));
  $('#year').value = app.state.year;
  $('#year').disabled = ys.length <= 1;
  $('#classification').value = app.state.cls;
  $('#definition').textContent = ind?.definition?.[app.state.lang] || ind?.definition?.sv || ind?.definition?.en || '';
  $('#source-line').textContent = ind ? app.t('source', sourceLine(ind)) : '';
}

export function sourceLine(ind) {
  if (!ind) return '';
  return [ind.source, ind.source_table && `${app.state.lang === 'en' ? 'table' : 'tabell'} ${ind.source_table}`, ind.licence]
    .filter(Boolean).join(', ');
}

function renderLegend() {
  const ind = indicator();
  const b = app.breaks;
  const pal = app.palette;
  const u = unitShort(ind);
  const cap = ind?.higher_is_better == null ? 'legend_caption_neutral' : 'legend_caption';
  $('#legend-caption').textContent = `${indicatorName(ind)}. ${app.t(cap, TEXT[app.state.lang].unit_long[ind?.unit] || ind?.unit || '', app.state.year)}`;
  const items = [];
  const n = b.length + 1;
  for (let i = 0; i < n; i++) {
    const lo = i === 0 ? null : b[i - 1];
    const hi = i === n - 1 ? null : b[i];
    let label;
    if (lo === null && hi === null) label = app.t('missing');
    else if (lo === null) label = `< ${format(hi, ind)}`;
    else if (hi === null) label = `≥ ${format(lo, ind)}`;
    else label = `${format(lo, ind)} – < ${format(hi, ind)}`;
    items.push(h('li', {}, h('span', { class: 'swatch', style: `background:${pal[Math.min(i, pal.length - 1)]}`, 'aria-hidden': 'true' }),
      h('span', {}, `${label}${u && label !== app.t('missing') ? ' ' + u : ''}`)));
  }
  $('#legend-classes').replaceChildren(...items);
  $('#legend-classes').dataset.breaks = JSON.stringify(b);
}

const LAYER_GROUPS = {
  areas: ['areas-fill', 'areas-missing', 'areas-line'],
  original: ['districts-original'],
  candidate: ['districts-candidate'],
  kommuner: ['kommuner-line'],
  labels: ['district-labels'],
};

/** One checkbox per programme (from the district list); unchecked programmes' districts are hidden. */
function renderProgrammeToggles() {
  const box = $('#programme-toggles');
  const seen = new Map();
  for (const d of app.districts) for (const p of d.programmes || []) if (!seen.has(p.id)) seen.set(p.id, p);
  const checked = new Set([...box.querySelectorAll('input')].filter((i) => !i.checked).map((i) => i.value));
  box.querySelectorAll('label').forEach((l) => l.remove());
  for (const p of [...seen.values()].sort((a, b) => (a.period || '').localeCompare(b.period || ''))) {
    box.append(h('label', {}, h('input', { type: 'checkbox', value: p.id, checked: !checked.has(p.id), 'data-programme': p.id,
      onchange: applyLayerToggles }), ' ', h('span', {}, `${p.name}${p.period && !p.name.includes(p.period) ? ` (${p.period})` : ''}`)));
  }
  box.hidden = seen.size === 0;
}

function programmeFilter() {
  const boxes = [...document.querySelectorAll('[data-programme]')];
  if (!boxes.length || boxes.every((b) => b.checked)) return null;
  // By district id (the label points do not carry the programmes).
  const on = new Set(boxes.filter((b) => b.checked).map((b) => b.value));
  const ids = app.districts.filter((d) => (d.programmes || []).some((p) => on.has(p.id))).map((d) => d.id);
  return ['in', ['get', 'id'], ['literal', ids]];
}

function applyLayerToggles() {
  const map = app.map;
  if (!map) return;
  const pf = programmeFilter();
  const withP = (f) => (pf ? ['all', f, pf] : f);
  if (map.getLayer('districts-original')) {
    map.setFilter('districts-original', withP(['==', ['get', 'status'], 'original']));
    map.setFilter('districts-candidate', withP(['==', ['get', 'status'], 'candidate']));
    map.setFilter('districts-fill', pf);
    map.setFilter('district-labels', pf);
  }
  document.querySelectorAll('[data-layer]').forEach((cb) => {
    for (const id of LAYER_GROUPS[cb.dataset.layer] || []) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', cb.checked ? 'visible' : 'none');
    }
  });
}

// ---------------------------------------------------------------- search (ARIA combobox)

function initSearch() {
  const input = $('#search-input');
  const list = $('#search-list');
  let hits = [];
  let active = -1;
  let pending = null;
  let gen = 0; // bumped when a choice closes the list: late answers must not reopen it

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const render = () => {
    const t = TEXT[app.state.lang];
    if (!hits.length) {
      list.replaceChildren(h('li', { class: 'empty', role: 'option', 'aria-disabled': 'true' }, t.search_none));
    } else {
      list.replaceChildren(...hits.map((hit, i) => h('li', {
        id: `search-opt-${i}`, role: 'option', 'aria-selected': String(i === active),
        class: i === active ? 'active' : '',
        onmousedown: (e) => { e.preventDefault(); choose(i); },
      }, h('span', { class: 'name' }, hit.name),
      h('span', { class: 'kind' }, [t.kind[hit.kind] || hit.kind, hit.kommun_name].filter(Boolean).join(' · ')))));
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    if (active >= 0) input.setAttribute('aria-activedescendant', `search-opt-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };
  const search = async (q) => {
    const my = gen;
    q = q.trim();
    if (q.length < 2) { hits = []; close(); return; }
    try {
      hits = await getJSON(`/api/search?q=${encodeURIComponent(q)}`);
    } catch {
      // Without the search API: the district list.
      const f = q.toLocaleLowerCase('sv');
      hits = app.districts.filter((d) => d.name.toLocaleLowerCase('sv').includes(f))
        .map((d) => ({ kind: 'district', id: d.id, name: d.name, kommun_name: d.kommun_name, bbox: d.bbox }));
    }
    if (input.value.trim() !== q || my !== gen) return;
    active = -1;
    render();
  };
  const debounced = debounce((q) => { pending = search(q); }, 150);
  const choose = (i) => {
    const hit = hits[i];
    if (!hit) return;
    input.value = hit.name;
    debounced.cancel();
    gen++;
    close();
    if (hit.kind === 'district') selectDistrict(hit.id, { bbox: hit.bbox, fit: true });
    else if (hit.bbox) {
      fitBbox(hit.bbox);
      status(`${hit.name}`);
    }
  };
  input.addEventListener('input', () => debounced(input.value));
  input.addEventListener('keydown', async (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (list.hidden) { await search(input.value); }
      if (!hits.length) return;
      active = e.key === 'ArrowDown' ? (active + 1) % hits.length : (active - 1 + hits.length) % hits.length;
      render();
      document.getElementById(`search-opt-${active}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (active < 0) {
        const q = input.value;
        await (pending || Promise.resolve());
        if (!hits.length || list.hidden) await search(q);
      }
      choose(active >= 0 ? active : 0);
    } else if (e.key === 'Escape') {
      if (!list.hidden) { e.preventDefault(); close(); } else input.value = '';
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
}

function fitBbox(b) {
  if (!app.map || !b) return;
  const [w, s2, e, n] = b;
  const narrow = window.innerWidth < 760;
  app.map.fitBounds([[w, s2], [e, n]], {
    padding: narrow ? 40 : 100,
    maxZoom: 12, duration: 0, // the district with its neighbours
  });
}

function status(msg) {
  $('#status').textContent = msg;
}

// ---------------------------------------------------------------- selection, views

export async function selectDistrict(id, { fit = true, bbox = null, push = true } = {}) {
  app.state.sel = id;
  setDistrictFilters();
  if (fit) {
    const b = bbox || app.districts.find((d) => d.id === id)?.bbox;
    if (b) fitBbox(b);
  }
  if (push) pushState();
  await renderPanel(app, id);
  const d = app.districts.find((x) => x.id === id);
  status(app.t('selected_status', d?.name || id));
}

export function showDistrictOnMap(id, bbox) {
  if (app.state.view !== 'map') setView('map', false);
  fitBbox(bbox || app.districts.find((d) => d.id === id)?.bbox);
  pushState();
}

export function closePanel() {
  app.state.sel = null;
  setDistrictFilters();
  $('#panel').hidden = true;
  document.body.classList.remove('with-panel');
  app.map?.resize();
  pushState();
}

export function setCompare(ids, push = true) {
  app.state.cmp = [...new Set(ids)];
  setDistrictFilters();
  if (push) pushState();
  if (app.state.view === 'compare') renderCompare(app);
  if (app.state.sel) renderPanel(app, app.state.sel);
}

export function setView(view, push = true) {
  app.state.view = view;
  document.querySelectorAll('[data-view]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === view)));
  $('#table-view').hidden = view !== 'table';
  $('#compare-view').hidden = view !== 'compare';
  document.body.dataset.mode = view;
  if (view === 'table') renderTable(app);
  if (view === 'compare') renderCompare(app);
  if (push) pushState();
}

function initControls() {
  $('#indicator').addEventListener('change', (e) => {
    app.state.indicator = e.target.value;
    const ys = yearsOf(indicator());
    if (!ys.includes(app.state.year)) app.state.year = ys[0] ?? app.state.year;
    renderIndicatorControls();
    pushState();
    updateChoropleth();
    if (app.state.sel) renderPanel(app, app.state.sel);
  });
  $('#year').addEventListener('change', (e) => {
    app.state.year = Number(e.target.value);
    pushState();
    updateChoropleth();
  });
  $('#classification').addEventListener('change', (e) => {
    app.state.cls = e.target.value;
    pushState();
    updateChoropleth();
  });
  document.querySelectorAll('[data-layer]').forEach((cb) => cb.addEventListener('change', applyLayerToggles));
  document.querySelectorAll('[data-lang]').forEach((b) => b.addEventListener('click', () => {
    app.state.lang = b.dataset.lang;
    pushState();
    renderAll();
  }));
  document.querySelectorAll('[data-view]').forEach((b) => b.addEventListener('click', () => setView(b.dataset.view)));
  window.addEventListener('popstate', () => applyState(readUrl()));
}

function renderAll() {
  renderStaticText();
  updateZoomNote();
  renderIndicatorControls();
  renderLegend();
  if (app.state.sel) renderPanel(app, app.state.sel);
  if (app.state.view === 'table') renderTable(app);
  if (app.state.view === 'compare') renderCompare(app);
}

/** Back/forward: make the page show `st`. */
function applyState(st) {
  const old = app.state;
  app.state = st;
  const dataChanged = st.indicator !== old.indicator || st.year !== old.year || st.cls !== old.cls;
  if (!indicator()) app.state.indicator = old.indicator;
  if (app.map) app.map.jumpTo({ center: [st.lng, st.lat], zoom: st.z }, { fromHistory: true });
  setDistrictFilters();
  renderAll();
  setView(st.view, false);
  if (st.sel) renderPanel(app, st.sel);
  else { $('#panel').hidden = true; document.body.classList.remove('with-panel'); }
  if (dataChanged) updateChoropleth();
}

// ---------------------------------------------------------------- boot

async function boot() {
  app.state = readUrl();
  renderStaticText();
  initControls();
  initSearch();
  const st = app.state;
  const q = (ind, year) => `indicator=${encodeURIComponent(ind)}${year ? '&year=' + year : ''}`;
  const want = st.indicator || 'employment_rate';
  // All first requests at once (index.html started them already, so they are usually here
  // by the time this module runs).
  const early = Promise.allSettled([
    getJSON('/api/indicators'), getJSON('/api/districts'),
    getJSON(`/styles/atlas.json?${q(want, st.year)}`),
    getJSON(`/api/indicators/${encodeURIComponent(want)}/values?level=areas${st.year ? '&year=' + st.year : ''}`),
  ]);
  performance.mark('atlas:boot');
  const [inds, dists, style0, values0] = await early;
  app.districts = dists.status === 'fulfilled' ? dists.value : [];
  let style = style0.status === 'fulfilled' ? style0.value : null;
  let values = values0.status === 'fulfilled' ? values0.value : null;
  if (inds.status === 'fulfilled' && inds.value.length) {
    app.indicators = inds.value;
    st.indicator = want;
    if (!indicator()) st.indicator = indicator('employment_rate') ? 'employment_rate' : app.indicators[0].id;
    const ys = yearsOf(indicator());
    if (!st.year || !ys.includes(st.year)) st.year = style?.metadata?.['stadsatlas:year'] ?? indicator().latest_year ?? ys[0];
  } else {
    // Without the catalogue: the style's own indicator.
    if (!style) style = await getJSON('/styles/atlas.json');
    const m = style.metadata || {};
    st.indicator = m['stadsatlas:indicator'];
    st.year = m['stadsatlas:year'];
    app.indicators = [{ id: st.indicator, name: m['stadsatlas:indicator_name'] || { sv: st.indicator }, unit: m['stadsatlas:unit'], decimals: 1, higher_is_better: true, years: { regso: [st.year] } }];
  }
  if (!style || style.metadata?.['stadsatlas:indicator'] !== st.indicator || style.metadata?.['stadsatlas:year'] !== st.year) {
    style = await getJSON(`/styles/atlas.json?${q(st.indicator, st.year)}`);
  }
  if (!values || values.indicator?.id !== st.indicator || values.year !== st.year) {
    values = await getJSON(`/api/indicators/${encodeURIComponent(st.indicator)}/values?level=areas&year=${st.year}`).catch(() => null);
  }
  style = await inlineTileJson(style);
  history.replaceState(null, '', urlOf(st));
  renderIndicatorControls();
  renderProgrammeToggles();
  classify(values, style);
  performance.mark('atlas:data');
  initMap(adaptStyle(style));
  performance.mark('atlas:map-created');
  updateZoomNote();
  paintPending = false;
  renderLegend();
  setView(st.view, false);
  if (st.sel) selectDistrict(st.sel, { fit: false, push: false });
}

boot().catch((e) => {
  console.error(e);
  document.getElementById('status').textContent = String(e.message || e);
});
