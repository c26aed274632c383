// Browser tests of the web atlas: headless Debian Chromium (playwright-core) against a real
// `stadsatlas serve` with the bundled data. Screenshots go to tests/output/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, waitIdle } from './browser.mjs';
import { SCREENSHOTS, startServer } from './server.mjs';

let server;
let browser;
const requests = []; // every URL any page asked for
const problems = []; // console errors and page errors

const STOCKHOLM = 'map=10.60/59.36000/17.96000';

async function api(path) {
  const r = await fetch(server.url + path);
  assert.equal(r.status, 200, path);
  return r.json();
}

async function newPage(viewport = { width: 1280, height: 800 }) {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()} (${page.url()})`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return page;
}

async function open(page, query = '') {
  await page.goto(`${server.url}/${query}`);
  await waitIdle(page);
}

async function shot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, name) });
}

/** sv-SE formatting as the page does it (thin/no-break spaces normalised). */
function sv(value, decimals) {
  return new Intl.NumberFormat('sv-SE', { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(value);
}
const norm = (s) => s.replace(/[\u00a0\u202f]/g, ' ').replace(/\s+/g, ' ').trim();

/**
 * Counts, on a real screenshot of the page, the pixels inside the map whose colour is one of
 * the choropleth's classes (palette blended with the land colour at the fill opacity).
 * Returns {total, perClass: [..]}.
 */
async function choroplethPixels(page) {
  const box = await page.locator('#map').boundingBox();
  const png = await page.screenshot({ clip: box });
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const land = [0xf7, 0xf7, 0xf4];
    const hex = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
    const cols = window.__atlas.palette.map(hex).map((p) => p.map((v, i) => Math.round(0.9 * v + 0.1 * land[i])));
    const perClass = cols.map(() => 0);
    for (let i = 0; i < d.length; i += 4) {
      for (let k = 0; k < cols.length; k++) {
        const p = cols[k];
        if (Math.abs(d[i] - p[0]) <= 4 && Math.abs(d[i + 1] - p[1]) <= 4 && Math.abs(d[i + 2] - p[2]) <= 4) { perClass[k]++; break; }
      }
    }
    return { total: perClass.reduce((a, b) => a + b, 0), pixels: c.width * c.height, perClass };
  }, png.toString('base64'));
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startServer();
  browser = await launch();
  browser.context.on('request', (r) => requests.push(r.url()));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the web atlas', () => {
  test('loads Sweden with the choropleth drawn, no console errors', async (t) => {
    const page = await newPage();
    await open(page);
    t.diagnostic(`first map paint (cold browser, fresh server): ${Math.round(await page.evaluate(() => window.__atlasFirstPaint))} ms`);
    assert.equal(await page.locator('#indicator').inputValue(), 'employment_rate');
    assert.equal((await page.locator('#legend-classes li').count()), 5, 'five classes in the legend');
    assert.match(await page.locator('#legend-caption').textContent(), /procent/);
    await shot(page, '01-sweden.png');
    const px = await choroplethPixels(page);
    assert.ok(px.total > 50, `choropleth pixels at country zoom: ${JSON.stringify(px)}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('Stockholm shows the choropleth (pixels of several classes) and the districts', async () => {
    const page = await newPage();
    await open(page, `?${STOCKHOLM}`);
    await shot(page, '02-stockholm.png');
    const px = await choroplethPixels(page);
    assert.ok(px.total > 0.2 * px.pixels, `choropleth covers a fifth of the map: ${JSON.stringify(px)}`);
    assert.ok(px.perClass.filter((n) => n > 500).length >= 4, `at least four classes visible: ${px.perClass}`);
    const districts = await page.evaluate(() => window.__atlas.map.queryRenderedFeatures({ layers: ['districts-original', 'districts-candidate'] })
      .map((f) => f.properties.name));
    for (const name of ['Rinkeby', 'Tensta', 'Husby']) assert.ok(districts.includes(name), `${name} drawn: ${[...new Set(districts)]}`);
    await page.close();
  });

  test('picking another indicator changes the colours and the legend', async () => {
    const page = await newPage();
    await open(page, `?${STOCKHOLM}`);
    const legendBefore = await page.locator('#legend-classes').textContent();
    const captionBefore = await page.locator('#legend-caption').textContent();
    const before = await choroplethPixels(page);
    await page.locator('#indicator').selectOption('registered_unemployed');
    await page.waitForFunction(() => window.__atlas.state.indicator === 'registered_unemployed');
    await waitIdle(page);
    const legendAfter = await page.locator('#legend-classes').textContent();
    assert.notEqual(legendAfter, legendBefore);
    assert.notEqual(await page.locator('#legend-caption').textContent(), captionBefore);
    assert.match(await page.locator('#legend-caption').textContent(), /inskrivna arbetslösa/);
    // Lower is better: the palette is reversed (darkest for the lowest class).
    const pal = await page.evaluate(() => window.__atlas.palette);
    assert.equal(pal[0], '#253494');
    const after = await choroplethPixels(page);
    assert.ok(after.total > 0.2 * after.pixels, JSON.stringify(after));
    const share = (p) => p.perClass.map((n) => n / p.total);
    const diff = share(before).reduce((s, x, i) => s + Math.abs(x - share(after)[i]), 0);
    assert.ok(diff > 0.1, `class colours changed: ${before.perClass} → ${after.perClass}`);
    // The breaks follow the values API.
    const vals = (await api('/api/indicators/registered_unemployed/values?level=areas&year=2024')).values;
    const breaks = await page.evaluate(() => window.__atlas.breaks);
    assert.equal(breaks.length, 4);
    const nums = vals.map((v) => v.value).filter((v) => v != null);
    assert.ok(breaks[0] > Math.min(...nums) && breaks[3] < Math.max(...nums));
    await page.close();
  });

  test('searching "Rinkeby" and pressing Enter opens its panel with its and Stockholm\'s values', async () => {
    const page = await newPage();
    await open(page);
    const input = page.locator('#search-input');
    await input.fill('Rinkeby');
    await input.press('Enter');
    const panel = page.locator('#panel');
    await panel.locator('h2', { hasText: 'Rinkeby' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('#panel').hasAttribute('aria-busy'));
    await waitIdle(page);
    assert.match(await panel.locator('.meta').textContent(), /Stockholm/);
    const profile = await api('/api/districts/rinkeby');
    for (const ind of profile.indicators) {
      const row = panel.locator(`tr[data-indicator="${ind.id}"]`);
      const d = norm(await row.locator('[data-col="district"]').textContent());
      const k = norm(await row.locator('[data-col="kommun"]').textContent());
      const se = norm(await row.locator('[data-col="sweden"]').textContent());
      assert.equal(d, ind.latest.value == null ? 'saknas' : norm(sv(ind.latest.value, ind.decimals)), `${ind.id} district`);
      assert.equal(k, ind.kommun.value == null ? 'saknas' : norm(sv(ind.kommun.value, ind.decimals)), `${ind.id} Stockholm`);
      assert.equal(se, ind.sweden.value == null ? 'saknas' : norm(sv(ind.sweden.value, ind.decimals)), `${ind.id} Sweden`);
      const r = ind.rank.among_districts;
      if (r) assert.equal(norm(await row.locator('[data-col="rank"]').textContent()), `${r.rank} av ${r.of}`);
    }
    assert.match(await panel.textContent(), /rekonstruerad|källbelagd/);
    assert.doesNotMatch(await panel.textContent(), /null|undefined|NaN/);
    await page.waitForTimeout(400); // a late search answer must not reopen the list
    assert.equal(await input.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.locator('#search-list').isHidden(), true);
    assert.match(page.url(), /district=rinkeby/);
    await shot(page, '03-district-panel.png');
    await page.close();
  });

  test('search is keyboard-operable (arrows move the active option, Enter picks it)', async () => {
    const page = await newPage();
    await open(page);
    const input = page.locator('#search-input');
    await input.focus();
    await page.keyboard.type('Göteborg');
    await page.locator('#search-list [role="option"]').first().waitFor();
    assert.equal(await input.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('ArrowDown');
    assert.equal(await input.getAttribute('aria-activedescendant'), 'search-opt-0');
    assert.equal(await page.locator('#search-opt-0').getAttribute('aria-selected'), 'true');
    await page.keyboard.press('Escape');
    assert.equal(await input.getAttribute('aria-expanded'), 'false');
    await page.close();
  });

  test('comparing Rinkeby, Hjällbo and Araby fills the table and the chart; CSV downloads', async () => {
    const page = await newPage();
    await open(page);
    await page.locator('[data-view="compare"]').click();
    for (const name of ['Rinkeby', 'Hjällbo', 'Araby']) {
      await page.locator('#compare-pick').selectOption({ label: name });
      await page.getByRole('button', { name: 'Lägg till', exact: true }).click();
      await page.locator('.chips li', { hasText: name }).waitFor();
    }
    await page.locator('#compare-table tbody tr').nth(2).waitFor();
    const c = await api('/api/compare?districts=rinkeby,hjallbo,araby&indicator=employment_rate&year=2024');
    const rows = page.locator('#compare-table tbody tr');
    assert.equal(await rows.count(), 3);
    for (const r of c.rows) {
      const tr = page.locator(`#compare-table tbody tr[data-id="${r.id}"]`);
      assert.equal(norm(await tr.locator('[data-col="value"]').textContent()), r.value == null ? 'saknas' : norm(sv(r.value, 1)));
      assert.match(await tr.textContent(), new RegExp(r.kommun_name));
    }
    assert.equal(await page.locator('#compare-chart rect.bar').count(), 3);
    assert.equal(await page.locator('#compare-chart line.kommun-mark').count(), 3, 'municipal reference marks');
    assert.match(await page.locator('.chart-key').textContent(), /Sverige: saknas/);
    // Sorting by name puts Araby first.
    await page.locator('#compare-table thead th').first().locator('button').click();
    assert.equal(await rows.first().getAttribute('data-id'), 'araby');
    assert.equal(await page.locator('#compare-table thead th').first().getAttribute('aria-sort'), 'ascending');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#compare-csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv.length, 4);
    assert.match(csv[0], /^id,name,kommun/);
    assert.ok(csv.some((l) => l.startsWith('hjallbo,Hjällbo,')));
    assert.match(page.url(), /compare=rinkeby,hjallbo,araby/);
    await waitIdle(page);
    await shot(page, '04-compare.png');
    await page.close();
  });

  test('a copied URL reopens the same view; back and forward work', async () => {
    const page = await newPage();
    await open(page, `?${STOCKHOLM}`);
    await page.locator('#indicator').selectOption('income_support');
    await page.locator('#classification').selectOption('jenks');
    await waitIdle(page);
    const input = page.locator('#search-input');
    await input.fill('Tensta');
    await input.press('Enter');
    await page.locator('#panel h2', { hasText: 'Tensta' }).waitFor();
    await page.locator('#panel button', { hasText: 'Lägg till i jämförelsen' }).click();
    await page.locator('[data-view="compare"]').click();
    await page.locator('#compare-pick').selectOption({ label: 'Hjällbo' });
    await page.getByRole('button', { name: 'Lägg till', exact: true }).click();
    await page.locator('#compare-table tbody tr').nth(1).waitFor();
    await waitIdle(page);
    const url = page.url();
    const view = await page.evaluate(() => ({ ...window.__atlas.state, breaks: window.__atlas.breaks }));

    const copy = await newPage();
    await copy.goto(url);
    await waitIdle(copy);
    await copy.locator('#compare-table tbody tr').nth(1).waitFor();
    await copy.locator('#panel h2', { hasText: 'Tensta' }).waitFor();
    assert.equal(await copy.locator('#indicator').inputValue(), 'income_support');
    assert.equal(await copy.locator('#classification').inputValue(), 'jenks');
    assert.equal(await copy.locator('[data-view="compare"]').getAttribute('aria-pressed'), 'true');
    const got = await copy.evaluate(() => ({ ...window.__atlas.state, breaks: window.__atlas.breaks }));
    assert.deepEqual(got.cmp, ['tensta', 'hjallbo']);
    assert.equal(got.sel, 'tensta');
    assert.deepEqual(got.breaks, view.breaks);
    assert.ok(Math.abs(got.z - view.z) < 0.01 && Math.abs(got.lat - view.lat) < 1e-4 && Math.abs(got.lng - view.lng) < 1e-4,
      `same map view: ${JSON.stringify([got, view])}`);
    assert.equal(await copy.locator('#legend-classes').textContent(), await page.locator('#legend-classes').textContent());
    await copy.close();

    // Back: the last compare addition is undone; back again: the compare view closes.
    await page.goBack();
    await page.waitForFunction(() => window.__atlas.state.cmp.length === 1);
    await page.goBack();
    await page.waitForFunction(() => window.__atlas.state.view === 'map');
    assert.equal(await page.locator('#compare-view').isHidden(), true);
    await page.goForward();
    await page.waitForFunction(() => window.__atlas.state.view === 'compare');
    await page.close();
  });

  test('the table alternative lists the same values as the API', async () => {
    const page = await newPage();
    await open(page, '?view=table');
    await page.locator('#values-table tbody tr').first().waitFor();
    const body = await api('/api/indicators/employment_rate/values?level=areas&year=2024');
    const rows = await page.locator('#values-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      code: tr.dataset.code, value: tr.querySelector('[data-value]').dataset.value, text: tr.querySelector('[data-value]').textContent,
    })));
    assert.equal(rows.length, body.values.length);
    const byCode = new Map(body.values.map((v) => [v.code, v]));
    for (const r of rows) {
      const v = byCode.get(r.code);
      assert.ok(v, r.code);
      if (v.value == null) {
        assert.equal(r.value, '');
        assert.equal(r.text, 'saknas');
      } else {
        assert.equal(Number(r.value), v.value, r.code);
        assert.equal(norm(r.text), norm(sv(v.value, 1)), r.code);
      }
    }
    // Districts too.
    await page.locator('#table-level').selectOption('districts');
    await page.locator('#values-table[data-level="districts"]').waitFor();
    const d = await api('/api/indicators/employment_rate/values?level=districts&year=2024');
    assert.equal(await page.locator('#values-table tbody tr').count(), d.values.length);
    await page.close();
  });

  test('a 390×844 phone stays usable', async () => {
    const page = await newPage({ width: 390, height: 844 });
    await open(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
    for (const sel of ['#search-input', '#indicator', '#classification', '[data-view="compare"]', '[data-lang="en"]']) {
      const b = await page.locator(sel).boundingBox();
      assert.ok(b && b.x >= 0 && b.x + b.width <= 390, `${sel} within the screen: ${JSON.stringify(b)}`);
    }
    const map = await page.locator('#map').boundingBox();
    assert.ok(map.height >= 300 && map.width >= 380, `map usable: ${JSON.stringify(map)}`);
    await shot(page, '05-phone.png');
    const input = page.locator('#search-input');
    await input.fill('Rinkeby');
    await input.press('Enter');
    await page.locator('#panel h2', { hasText: 'Rinkeby' }).waitFor();
    await waitIdle(page);
    await page.locator('#panel').scrollIntoViewIfNeeded();
    assert.ok(await page.locator('#panel').isVisible());
    const pb = await page.locator('#panel').boundingBox();
    assert.ok(pb.x >= 0 && pb.x + pb.width <= 390, `panel within the screen: ${JSON.stringify(pb)}`);
    const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow2 <= 0, `no horizontal overflow with the panel (${overflow2}px)`);
    await page.screenshot({ path: join(SCREENSHOTS, '06-phone-panel.png'), fullPage: true });
    await page.close();
  });

  test('English toggle translates the UI and indicator names', async () => {
    const page = await newPage();
    await open(page);
    await page.locator('[data-lang="en"]').click();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.match(await page.locator('#indicator option:checked').textContent(), /Employment rate/);
    assert.match(await page.locator('#legend-title').textContent(), /Legend/);
    assert.match(page.url(), /lang=en/);
    await page.close();
  });

  test('layer toggles hide districts by programme and status', async () => {
    const page = await newPage();
    await open(page, '?map=9.50/57.75000/12.00000');
    const drawn = () => page.evaluate(() => [...new Set(window.__atlas.map
      .queryRenderedFeatures({ layers: ['districts-original', 'districts-candidate'] }).map((f) => f.properties.id))].sort());
    const all = await drawn();
    assert.ok(all.includes('hjallbo') && all.includes('lovgarden'), all.join());
    const districts = await api('/api/districts');
    const programmes = [...new Set(districts.flatMap((d) => d.programmes.map((p) => p.id)))];
    assert.equal(await page.locator('[data-programme]').count(), programmes.length);
    // Only the 1999 programme left on: exactly its districts stay.
    for (const p of programmes) if (p !== 'storstad_1999') await page.locator(`[data-programme="${p}"]`).uncheck();
    await waitIdle(page);
    const in1999 = new Set(districts.filter((d) => d.programmes.some((p) => p.id === 'storstad_1999')).map((d) => d.id));
    const left = await drawn();
    assert.ok(left.length > 0 && left.every((id) => in1999.has(id)), left.join());
    // Candidates off: no dashed outlines.
    await page.locator('[data-layer="candidate"]').uncheck();
    await waitIdle(page);
    assert.equal(await page.evaluate(() => window.__atlas.map.getLayoutProperty('districts-candidate', 'visibility')), 'none');
    await page.close();
  });

  test('text meets WCAG AA contrast (4.5:1) on its actual background', async () => {
    const page = await newPage();
    await open(page, '?district=rinkeby&compare=rinkeby,araby&view=compare');
    await page.locator('#panel h2', { hasText: 'Rinkeby' }).waitFor();
    await page.locator('#compare-table tbody tr').nth(1).waitFor();
    const bad = await page.evaluate(() => {
      const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
      const lum = ([r, g, b]) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const bg = (el) => {
        for (let e = el; e; e = e.parentElement) {
          const c = rgb(getComputedStyle(e).backgroundColor);
          if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      const out = [];
      const els = document.querySelectorAll('label, legend, h1, h2, h3, p, li, th, td, button, span, option, caption, figcaption');
      for (const el of els) {
        if (!el.offsetParent || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
        if (el.closest('.maplibregl-ctrl, .swatch, svg')) continue;
        const st = getComputedStyle(el);
        const a = lum(rgb(st.color).slice(0, 3));
        const b = lum(bg(el));
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < 4.5) out.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
      }
      return out;
    });
    assert.deepEqual(bad, []);
    await page.close();
  });

  test('no console errors and no request left 127.0.0.1', () => {
    assert.ok(requests.length > 20, `requests recorded: ${requests.length}`);
    // The tile workers' requests are recorded too.
    assert.ok(requests.some((u) => u.includes('.mvt')), 'tile requests recorded');
    const outside = requests.filter((u) => {
      if (u.startsWith('data:') || u.startsWith('blob:')) return false;
      return new URL(u).hostname !== '127.0.0.1';
    });
    assert.deepEqual(outside, []);
    assert.deepEqual(problems, []);
  });
});
