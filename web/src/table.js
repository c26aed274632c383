// The table alternative of the map: the same numbers (the values API, the same classes).
import { h, getJSON } from './util.js';
import { valueCell, indicator, indicatorName, selectDistrict } from './main.js';
import { classOf } from './classify.js';

let level = 'areas';
let kommun = '';
let token = 0;

export async function renderTable(app) {
  const root = document.getElementById('table-view');
  const t = (k, ...a) => app.t(k, ...a);
  const st = app.state;
  const ind = indicator();
  const my = ++token;
  let data;
  try {
    data = await getJSON(`/api/indicators/${encodeURIComponent(st.indicator)}/values?level=${level}&year=${st.year}`);
  } catch (e) {
    if (my === token) root.replaceChildren(h('h2', { id: 'table-title' }, t('table_title')), h('p', { class: 'error' }, `${t('error')}: ${e.message}`));
    return;
  }
  if (my !== token) return;
  const values = data.values;
  const kommuner = [...new Map(values.filter((v) => v.kommun).map((v) => [v.kommun, v.kommun_name || v.kommun])).entries()]
    .sort((a, b) => a[1].localeCompare(b[1], 'sv'));
  if (kommun && !kommuner.some(([k]) => k === kommun)) kommun = '';
  const shown = values.filter((v) => !kommun || v.kommun === kommun);
  const levelSel = h('select', { id: 'table-level', onchange: (e) => { level = e.target.value; renderTable(app); } },
    ...[['areas', st.lang === 'en' ? 'RegSO areas' : 'RegSO-områden'], ['districts', st.lang === 'en' ? 'Districts' : 'Stadsdelar'], ['kommuner', st.lang === 'en' ? 'Municipalities' : 'Kommuner']]
      .map(([v, l]) => h('option', { value: v, selected: v === level }, l)));
  const kommunSel = h('select', { id: 'table-kommun', onchange: (e) => { kommun = e.target.value; renderTable(app); } },
    h('option', { value: '' }, t('all_kommuner')),
    ...kommuner.map(([k, n]) => h('option', { value: k, selected: k === kommun }, n)));
  const useClasses = level === 'areas';
  const pal = app.palette;
  const unit = app.t('units')[ind?.unit] || ind?.unit || '';
  root.replaceChildren(
    h('div', { class: 'sheet-head' },
      h('h2', { id: 'table-title' }, t('table_title')),
      h('p', { class: 'hint' }, `${indicatorName(ind)}, ${data.year}. ${t('table_intro')}`)),
    h('div', { class: 'row filters' },
      h('div', { class: 'field' }, h('label', { for: 'table-level' }, st.lang === 'en' ? 'Level' : 'Nivå'), levelSel),
      h('div', { class: 'field' }, h('label', { for: 'table-kommun' }, t('table_filter')), kommunSel),
      h('p', { class: 'count' }, t('rows', shown.length))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'values-table', id: 'values-table', 'data-level': level },
      h('caption', { class: 'visually-hidden' }, `${indicatorName(ind)}, ${data.year}`),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('col_code')),
        h('th', { scope: 'col' }, t('col_area')),
        level !== 'kommuner' ? h('th', { scope: 'col' }, t('col_kommun_short')) : null,
        h('th', { scope: 'col', class: 'num' }, `${t('col_value')} (${unit})`),
        useClasses ? h('th', { scope: 'col', class: 'num' }, t('col_class')) : null)),
      h('tbody', {}, ...shown.map((v) => {
        const cls = v.value == null ? null : classOf(v.value, app.breaks);
        return h('tr', { 'data-code': v.code },
          h('td', { class: 'code' }, v.code),
          h('th', { scope: 'row' }, level === 'districts'
            ? h('button', { type: 'button', class: 'link', onclick: () => { selectDistrict(v.code); } }, v.name || v.code)
            : v.name || v.code),
          level !== 'kommuner' ? h('td', {}, v.kommun_name || v.kommun || '') : null,
          h('td', { class: 'num', 'data-value': v.value ?? '' }, valueCell(v.value ?? null, ind, false)),
          useClasses ? h('td', { class: 'num' }, cls == null
            ? h('span', { class: 'swatch hatch', title: t('missing') })
            : [h('span', { class: 'swatch', style: `background:${pal[cls]}`, 'aria-hidden': 'true' }), ` ${cls + 1}`]) : null);
      })))),
  );
}
