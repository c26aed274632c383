// The district panel: who, where, which programmes, every indicator beside the
// municipality and Sweden, ranks, series, coverage and sources.
import { h, s, getJSON, fmt } from './util.js';
import { closePanel, setCompare, setView, showDistrictOnMap, valueCell, indicatorName, sourceLine, indicator, unitShort } from './main.js';

let token = 0;

export async function renderPanel(app, id) {
  const panel = document.getElementById('panel');
  const t = (k, ...a) => app.t(k, ...a);
  const my = ++token;
  panel.hidden = false;
  document.body.classList.add('with-panel');
  app.map?.resize();
  panel.setAttribute('aria-busy', 'true');
  if (panel.dataset.id !== id) panel.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  let p;
  try {
    p = await getJSON(`/api/districts/${encodeURIComponent(id)}`);
  } catch (e) {
    if (my !== token) return;
    panel.replaceChildren(header(app, id, null), h('p', { class: 'error' }, `${t('error')}: ${e.message}`));
    panel.removeAttribute('aria-busy');
    return;
  }
  if (my !== token) return;
  panel.dataset.id = id;
  const inCompare = app.state.cmp.includes(id);
  const lang = app.state.lang;

  const programmes = h('ul', { class: 'programmes' }, ...(p.programmes || []).map((pr) =>
    h('li', {}, h('span', {}, pr.name, pr.period ? ` (${pr.period})` : ''), ' ',
      h('span', { class: `badge ${pr.evidence}`, title: [pr.note, pr.source].filter(Boolean).join(' — ') }, t('evidence')[pr.evidence] || pr.evidence))));

  const rows = (p.indicators || []).map((ind) => {
    const r = ind.rank?.among_districts;
    const cat = app.indicators.find((i) => i.id === ind.id) || ind;
    const isCurrent = ind.id === app.state.indicator;
    return h('tr', { class: isCurrent ? 'current' : '', 'data-indicator': ind.id },
      h('th', { scope: 'row' }, ind.name?.[lang] || ind.name?.sv || ind.id,
        h('span', { class: 'year' }, ` ${[unitShort(cat), ind.latest?.year].filter(Boolean).join(', ')}`)),
      h('td', { class: 'num', 'data-col': 'district' }, valueCell(ind.latest?.value ?? null, cat, false)),
      h('td', { class: 'num', 'data-col': 'kommun' }, valueCell(ind.kommun?.value ?? null, cat, false)),
      h('td', { class: 'num', 'data-col': 'sweden' }, valueCell(ind.sweden?.value ?? null, cat, false)),
      h('td', { class: 'num', 'data-col': 'rank' }, r ? t('rank_of', r.rank, r.of) : h('span', { class: 'missing' }, '–')));
  });

  const notes = [];
  const cov = (p.indicators || []).filter((i) => i.latest?.coverage != null && i.latest.coverage < 0.995);
  for (const i of cov) {
    notes.push(h('li', {}, `${i.name?.[lang] || i.id}: `,
      t('coverage', `${fmt(i.latest.coverage * 100, 0, lang)} %`)));
  }
  if ((p.indicators || []).some((i) => i.latest?.computed)) notes.push(h('li', {}, `${t('computed')}${methodNote(p)}.`));
  if (p.mapping && t('mapping')[p.mapping]) notes.push(h('li', {}, t('mapping')[p.mapping]));
  if ((p.indicators || []).every((i) => i.sweden?.value == null)) notes.push(h('li', {}, t('sweden_missing')));

  const series = (p.indicators || []).filter((i) => (i.series || []).filter((x) => x.value != null).length > 1);
  const cur = indicator();
  panel.replaceChildren(...[
    header(app, id, p),
    h('p', { class: 'meta' },
      h('span', { class: `status ${p.status}` }, t('status')[p.status] || p.status),
      ' · ', `${t('municipality')}: ${p.kommun_name}`,
      p.area_km2 != null ? ` · ${t('area_km2', fmt(p.area_km2, 1, lang))}` : ''),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button', class: 'secondary', 'aria-pressed': String(inCompare),
        onclick: () => setCompare(inCompare ? app.state.cmp.filter((x) => x !== id) : [...app.state.cmp, id]),
      }, inCompare ? `✓ ${t('in_compare')}` : `+ ${t('add_compare')}`),
      h('button', { type: 'button', class: 'secondary', onclick: () => showDistrictOnMap(id, p.bbox) }, t('show_on_map'))),
    h('h3', {}, t('programmes')),
    programmes,
    h('div', { class: 'table-wrap' }, h('table', { class: 'profile' },
      h('caption', { class: 'visually-hidden' }, p.name),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('col_indicator')),
        h('th', { scope: 'col', class: 'num' }, t('col_district_short')),
        h('th', { scope: 'col', class: 'num' }, t('col_kommun_short'), h('br'), h('span', { class: 'sub' }, p.kommun_name)),
        h('th', { scope: 'col', class: 'num' }, t('col_sweden')),
        h('th', { scope: 'col', class: 'num' }, t('col_rank_short')))),
      h('tbody', {}, ...rows))),
    h('p', { class: 'hint' }, t('rank_note')),
    series.length ? h('h3', {}, t('series')) : null,
    ...series.map((i) => seriesChart(app, i)),
    notes.length ? h('ul', { class: 'notes' }, ...notes) : null,
    h('p', { class: 'source' }, t('source', sourceLine(cur) || 'SCB')),
  ].filter(Boolean));
  panel.removeAttribute('aria-busy');
}

function methodNote(p) {
  const m = (p.indicators || []).find((i) => i.latest?.method)?.latest.method;
  return m ? ` (${m})` : '';
}

function header(app, id, p) {
  const d = app.districts.find((x) => x.id === id);
  return h('div', { class: 'panel-head' },
    h('h2', { id: 'panel-title' }, p?.name || d?.name || id),
    h('button', { type: 'button', class: 'close', 'aria-label': app.t('close'), onclick: closePanel }, '×'));
}

function seriesChart(app, ind) {
  const pts = ind.series;
  const W = 300, H = 90, P = 24;
  const vals = pts.flatMap((x) => [x.value, x.kommun, x.sweden]).filter((v) => v != null);
  const min = Math.min(...vals), max = Math.max(...vals);
  const xs = (i) => P + (i * (W - 2 * P)) / Math.max(1, pts.length - 1);
  const ys = (v) => H - 16 - ((v - min) / (max - min || 1)) * (H - 30);
  const line = (key, cls) => {
    const d = pts.map((x, i) => (x[key] == null ? null : `${xs(i)},${ys(x[key])}`)).filter(Boolean);
    return d.length > 1 ? s('polyline', { points: d.join(' '), class: cls }) : null;
  };
  return h('figure', { class: 'series' },
    h('figcaption', {}, indicatorName(ind)),
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': pts.map((x) => `${x.year}: ${fmt(x.value, ind.decimals, app.state.lang) ?? app.t('missing')}`).join(', ') },
      line('kommun', 'kommun'), line('value', 'district'),
      ...pts.map((x, i) => s('text', { x: xs(i), y: H - 2, 'text-anchor': 'middle' }, String(x.year)))));
}
