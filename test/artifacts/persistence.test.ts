// A model saved through the store and loaded back predicts identically, and a save that dies
// half-way (a thrown error, or the process killed inside the transaction) leaves the previously
// kept model loadable and unchanged.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openReadStore, openWriteStore, WriteStore } from '../../src/store/index.js';
import { decodeModel, forwardNet } from '../../src/artifacts/index.js';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import type { TrainedModel } from '../../src/train/model.js';
import { REPO } from '../helpers/cli.js';
import { sweepRecord, tempDbPath } from '../store/fixtures.js';
import { randomModel } from './fixtures.js';

const KEEP_ONE = sweepRecord({ spec: { name: 'tiny', method: 'grid', metric: { name: 'rel_l1', goal: 'minimize' }, keepModels: 1 } });
const OLD = randomModel([3, 6, 6, 1], ['tanh', 'elu'], 11);
const NEW = randomModel([3, 6, 6, 1], ['tanh', 'elu'], 12);

/** 300 rows of 3 standardised float32 features. */
const FEATURES = Float32Array.from({ length: 900 }, (_, i) => Math.sin(i * 0.37) * 2);

/** Temp triggers calling second_write() on every insert into and delete from models. */
const WRITE_TRIGGERS = `
  CREATE TEMP TRIGGER on_insert AFTER INSERT ON models BEGIN SELECT second_write(); END;
  CREATE TEMP TRIGGER on_delete AFTER DELETE ON models BEGIN SELECT second_write(); END;`;

async function completeTrial(store: WriteStore, number: number, value: number, model: TrainedModel): Promise<void> {
  const id = await store.insertTrial({ number, params: {}, config: {}, steps: 1 });
  await store.markRunning(id, 1, 'wasm');
  await store.finishTrial(id, { state: 'complete', value, step: 1 }, model);
}

/** A DB keeping one model, OLD's, for trial 0; trial 1 is queued, about to finish better. */
async function dbWithOldModel(): Promise<string> {
  const dbPath = tempDbPath();
  const store = await openWriteStore(dbPath, KEEP_ONE);
  await completeTrial(store, 0, 0.5, OLD);
  await store.close();
  return dbPath;
}

async function keptModel(dbPath: string, number: number): Promise<TrainedModel | undefined> {
  const reader = await openReadStore(dbPath);
  try {
    const blob = await reader.modelBlob(number);
    return blob && decodeModel(blob.data);
  } finally {
    await reader.close();
  }
}

describe('a model saved and loaded through the DB', () => {
  let backend: LoadedBackend;
  beforeAll(async () => {
    backend = await loadBackend('wasm');
  });

  it('predicts bit for bit what the model it was saved from predicts', async () => {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, KEEP_ONE);
    await completeTrial(store, 0, 0.5, NEW);
    await store.close();
    const loaded = (await keptModel(dbPath, 0))!;
    const before = forwardNet(backend, NEW, FEATURES, 300);
    const after = forwardNet(backend, loaded, FEATURES, 300);
    expect(Buffer.from(after.buffer)).toEqual(Buffer.from(before.buffer));
    // and it is a real prediction, not a constant
    expect(new Set(after).size).toBeGreaterThan(250);
  });

  it('a failure inside the save transaction leaves the previous model kept and unchanged', async () => {
    const dbPath = await dbWithOldModel();
    // The writer's own connection, with triggers that fail at the second write to the models table:
    // the new model is in and the old one out (in either order), nothing is committed yet.
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    let writes = 0;
    db.function('second_write', () => {
      if (++writes === 2) throw new Error('disk on fire');
      return 0;
    });
    db.exec(WRITE_TRIGGERS);
    const store = new WriteStore(db, KEEP_ONE, 'test-lock');
    await expect(completeTrial(store, 1, 0.1, NEW)).rejects.toThrow(/disk on fire/);
    db.close();

    expect(await keptModel(dbPath, 0)).toEqual(OLD);
    expect(await keptModel(dbPath, 1)).toBeUndefined();
    const reader = await openReadStore(dbPath);
    expect((await reader.trial(1))?.state).toBe('running');
    await reader.close();
  });

  it('a process killed inside the save transaction leaves the previous model loadable, predicting as before', async () => {
    const dbPath = await dbWithOldModel();
    const expected = forwardNet(backend, OLD, FEATURES, 300);
    // A child process (running the built store in dist/, as `sweepdeck run` does) finishes trial 1
    // with a better model and is SIGKILLed at the second write to the models table, before the commit.
    const dist = (file: string) => pathToFileURL(join(REPO, 'dist', file)).href;
    const script = `
      const require = (await import('node:module')).createRequire(${JSON.stringify(join(REPO, 'package.json'))});
      const Database = require('better-sqlite3');
      const { WriteStore } = await import(${JSON.stringify(dist('store/index.js'))});
      const record = ${JSON.stringify(KEEP_ONE)};
      const db = new Database(${JSON.stringify(dbPath)});
      db.pragma('journal_mode = WAL');
      let writes = 0;
      db.function('second_write', () => { if (++writes === 2) process.kill(process.pid, 'SIGKILL'); return 0; });
      db.exec(${JSON.stringify(WRITE_TRIGGERS)});
      const store = new WriteStore(db, record, 'child-lock');
      const id = await store.insertTrial({ number: 1, params: {}, config: {}, steps: 1 });
      await store.markRunning(id, 1, 'wasm');
      const model = ${JSON.stringify({ ...NEW, kernels: NEW.kernels.map((k) => [...k]), biases: NEW.biases.map((b) => [...b]) })};
      model.kernels = model.kernels.map((k) => Float32Array.from(k));
      model.biases = model.biases.map((b) => Float32Array.from(b));
      await store.finishTrial(id, { state: 'complete', value: 0.1, step: 1 }, model);
      console.log('committed: the kill did not happen');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.signal).toBe('SIGKILL');
    expect(child.stdout).not.toMatch(/committed/);

    const survivor = (await keptModel(dbPath, 0))!;
    expect(survivor).toEqual(OLD);
    expect(Buffer.from(forwardNet(backend, survivor, FEATURES, 300).buffer)).toEqual(Buffer.from(expected.buffer));
    expect(await keptModel(dbPath, 1)).toBeUndefined();
    const sql = new Database(dbPath, { readonly: true });
    expect(sql.pragma('integrity_check', { simple: true })).toBe('ok');
    await sql.close();
  });
});
