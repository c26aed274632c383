// First map paint of the atlas, cold: a fresh Chromium profile per run (empty cache),
// navigation start → the first map `idle` with the choropleth classified and drawn
// (window.__atlasFirstPaint, a performance.now() timestamp). 5 runs; prints the median and
// the gzipped size of the page's JS+CSS.
//   node tests/browser/bench-first-paint.mjs [URL]   (default: start the server itself)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch } from './browser.mjs';
import { REPO, startServer } from './server.mjs';

const RUNS = 5;
let server = null;
let url = process.argv[2];
if (!url) {
  server = await startServer();
  url = server.url;
  // Warm the server's response cache once (the browser stays cold each run).
  const b = await launch();
  const p = await b.context.newPage();
  await p.goto(`${url}/`);
  await p.waitForFunction(() => window.__atlasFirstPaint, null, { timeout: 60000 });
  await b.close();
}

const times = [];
for (let i = 0; i < RUNS; i++) {
  const b = await launch();
  const page = await b.context.newPage();
  await page.goto(`${url}/`);
  const t = await page.waitForFunction(() => window.__atlasFirstPaint, null, { timeout: 60000, polling: 10 });
  const ms = await t.jsonValue();
  times.push(ms);
  console.log(`run ${i + 1}: first map paint ${ms.toFixed(0)} ms`);
  await b.close();
}
times.sort((a, b) => a - b);
console.log(`median first map paint (cold, ${RUNS} runs): ${times[Math.floor(RUNS / 2)].toFixed(0)} ms`);

const dist = join(REPO, 'web/dist');
let gz = 0;
for (const f of readdirSync(dist).filter((f) => /\.(js|css)$/.test(f))) gz += gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
console.log(`JS+CSS gzipped: ${(gz / 1024).toFixed(1)} kB`);
await server?.stop();
