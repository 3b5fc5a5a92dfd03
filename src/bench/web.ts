// The web view's numbers for `npm run bench` (`npm run bench -- --only web` runs just these):
//  - a synthetic sweep of 10 000 trials × 50 evaluations (the seed-equation search space, 7
//    metrics per evaluation, complete/pruned/failed): `report` for it (load + HTML + write), and the
//    served page in headless Chromium, from navigation until every view has drawn, then one
//    filter change redrawn (both with the report file too);
//  - serving a live 2-worker sweep: its steps/s with `sweepdeck serve` running beside it (another
//    process, with a client that follows the events and refetches the sweep as a page does) versus
//    without, interleaved.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSweepText } from '../spec/load.js';
import { openReadStore, openWriteStore } from '../store/index.js';
import { sweepRecord } from '../commands/run.js';
import { sampleDistribution } from '../search/sample.js';
import { Rng } from '../rng.js';
import { buildReport } from '../web/report.js';
import { writeOutputFile } from '../output/write-output.js';
import { startServer } from '../web/server.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const SEED_SWEEP = fileURLToPath(new URL('../../sweeps/seed-equation.yaml', import.meta.url));
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

export const WEB_TRIALS = Number(process.env['BENCH_WEB_TRIALS'] ?? 10_000);
export const WEB_EVALS = 50;

interface PageTimes {
  firstScreenSeconds: number;
  allViewsSeconds: number;
}

export interface WebNumbers {
  trials: number;
  evaluations: number;
  dbMegabytes: number;
  reportSeconds: number;
  reportMegabytes: number;
  /**
   * Navigation → the first screen drawn (history, intermediate values, parallel coordinates) and →
   * every view drawn, served and as the report file; one filter change redrawn. A string: why not measured.
   */
  browser: { served: PageTimes; report: PageTimes; filterSeconds: number } | string;
}

/** Writes the synthetic sweep straight through the WriteStore (no training): what the views read. */
export async function syntheticDb(dbPath: string, trials: number): Promise<void> {
  const text = fs.readFileSync(SEED_SWEEP, 'utf8');
  const { spec } = loadSweepText(SEED_SWEEP, text);
  const store = await openWriteStore(dbPath, sweepRecord(spec, text));
  const rng = new Rng(7);
  const steps = 2000;
  const every = steps / WEB_EVALS;
  for (let number = 0; number < trials; number++) {
    const params: Record<string, unknown> = {};
    for (const p of spec.parameters) params[p.path] = sampleDistribution(p.distribution, rng);
    const id = await store.insertTrial({ number, params, config: { number, params }, steps });
    await store.markRunning(id, 1 + (number % 2), 'wasm');
    // A made-up but plausible curve: a random floor, approached exponentially.
    const floor = 10 ** (-5 + 5 * rng.next());
    const rate = 0.002 + 0.004 * rng.next();
    const roll = rng.next();
    const state = roll < 0.05 ? 'failed' : roll < 0.65 ? 'pruned' : 'complete';
    let value = 0;
    for (let e = 1; e <= WEB_EVALS; e++) {
      const step = e * every;
      value = floor * (1 + 20 * Math.exp(-rate * step)) * (1 + 0.05 * rng.normal());
      await store.addMetrics(id, step, { rel_l1: value, 'rel_l1.median': value / 3, 'rel_l1.p90': value * 2, 'rel_l1.max': value * 40, train_loss: value * 1.2, lr: 0.01 * Math.exp(-step / 1000), steps_per_s: 3000 + 100 * rng.normal() });
    }
    if (state === 'failed') await store.finishTrial(id, { state, value: null, step: steps, error: 'the loss became NaN at step 2000 (synthetic)' });
    else if (state === 'pruned') await store.finishTrial(id, { state, value, step: steps, error: `asha: ${value.toPrecision(4)} at step 2000 is not in the top 1/3 (synthetic)` });
    else await store.finishTrial(id, { state, value, step: steps });
  }
  await store.close();
}

export async function measureWeb(log: (line: string) => void): Promise<WebNumbers> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-bench-web-'));
  try {
    const dbPath = path.join(dir, 'big.db');
    const made = performance.now();
    await syntheticDb(dbPath, WEB_TRIALS);
    log(`web view: a synthetic sweep of ${WEB_TRIALS} trials × ${WEB_EVALS} evaluations × 7 metrics written in ${((performance.now() - made) / 1000).toFixed(1)} s (${(fs.statSync(dbPath).size / 1e6).toFixed(0)} MB)`);

    const reportPath = path.join(dir, 'report.html');
    const started = performance.now();
    const store = await openReadStore(dbPath);
    const report = await buildReport(store, dbPath);
    await store.close();
    writeOutputFile(reportPath, report.html, { protect: [dbPath] });
    const reportSeconds = (performance.now() - started) / 1000;
    const reportMegabytes = fs.statSync(reportPath).size / 1e6;
    log(`report: ${reportSeconds.toFixed(2)} s to read the DB and write ${reportMegabytes.toFixed(1)} MB (target: under 5 s)`);

    const browser = await measureBrowser(dbPath, reportPath);
    if (typeof browser === 'string') log(`browser: skipped: ${browser}`);
    else {
      const times = (t: PageTimes) => `${t.firstScreenSeconds.toFixed(2)} s to the first screen drawn, ${t.allViewsSeconds.toFixed(2)} s to every view`;
      log(`browser (headless Chromium, software rendering), from navigation: served page ${times(browser.served)}; report file ${times(browser.report)} (target: under 2 s)`);
      log(`browser: unticking "pruned" redraws every view in ${browser.filterSeconds.toFixed(2)} s`);
    }
    return { trials: WEB_TRIALS, evaluations: WEB_EVALS, dbMegabytes: fs.statSync(dbPath).size / 1e6, reportSeconds, reportMegabytes, browser };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function measureBrowser(dbPath: string, reportPath: string): Promise<WebNumbers['browser']> {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-bench-chromium-'));
  const store = await openReadStore(dbPath);
  const server = await startServer({ store, dbPath, host: '127.0.0.1', port: 0 });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    // A first load warms Chromium itself (its first page starts processes); the second is measured.
    // The page's own clock: performance.now() counts from the start of its navigation.
    const timeLoad = async (url: string): Promise<PageTimes> => {
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as { sweepdeck?: { ready: boolean } }).sweepdeck?.ready === true, null, { timeout: 60_000 });
      const timings = (await page.evaluate(() => (globalThis as unknown as { sweepdeck: { timings: Record<string, number> } }).sweepdeck.timings)) as Record<string, number>;
      return { firstScreenSeconds: timings['first-screen-at']! / 1000, allViewsSeconds: timings['ready-at']! / 1000 };
    };
    await timeLoad(server.url);
    const served = await timeLoad(server.url);
    const timings = (await page.evaluate(() => (globalThis as unknown as { sweepdeck: { timings: Record<string, number> } }).sweepdeck.timings)) as Record<string, number>;
    console.log(`  (ms per view: ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`);
    // One filter change: every view redrawn (the page counts its renders).
    const renders = (await page.evaluate(() => (globalThis as unknown as { sweepdeck: { renders: number } }).sweepdeck.renders)) as number;
    const filterStart = performance.now();
    await page.locator('input[data-state="pruned"]').uncheck();
    await page.waitForFunction((before) => (globalThis as unknown as { sweepdeck: { renders: number } }).sweepdeck.renders > before, renders, { timeout: 60_000 });
    const filterSeconds = (performance.now() - filterStart) / 1000;
    const report = await timeLoad(`file://${reportPath}`);
    return { served, report, filterSeconds };
  } finally {
    await context.close();
    await server.close();
    await store.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * Starts `sweepdeck serve DB` in another process and a client that behaves like an open page
 * (follows /api/events, refetches /api/sweep on each change, at most once a second). Returns
 * a function that stops both.
 */
export async function serveAlongside(dbPath: string): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, [CLI, 'serve', dbPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /at (http:\/\/\S+\/)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  let fetches = 0;
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  const refetch = () => {
    if (timer || inFlight) return;
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = fetch(`${url}api/sweep`)
        .then((response) => response.text())
        .then(() => void fetches++)
        .finally(() => {
          last = Date.now();
          inFlight = undefined;
        });
    }, Math.max(0, 1000 - (Date.now() - last)));
  };
  const events = http.get(`${url}api/events`, (response) => response.on('data', () => refetch()));
  events.on('error', () => {});
  return async () => {
    events.destroy();
    clearTimeout(timer);
    await inFlight;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    if (fetches === 0) throw new Error('the serve client never fetched the sweep: the measurement did not measure serving');
  };
}
