// Class breaks for a choropleth: quantiles, equal intervals, natural breaks (Jenks).
// Each returns k-1 inner breaks (ascending); a value v is in class i when
// breaks[i-1] <= v < breaks[i] (MapLibre's `step` semantics).

export function quantileBreaks(values, k) {
  const v = [...values].sort((a, b) => a - b);
  const out = [];
  for (let i = 1; i < k; i++) {
    const pos = (v.length - 1) * (i / k);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    out.push(v[lo] + (v[hi] - v[lo]) * (pos - lo));
  }
  return out;
}

export function equalBreaks(values, k) {
  let min = Infinity, max = -Infinity;
  for (const x of values) { if (x < min) min = x; if (x > max) max = x; }
  const out = [];
  for (let i = 1; i < k; i++) out.push(min + ((max - min) * i) / k);
  return out;
}

// Fisher–Jenks optimal classification (dynamic programming, O(k n²)), on at most
// 2,000 sorted values (an even sample beyond that keeps it fast).
export function jenksBreaks(values, k) {
  let data = [...values].sort((a, b) => a - b);
  if (data.length > 2000) {
    const step = data.length / 2000;
    data = Array.from({ length: 2000 }, (_, i) => data[Math.floor(i * step)]);
  }
  const n = data.length;
  if (n <= k) return quantileBreaks(values, k);
  const lower = Array.from({ length: n + 1 }, () => new Int32Array(k + 1));
  const varc = Array.from({ length: n + 1 }, () => new Float64Array(k + 1).fill(Infinity));
  for (let j = 1; j <= k; j++) { lower[1][j] = 1; varc[1][j] = 0; }
  for (let l = 2; l <= n; l++) {
    let s1 = 0, s2 = 0, w = 0, v = 0;
    for (let m = 1; m <= l; m++) {
      const i3 = l - m + 1;
      const val = data[i3 - 1];
      s2 += val * val; s1 += val; w++;
      v = s2 - (s1 * s1) / w;
      const i4 = i3 - 1;
      if (i4 !== 0) {
        for (let j = 2; j <= k; j++) {
          if (varc[l][j] >= v + varc[i4][j - 1]) {
            lower[l][j] = i3;
            varc[l][j] = v + varc[i4][j - 1];
          }
        }
      }
    }
    lower[l][1] = 1; varc[l][1] = v;
  }
  const out = new Array(k - 1);
  let kk = n;
  for (let j = k; j >= 2; j--) {
    const id = lower[kk][j] - 1;
    out[j - 2] = data[id];
    kk = lower[kk][j] - 1;
  }
  return out;
}

export function breaksFor(method, values, k = 5) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return [];
  const b = method === 'equal' ? equalBreaks(v, k) : method === 'jenks' ? jenksBreaks(v, k) : quantileBreaks(v, k);
  // Strictly increasing breaks only (ties collapse classes; MapLibre's step needs ascending).
  const out = [];
  for (const x of b) if (out.length === 0 || x > out[out.length - 1]) out.push(x);
  return out;
}

export function classOf(value, breaks) {
  let i = 0;
  while (i < breaks.length && value >= breaks[i]) i++;
  return i;
}

// ColorBrewer YlGnBu, 5 classes (colour-blind safe, sequential).
export const YLGNBU5 = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
