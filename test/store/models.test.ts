// Kept models: the keep_models policy (best K by the sweep's goal, ties to the lower trial number,
// all, none), what readers see, and DBs of schema version 1.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KEEP_MODELS, openReadStore, openWriteStore, type WriteStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { decodeModel } from '../../src/artifacts/index.js';
import { randomModel } from '../artifacts/fixtures.js';
import { sweepRecord, tempDbPath } from './fixtures.js';

function recordKeeping(keep: number | 'all' | undefined, goal: 'minimize' | 'maximize' = 'minimize') {
  return sweepRecord({ goal, spec: { name: 'tiny', method: 'grid', metric: { name: 'rel_l1', goal }, ...(keep !== undefined ? { keepModels: keep } : {}) } });
}

/** Runs trial `number` to completion with `value` and a model seeded by its number. */
async function complete(store: WriteStore, number: number, value: number): Promise<void> {
  const id = await store.insertTrial({ number, params: {}, config: {}, steps: 1 });
  await store.markRunning(id, 1, 'wasm');
  await store.finishTrial(id, { state: 'complete', value, step: 1 }, randomModel([2, 3, 1], ['tanh'], 100 + number));
}

async function keptAfter(keep: number | 'all' | undefined, values: number[], goal: 'minimize' | 'maximize' = 'minimize'): Promise<number[]> {
  const dbPath = tempDbPath();
  const store = await openWriteStore(dbPath, recordKeeping(keep, goal));
  for (const [number, value] of values.entries()) await complete(store, number, value);
  await store.close();
  const reader = await openReadStore(dbPath);
  try {
    return (await reader.keptModels()).map((k) => k.number);
  } finally {
    await reader.close();
  }
}

describe('keep_models', () => {
  it('keeps the best K complete trials, best first, dropping the one pushed out', async () => {
    expect(await keptAfter(2, [0.5, 0.3, 0.7, 0.1, 0.4])).toEqual([3, 1]);
  });

  it('keeps 5 by default', async () => {
    expect(DEFAULT_KEEP_MODELS).toBe(5);
    expect(await keptAfter(undefined, [7, 6, 5, 4, 3, 2, 1])).toEqual([6, 5, 4, 3, 2]);
  });

  it('ranks maximize sweeps from the top', async () => {
    expect(await keptAfter(2, [0.5, 0.3, 0.7, 0.1, 0.9], 'maximize')).toEqual([4, 2]);
  });

  it('breaks ties by the lower trial number, as best does', async () => {
    expect(await keptAfter(2, [0.2, 0.1, 0.1, 0.1])).toEqual([1, 2]);
  });

  it('keeps all of them with "all", none with 0', async () => {
    expect(await keptAfter('all', [0.5, 0.3, 0.7])).toEqual([1, 0, 2]);
    expect(await keptAfter(0, [0.5, 0.3])).toEqual([]);
  });

  it('stores no model for pruned or failed trials, nor for a complete trial without a value', async () => {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, recordKeeping('all'));
    const model = randomModel([2, 1], []);
    const states = [
      { state: 'pruned', value: 0.1 },
      { state: 'failed', value: null },
      { state: 'complete', value: Number.NaN },
    ] as const;
    states.forEach(async (end, number) => {
      const id = await store.insertTrial({ number, params: {}, config: {}, steps: 1 });
      await store.finishTrial(id, { ...end, step: 1 }, model);
    });
    await store.close();
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM models').get()).toEqual({ n: 0 });
    db.close();
  });

  it('hands readers the exact blob of a kept model, and nothing for others', async () => {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, recordKeeping(1));
    await complete(store, 0, 0.5);
    await complete(store, 1, 0.25);
    await store.close();
    const reader = await openReadStore(dbPath);
    const [kept] = await reader.keptModels();
    expect(kept).toMatchObject({ number: 1, value: 0.25, format: 1 });
    expect(kept!.bytes).toBeGreaterThan(12);
    expect(decodeModel((await reader.modelBlob(1))!.data)).toEqual(randomModel([2, 3, 1], ['tanh'], 101));
    expect(await reader.modelBlob(0)).toBeUndefined();
    await reader.close();
  });
});

describe('schema version 2', () => {
  it('adds the models table; a version 1 DB reads as keeping no model and is migrated by the next writer', async () => {
    const dbPath = tempDbPath();
    const record = recordKeeping(undefined);
    const store = await openWriteStore(dbPath, record);
    await complete(store, 0, 0.5);
    await store.close();
    // Turn it back into what version 1 wrote.
    const raw = new Database(dbPath);
    raw.exec('DROP TABLE models');
    raw.exec('DROP INDEX trials_revision');
    for (const column of ['host', 'agent', 'claim_token', 'heartbeat_at', 'retries', 'revision']) raw.exec(`ALTER TABLE trials DROP COLUMN ${column}`);
    raw.pragma('user_version = 1');
    await raw.close();

    const old = await openReadStore(dbPath);
    expect(await old.keptModels()).toEqual([]);
    expect(await old.modelBlob(0)).toBeUndefined();
    expect((await old.trial(0))?.state).toBe('complete');
    await old.close();

    const writer = await openWriteStore(dbPath, record);
    await complete(writer, 1, 0.25);
    await writer.close();
    const migrated = new Database(dbPath, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(migrated.prepare('SELECT trial_id FROM models').pluck().all()).toEqual([2]);
    await migrated.close();
  });
});
