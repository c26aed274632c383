// Builds the atlas page into dist/: one JS bundle (MapLibre GL JS included, its worker
// inlined by the UMD build), one CSS file (MapLibre's CSS included), index.html.
// Prints the gzipped sizes; fails if JS+CSS exceed the 400 kB budget.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET = 400 * 1024;
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: 'dist',
  write: false,
  legalComments: 'eof',
  logLevel: 'warning',
});

const out = {};
for (const f of result.outputFiles) {
  const ext = f.path.endsWith('.css') ? 'css' : 'js';
  const hash = createHash('sha256').update(f.contents).digest('hex').slice(0, 10);
  const name = `app-${hash}.${ext}`;
  writeFileSync(`dist/${name}`, f.contents);
  out[ext] = { name, bytes: f.contents.length, gz: gzipSync(f.contents, { level: 9 }).length };
}

const html = readFileSync('src/index.html', 'utf8')
  .replace('%CSS%', out.css.name)
  .replace('%JS%', out.js.name);
writeFileSync('dist/index.html', html);

const kB = (n) => (n / 1024).toFixed(1) + ' kB';
let total = 0;
for (const ext of ['js', 'css']) {
  const o = out[ext];
  total += o.gz;
  console.log(`dist/${o.name.padEnd(22)} ${kB(o.bytes).padStart(10)}  gzip ${kB(o.gz).padStart(9)}`);
}
console.log(`JS+CSS gzipped total: ${kB(total)} (budget ${kB(BUDGET)})`);
if (total > BUDGET) {
  console.error('over the size budget');
  process.exit(1);
}
