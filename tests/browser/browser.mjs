// Headless Debian Chromium through playwright-core (no browser download), offline.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const ARGS = [
  '--headless=new', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** A fresh Chromium with its own user-data-dir; close() removes it. */
export async function launch() {
  const dir = mkdtempSync(join(tmpdir(), 'stadsatlas-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the page's map has drawn everything it asked for (the `idle` flag). */
export async function waitIdle(page, timeout = 30000) {
  await page.waitForFunction(() => window.__atlasIdle === true && window.__atlas?.breaks?.length > 0, null, { timeout, polling: 50 });
}
