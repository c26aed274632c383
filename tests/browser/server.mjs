// Starts the real `stadsatlas serve` (bundled data, fresh data directory, port 0) once
// per test run and stops it with SIGTERM at the end.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = join(REPO, 'tests/output/screenshots');

export async function startServer() {
  const bin = process.env.STADSATLAS_BIN || join(REPO, 'target/debug/stadsatlas');
  if (!existsSync(bin)) throw new Error(`no stadsatlas binary at ${bin}: run cargo build or set STADSATLAS_BIN`);
  const web = join(REPO, 'web/dist');
  if (!existsSync(join(web, 'index.html'))) throw new Error('web/dist/index.html missing: run scripts/build-web.sh');
  // Fresh data dir; world-traversable so that the postgres user can reach it when we run as root.
  const dir = mkdtempSync(join(tmpdir(), 'stadsatlas-browser-'));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  const child = spawn(bin, ['serve', '--data-dir', dataDir, '--bind', '127.0.0.1:0', '--web-dir', web,
    '--geodata', join(REPO, 'geodata')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STADSATLAS_LOG: process.env.STADSATLAS_LOG || 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not start in 180 s:\n${stderr}`)), 180000);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = line.match(/stadsatlas is listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); res(m[1].replace(/\/$/, '')); }
    });
    child.on('exit', (code) => { clearTimeout(timer); rej(new Error(`server exited (${code}):\n${stderr}`)); });
  });
  child.stdout.resume();
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.on('exit', r));
        child.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 15000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
