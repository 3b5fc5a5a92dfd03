// `npm run screenshots [-- DB [OUT_DIR]]`: a PNG of each view of the web view, from `report` of a
// results DB (default results/seed-equation.db, which `npm start` makes), taken in headless
// Chromium (Debian's /usr/bin/chromium, or $CHROMIUM). Writes OUT_DIR (default docs/web/; only
// overview.png there is committed, the README shows it).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const db = process.argv[2] ?? 'results/seed-equation.db';
const outDir = process.argv[3] ?? 'docs/web';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!fs.existsSync(db)) {
  console.error(`error: ${db} does not exist: run npm start first (it writes results/seed-equation.db), or name a DB: npm run screenshots -- DB`);
  process.exit(2);
}
if (!fs.existsSync(executablePath)) {
  console.error(`error: no Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM`);
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-shots-'));
const report = path.join(work, 'report.html');
execFileSync(process.execPath, ['dist/cli.js', 'report', db, '-o', report], { stdio: 'inherit' });

const context = await chromium.launchPersistentContext(path.join(work, 'profile'), {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  deviceScaleFactor: 1,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(`file://${report}`);
  await page.waitForFunction(() => window.sweepdeck?.ready === true);
  await page.waitForTimeout(300);
  const written = [];
  const shoot = async (name, locator) => {
    const file = path.join(outDir, `${name}.png`);
    await locator.screenshot({ path: file });
    written.push(file);
  };
  // The overview: header, filters and the first two views, as a user first sees the page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(outDir, 'overview.png') });
  written.push(path.join(outDir, 'overview.png'));
  for (const id of ['history', 'intermediate', 'parallel', 'importance', 'slices', 'choices', 'input-error', 'trials']) {
    await shoot(id, page.locator(`#${id}`));
  }
  const best = await page.evaluate(() => document.querySelector('#header a[href^="#/trial/"]')?.getAttribute('href'));
  if (best) {
    await page.goto(`file://${report}${best}`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(outDir, 'trial.png'), fullPage: true });
    written.push(path.join(outDir, 'trial.png'));
  }
  const pruned = await page.evaluate(() => window.sweepdeck && document.querySelector('#sweepdeck-data') && JSON.parse(document.querySelector('#sweepdeck-data').textContent).sweep.trials.find((t) => t.state === 'pruned')?.number);
  if (pruned !== undefined) {
    await page.goto(`file://${report}#/trial/${pruned}`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(outDir, 'trial-pruned.png'), fullPage: true });
    written.push(path.join(outDir, 'trial-pruned.png'));
  }
  if (errors.length) {
    console.error(`the page reported errors:\n${errors.join('\n')}`);
    process.exitCode = 1;
  }
  console.log(`wrote ${written.join(', ')}`);
} finally {
  await context.close();
  fs.rmSync(work, { recursive: true, force: true });
}
