// The web view in a real browser (headless Chromium): the report and the live page load without a
// console error, every chart draws (ink on its canvas, the right series), a pruned trial's page
// shows why, an unknown trial is a 404 page, and the live page shows trials completing while a
// real sweep runs in another process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CLI, REPO, sweepdeck } from '../helpers/cli.js';
import { haveChromium, launchBrowser, openPage, type Browser } from '../helpers/browser.js';
import { WEB_SWEEP, makeSweepDb } from './fixtures.js';
import { serve, type Served } from './serve-process.js';

interface ChartFacts {
  series: { type: string; name: string; points: number }[];
  /** Pixels of the chart's canvas that are not transparent. */
  ink: number;
}

// Runs in the page (a string, so the test's TypeScript needs no DOM types).
const CHART_FACTS = `(() => {
  const out = {};
  for (const [name, chart] of Object.entries(window.sweepdeck.charts)) {
    if (chart.isDisposed()) continue;
    const canvas = chart.getDom().querySelector('canvas');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let ink = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
    out[name] = { series: chart.getOption().series.map((s) => ({ type: s.type, name: s.name, points: (s.data || []).length })), ink };
  }
  return out;
})()`;

// Functions, not strings: the served page's Content-Security-Policy forbids eval, which string predicates need.
// (Each function's source is sent to the page: it can name nothing from this file.)
const ready = (page: Page) => page.waitForFunction(() => (globalThis as any).sweepdeck?.ready === true, null, { timeout: 30_000 });
const facts = (page: Page) => page.evaluate(CHART_FACTS) as Promise<Record<string, ChartFacts>>;

let browser: Browser;
let fixture: ReturnType<typeof makeSweepDb>;
let served: Served;
let report: string;

describe.skipIf(!haveChromium)('the web view in Chromium', () => {
  beforeAll(async () => {
    fixture = makeSweepDb();
    report = join(fixture.dir, 'report.html');
    const written = sweepdeck(['report', fixture.db, '-o', report]);
    if (written.code !== 0) throw new Error(written.stderr);
    served = await serve(fixture.db);
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  /** What every view must show for the fixture sweep (10 trials: complete and pruned; 3 parameters). */
  function expectEveryChartDrawn(charts: Record<string, ChartFacts>): void {
    for (const name of ['history', 'intermediate', 'parallel', 'importance', 'slice-0', 'slice-1', 'slice-2', 'input-error-0', 'input-error-1']) {
      expect(charts[name], name).toBeDefined();
      expect(charts[name]!.ink, `${name} has ink on its canvas`).toBeGreaterThan(2000);
    }
    expect(Object.keys(charts).filter((n) => n.startsWith('slice-'))).toHaveLength(3);
    const history = charts['history']!.series;
    expect(history.map((s) => s.name)).toEqual(['complete', 'pruned', 'best so far', 'failed']);
    expect(history[0]!.points + history[1]!.points).toBe(10);
    expect(history[2]!.points).toBe(history[0]!.points);
    const intermediate = charts['intermediate']!.series;
    expect(intermediate.map((s) => s.name)).toEqual(['complete', 'pruned', 'running', 'failed', 'rungs']);
    expect(intermediate[0]!.points + intermediate[1]!.points).toBe(10);
    expect(charts['parallel']!.series).toEqual([{ type: 'parallel', name: 'trials', points: 10 }]);
    // 3 complete trials are too few for importance over complete trials alone; with the pruned ones it is computed.
    expect(charts['importance']!.series.map((s) => s.name)).toEqual(['complete + pruned at their rung']);
  }

  it('the report opens from a file, with no network, no console error, and every chart drawn', async () => {
    const { page, errors } = await openPage(browser);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${report}`);
    await ready(page);
    expectEveryChartDrawn(await facts(page));
    expect(await page.locator('.table-row').count()).toBe(10);
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:') && !url.startsWith('blob:'))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the served page loads with no console error, every chart drawn, and the table sorts and filters', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(served.url);
    await ready(page);
    expectEveryChartDrawn(await facts(page));
    // Sort by the metric: the first row is the best trial.
    const view = (await (await fetch(`${served.url}api/sweep`)).json()) as { best: number; trials: { number: number; state: string }[] };
    await page.locator('.table-head .cell', { hasText: 'rel_l1' }).click();
    expect(await page.locator('.table-row').first().getAttribute('data-trial')).toBe(String(view.best));
    // Unticking "pruned" leaves the complete trials in the table and in the history.
    await page.locator('input[data-state="pruned"]').uncheck();
    const complete = view.trials.filter((t) => t.state === 'complete').length;
    expect(await page.locator('.table-row').count()).toBe(complete);
    const history = (await facts(page))['history']!.series;
    expect(history[1]!.points).toBe(0);
    expect(history[0]!.points).toBe(complete);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a pruned trial's page shows its pruning reason, curves, and the re-run command; an unknown trial is a 404 page", async () => {
    const view = (await (await fetch(`${served.url}api/sweep`)).json()) as { trials: { number: number; state: string; error: string }[] };
    const pruned = view.trials.find((t) => t.state === 'pruned')!;
    const { page, errors } = await openPage(browser);
    await page.goto(`${served.url}trial/${pruned.number}`);
    await page.locator('[data-reason]').waitFor();
    expect(await page.locator('[data-reason]').textContent()).toBe(pruned.error);
    // Which rung prunes it depends on which trials had finished there (2 workers): any rung will do.
    expect(pruned.error).toMatch(/^asha: .* at step \d+ is not in the top \d+ of \d+ there/);
    expect(await page.locator('.command').textContent()).toBe(`sweepdeck run webtiny-trial-${pruned.number}.yaml --db results/webtiny-trial-${pruned.number}.db`);
    const charts = await facts(page);
    const trialCharts = Object.entries(charts).filter(([name]) => name.startsWith('trial-'));
    expect(trialCharts.length).toBeGreaterThanOrEqual(4);
    expect(trialCharts[0]![1].series.map((s) => s.name)).toEqual(['rel_l1', 'rel_l1.max', 'rel_l1.median', 'rel_l1.p90']);
    for (const [, chart] of trialCharts) expect(chart.ink).toBeGreaterThan(1000);

    // The same page in the report, by its hash route.
    await page.goto(`file://${report}#/trial/${pruned.number}`);
    await page.locator('[data-reason]').waitFor();
    expect(await page.locator('[data-reason]').textContent()).toBe(pruned.error);

    const missing = await page.goto(`${served.url}trial/999`);
    expect(missing!.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('404 · not found');
    // The 404 above is the only console error allowed: the browser logs a failed load itself.
    expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
    await page.close();
  });

  it('the live page shows trials completing while a real sweep runs in another process', { timeout: 180_000 }, async () => {
    const dir = fixture.dir;
    const sweepFile = join(dir, 'live.yaml');
    // Slower trials, one worker: the sweep runs for several seconds while the page watches.
    fs.writeFileSync(sweepFile, WEB_SWEEP.replace('name: webtiny', 'name: webtiny-live').replace('run_cap: 10', 'run_cap: 8').replace('early_terminate: { type: asha, min_steps: 20, eta: 3 }\n', '').replace('steps: 80', 'steps: 1500').replace('eval_every: 10', 'eval_every: 100'));
    const db = join(dir, 'live.db');
    const run = spawn(process.execPath, [CLI, 'run', sweepFile, '--db', db, '--workers', '1', '--no-tui', '--backend', 'wasm'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let runOutput = '';
    run.stdout!.on('data', (chunk: Buffer) => (runOutput += chunk.toString()));
    run.stderr!.on('data', (chunk: Buffer) => (runOutput += chunk.toString()));
    const runExit = new Promise<number | null>((resolve) => run.on('exit', resolve));
    let live: Served | undefined;
    try {
      // Serve as soon as the run has created its DB (its first trial has started).
      for (let i = 0; !/trial 0 started/.test(runOutput); i++) {
        if (i > 600) throw new Error(`the sweep did not start:\n${runOutput}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      live = await serve(db);
      const { page, errors } = await openPage(browser);
      await page.goto(live.url);
      await ready(page);
      expect(await page.locator('#header .live').textContent()).toBe('● live');
      const completeAtLoad = Number(await page.locator('[data-count="complete"]').textContent());
      expect(completeAtLoad).toBeLessThan(8);
      // The page updates by itself (server-sent events), with no reload.
      await page.waitForFunction((before) => Number((globalThis as any).document.querySelector('[data-count="complete"]').textContent) > before, completeAtLoad, { timeout: 120_000 });
      const renders = (await page.evaluate('window.sweepdeck.renders')) as number;
      expect(renders).toBeGreaterThan(1);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      run.kill('SIGTERM');
      await runExit;
      await live?.stop();
    }
  });
});
