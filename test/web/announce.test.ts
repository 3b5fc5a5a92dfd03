// How `serve` tells its pages that a live sweep changed: every change is announced (none is dropped),
// but no sooner after the last announcement than the cost of rebuilding the view allows.
import fs from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReadStore } from '../../src/store/index.js';
import { startServer } from '../../src/web/server.js';
import { makeSweepDb } from './fixtures.js';

let fixture: ReturnType<typeof makeSweepDb>;
beforeAll(() => {
  fixture = makeSweepDb();
}, 120_000);
afterAll(() => fs.rmSync(fixture.dir, { recursive: true, force: true }));

/** A committed write from another connection: it moves the DB's data_version, as a running sweep does. */
function touch(db: string): void {
  const writer = new Database(db);
  writer.exec('CREATE TABLE scratch (x INTEGER); DROP TABLE scratch');
  writer.close();
}

/** The `changed` events a page receives, collected as they come. */
async function follow(url: string): Promise<{ events: string[]; stop: () => Promise<void> }> {
  const response = await fetch(`${url}api/events`);
  const reader = response.body!.getReader();
  const events: string[] = [];
  const decoder = new TextDecoder();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      for (const match of decoder.decode(value).matchAll(/event: changed\ndata: (\S+)/g)) events.push(match[1]!);
    }
  })();
  return { events, stop: async () => { await reader.cancel().catch(() => {}); await pump; } };
}

const until = async (condition: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return condition();
};

/** Serves a copy of the fixture DB; `buildCostFactor` is read at every poll, so a getter may change it mid-test. */
async function withServer(name: string, factor: { readonly buildCostFactor: number }, body: (url: string, db: string) => Promise<void>): Promise<void> {
  const db = join(fixture.dir, name);
  fs.copyFileSync(fixture.db, db);
  const store = await openReadStore(db);
  const server = await startServer({
    store, dbPath: db, host: '127.0.0.1', port: 0, pollMs: 40,
    get buildCostFactor() { return factor.buildCostFactor; },
  });
  try {
    await body(server.url, db);
  } finally {
    await server.close();
    await store.close();
  }
}

describe('serve announces changes at a rate its view builds allow', () => {
  it('announces a change at the next poll when building the view is cheap next to the interval', async () => {
    await withServer('prompt.db', { buildCostFactor: 0 }, async (url, db) => {
      const feed = await follow(url);
      await until(() => feed.events.length === 1, 5000);
      await fetch(`${url}api/sweep`);
      touch(db);
      expect(await until(() => feed.events.length === 2, 5000)).toBe(true);
      expect(feed.events[1]).not.toBe(feed.events[0]);
      await feed.stop();
    });
  });

  it('holds a change back while the last build is recent, then announces it', async () => {
    const factor = { buildCostFactor: 1e9 };
    await withServer('held.db', factor, async (url, db) => {
      const feed = await follow(url);
      await until(() => feed.events.length === 1, 5000);
      await fetch(`${url}api/sweep`); // a build: from now on the interval is 1e9 × its cost
      touch(db);
      touch(db);
      await new Promise((r) => setTimeout(r, 600));
      expect(feed.events).toHaveLength(1);
      factor.buildCostFactor = 0;
      expect(await until(() => feed.events.length === 2, 5000)).toBe(true);
      expect(feed.events[1]).not.toBe(feed.events[0]);
      await feed.stop();
    });
  });
});
