// Small helpers: DOM building, fetching, number formatting.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElementNS(
    attrs && attrs.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml',
    tag,
  );
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'svg' || v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function s(tag, attrs = {}, ...children) {
  return h(tag, { ...attrs, svg: true }, ...children);
}

export class HttpError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}

const cache = new Map();
export async function getJSON(url, { cached = true } = {}) {
  if (cached && cache.has(url)) return cache.get(url);
  const early = window.__prefetch?.[url];
  if (early) delete window.__prefetch[url];
  const p = (async () => {
    const r = await (early || fetch(url, { headers: { Accept: 'application/json' } }));
    if (!r.ok) {
      let detail = '';
      try { detail = (await r.json()).detail || ''; } catch { /* not JSON */ }
      throw new HttpError(r.status, detail);
    }
    return r.json();
  })();
  if (cached) {
    cache.set(url, p);
    p.catch(() => cache.delete(url));
  }
  return p;
}

export function fmt(value, decimals, lang) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'sv-SE', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  }).format(value);
}

export function debounce(fn, ms) {
  let t;
  const d = (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  d.cancel = () => clearTimeout(t);
  return d;
}
