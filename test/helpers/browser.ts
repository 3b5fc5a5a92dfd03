// Headless Chromium for the web view's tests: Debian's /usr/bin/chromium (or $CHROMIUM) driven by
// playwright-core, which downloads no browser. One browser per test file (call launchBrowser in
// beforeAll). Without Chromium the browser tests skip with the reason, unless CI is set: then
// they fail, since .ci/run installs it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);

if (!haveChromium) {
  if (process.env['CI']) throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium)`);
  console.warn(`skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
}

/** This machine's network is closed: without these flags Chromium keeps retrying refused connections. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 } });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page that records every console error and uncaught exception. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
  return { page, errors };
}
