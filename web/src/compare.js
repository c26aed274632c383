// The compare view: several districts, one indicator; sortable table, bar chart with the
// municipal and national reference values, CSV download.
import { h, s, getJSON, fmt } from './util.js';
import { setCompare, selectDistrict, valueCell, indicator, indicatorName, unitShort, sourceLine } from './main.js';

let sort = { key: 'value', dir: 'desc' };
let token = 0;

export async function renderCompare(app) {
  const root = document.getElementById('compare-view');
  const t = (k, ...a) => app.t(k, ...a);
  const st = app.state;
  const ind = indicator();
  const my = ++token;

  const picker = h('select', { id: 'compare-pick' },
    h('option', { value: '' }, '—'),
    ...groupByKommun(app.districts.filter((d) => !st.cmp.includes(d.id))).map(([k, ds]) =>
      h('optgroup', { label: k }, ...ds.map((d) => h('option', { value: d.id }, d.name)))));
  const add = () => { if (picker.value) setCompare([...st.cmp, picker.value]); };
  const chips = h('ul', { class: 'chips', 'aria-label': t('compare_title') }, ...st.cmp.map((id) => {
    const d = app.districts.find((x) => x.id === id);
    const name = d?.name || id;
    return h('li', {}, h('span', {}, name),
      h('button', { type: 'button', 'aria-label': t('remove', name), onclick: () => setCompare(st.cmp.filter((x) => x !== id)) }, '×'));
  }));

  const body = h('div', { class: 'compare-body' });
  root.replaceChildren(
    h('div', { class: 'sheet-head' },
      h('h2', { id: 'compare-title' }, t('compare_title')),
      h('p', { class: 'hint' }, t('compare_intro'))),
    h('div', { class: 'compare-pick' },
      h('label', { for: 'compare-pick' }, t('compare_add')),
      h('div', { class: 'row' }, picker, h('button', { type: 'button', onclick: add }, t('add')))),
    chips,
    body,
  );
  picker.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } });

  if (!st.cmp.length) {
    body.replaceChildren(h('p', { class: 'empty' }, t('compare_empty')));
    return;
  }
  body.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  let c;
  try {
    c = await getJSON(`/api/compare?districts=${st.cmp.map(encodeURIComponent).join(',')}&indicator=${encodeURIComponent(st.indicator)}&year=${st.year}`);
  } catch (e) {
    if (my === token) body.replaceChildren(h('p', { class: 'error' }, `${t('error')}: ${e.message}`));
    return;
  }
  if (my !== token) return;
  const cat = app.indicators.find((i) => i.id === c.indicator?.id) || ind;
  const rows = [...c.rows];
  const cols = [
    ['name', t('col_name')], ['kommun_name', t('col_kommun')], ['status', t('col_status')],
    ['value', `${t('col_value')} (${unitShort(cat)})`], ['kommun_value', t('col_kommun_value')],
    ['sweden', t('col_sweden')], ['coverage', t('col_coverage')], ['rank', t('col_rank')],
  ];
  const keyOf = (r, k) => (k === 'rank' ? r.rank?.rank ?? null : k === 'sweden' ? c.references?.sweden ?? null : r[k]);
  rows.sort((a, b) => {
    const x = keyOf(a, sort.key), y = keyOf(b, sort.key);
    if (x == null && y == null) return 0;
    if (x == null) return 1; // missing last, whatever the direction
    if (y == null) return -1;
    const r = typeof x === 'string' ? x.localeCompare(y, 'sv') : x - y;
    return sort.dir === 'asc' ? r : -r;
  });
  const table = h('table', { class: 'compare-table', id: 'compare-table' },
    h('caption', {}, `${indicatorName(cat)}, ${c.year}`),
    h('thead', {}, h('tr', {}, ...cols.map(([k, label]) => {
      const active = sort.key === k;
      return h('th', { scope: 'col', class: ['value', 'kommun_value', 'sweden', 'coverage', 'rank'].includes(k) ? 'num' : '',
        'aria-sort': active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
      h('button', { type: 'button', class: 'sort', title: t('sort_by', label), onclick: () => {
        sort = { key: k, dir: active && sort.dir === 'desc' ? 'asc' : active ? 'desc' : (k === 'name' || k === 'kommun_name' ? 'asc' : 'desc') };
        renderCompare(app);
      } }, label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ' ↕')));
    }))),
    h('tbody', {}, ...rows.map((r) => h('tr', { 'data-id': r.id },
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => selectDistrict(r.id) }, r.name)),
      h('td', {}, r.kommun_name),
      h('td', {}, h('span', { class: `status ${r.status}`, title: t('status')[r.status] || r.status }, t('status_short')[r.status] || r.status)),
      h('td', { class: 'num', 'data-col': 'value' }, valueCell(r.value, cat, false)),
      h('td', { class: 'num' }, valueCell(r.kommun_value, cat, false)),
      h('td', { class: 'num' }, valueCell(c.references?.sweden ?? null, cat, false)),
      h('td', { class: 'num' }, r.coverage == null ? h('span', { class: 'missing' }, '–') : `${fmt(r.coverage * 100, 0, st.lang)} %`),
      h('td', { class: 'num' }, r.rank ? t('rank_of', r.rank.rank, r.rank.of) : h('span', { class: 'missing' }, '–'))))));

  const csv = h('button', { type: 'button', class: 'secondary', id: 'compare-csv', onclick: () => downloadCsv(app, c, cat) }, t('download_csv'));
  body.replaceChildren(
    h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'actions' }, csv),
    chart(app, c, rows, cat),
    h('p', { class: 'source' }, t('source', sourceLine(cat))),
  );
}

function groupByKommun(ds) {
  const m = new Map();
  for (const d of ds) {
    if (!m.has(d.kommun_name)) m.set(d.kommun_name, []);
    m.get(d.kommun_name).push(d);
  }
  return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0], 'sv'));
}

function chart(app, c, rows, ind) {
  const t = (k, ...a) => app.t(k, ...a);
  const lang = app.state.lang;
  const sweden = c.references?.sweden ?? null;
  const all = rows.flatMap((r) => [r.value, r.kommun_value]).concat([sweden]).filter((v) => v != null);
  const maxV = Math.max(0, ...all);
  const nice = niceMax(maxV || 1);
  const W = 640, left = 150, right = 70, rowH = 34, top = 26;
  const H = top + rows.length * rowH + 36;
  const x = (v) => left + (v / nice) * (W - left - right);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * nice);
  const colour = '#2c7fb8';
  const g = [];
  for (const tv of ticks) {
    g.push(s('line', { x1: x(tv), x2: x(tv), y1: top - 6, y2: H - 30, class: 'grid' }));
    g.push(s('text', { x: x(tv), y: H - 14, 'text-anchor': 'middle', class: 'tick' }, fmt(tv, tv % 1 ? 1 : 0, lang)));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    g.push(s('text', { x: left - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'label' }, r.name));
    if (r.value == null) {
      g.push(s('rect', { x: left, y: y + 7, width: 56, height: rowH - 14, class: 'bar-missing' }));
      g.push(s('text', { x: left + 64, y: y + rowH / 2 + 4, class: 'val' }, t('missing')));
    } else {
      g.push(s('rect', { x: left, y: y + 7, width: Math.max(1, x(r.value) - left), height: rowH - 14, fill: colour, class: 'bar' },
        s('title', {}, `${r.name}: ${fmt(r.value, ind.decimals, lang)}`)));
      g.push(s('text', { x: x(r.value) + 6, y: y + rowH / 2 + 4, class: 'val' }, fmt(r.value, ind.decimals, lang)));
    }
    if (r.kommun_value != null) {
      const kx = x(r.kommun_value);
      g.push(s('line', { x1: kx, x2: kx, y1: y + 2, y2: y + rowH - 2, class: 'kommun-mark' },
        s('title', {}, `${t('chart_kommun')} (${r.kommun_name}): ${fmt(r.kommun_value, ind.decimals, lang)}`)));
      g.push(s('path', { d: `M${kx - 5},${y + 1} L${kx + 5},${y + 1} L${kx},${y + 7} Z`, class: 'kommun-mark-head' }));
    }
  });
  if (sweden != null) {
    g.push(s('line', { x1: x(sweden), x2: x(sweden), y1: top - 8, y2: H - 30, class: 'sweden-mark' }));
    g.push(s('text', { x: x(sweden), y: top - 12, 'text-anchor': 'middle', class: 'tick' }, t('chart_sweden')));
  }
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'bar-chart', id: 'compare-chart', role: 'img',
    'aria-label': `${indicatorName(ind)} ${c.year}. ${t('chart_alt')}` }, ...g);
  return h('figure', { class: 'chart' },
    h('figcaption', {}, t('chart_title', `${indicatorName(ind)} (${unitShort(ind)})`, c.year)),
    svg,
    h('ul', { class: 'chart-key' },
      h('li', {}, h('span', { class: 'key-bar', 'aria-hidden': 'true' }), t('col_district')),
      h('li', {}, h('span', { class: 'key-kommun', 'aria-hidden': 'true' }), t('chart_kommun')),
      h('li', {}, h('span', { class: 'key-sweden', 'aria-hidden': 'true' }),
        `${t('chart_sweden')}${sweden == null ? ': ' + t('missing') : ''}`)));
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function csvCell(v) {
  if (v == null) return '';
  const str = String(v);
  return /[",\n;]/.test(str) ? `"${str.replace(/"/g, '""')}"` : str;
}

function downloadCsv(app, c, ind) {
  const head = ['id', 'name', 'kommun', 'kommun_name', 'status', 'indicator', 'unit', 'year', 'value', 'computed', 'coverage', 'rank', 'of', 'kommun_value', 'sweden'];
  const lines = [head.join(',')];
  for (const r of c.rows) {
    lines.push([r.id, r.name, r.kommun, r.kommun_name, r.status, ind.id, ind.unit, c.year, r.value, r.computed, r.coverage,
      r.rank?.rank, r.rank?.of, r.kommun_value, c.references?.sweden].map(csvCell).join(','));
  }
  const blob = new Blob([lines.join('\n') + '\n'], { type: 'text/csv;charset=utf-8' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `stadsatlas-${ind.id}-${c.year}.csv` });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
