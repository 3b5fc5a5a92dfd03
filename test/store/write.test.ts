// The writer: trial lifecycle, buffered metrics, atomic finish, re-queueing.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FLUSH_ROWS, openReadStore, openWriteStore, type WriteStore } from '../../src/store/index.js';
import { sweepRecord, tempDbPath } from './fixtures.js';

async function openFresh(): Promise<{ dbPath: string; store: WriteStore }> {
  const dbPath = tempDbPath();
  return { dbPath, store: await openWriteStore(dbPath, sweepRecord()) };
}

/** Rows of a table as a separate read-only connection sees them (what another process would see). */
function countFromOutside(dbPath: string, sql: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare<[], number>(sql).pluck().get() ?? Number.NaN;
  } finally {
    db.close();
  }
}

describe('WriteStore trial lifecycle', () => {
  it('inserts queued, marks running, records metrics and finishes complete', async () => {
    const { dbPath, store } = await openFresh();
    const params = { features: 'log', 'model.width': 16 };
    const config = { model: { width: 16 }, training: { steps: 20 } };
    const id = await store.insertTrial({ number: 3, params, config, steps: 20 });
    expect(await store.trialStates()).toEqual(new Map([[3, 'queued']]));

    await store.markRunning(id, 2, 'wasm');
    expect((await store.trialStates()).get(3)).toBe('running');
    await store.addMetrics(id, 10, { rel_l1: 0.5, train_loss: 1.5 });
    await store.addMetrics(id, 20, { rel_l1: 0.25, train_loss: 0.75 });
    await store.finishTrial(id, { state: 'complete', value: 0.25, step: 20 });
    await store.close();

    const reader = await openReadStore(dbPath);
    const trial = await reader.trial(3);
    expect(trial).toMatchObject({
      id,
      number: 3,
      state: 'complete',
      value: 0.25,
      params,
      config,
      step: 20,
      steps: 20,
      worker: 2,
      backend: 'wasm',
      error: null,
      metrics: { rel_l1: 0.25, train_loss: 0.75 },
    });
    expect(trial?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(trial?.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(trial?.startedAt ?? ''));
    expect(Date.parse(trial?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(trial?.queuedAt ?? ''));
    expect(await reader.curve(id, 'rel_l1')).toEqual([
      { step: 10, name: 'rel_l1', value: 0.5 },
      { step: 20, name: 'rel_l1', value: 0.25 },
    ]);
    await reader.close();
  });

  it('records failed trials with their reason and no value, pruned ones with the value they were stopped at', async () => {
    const { dbPath, store } = await openFresh();
    const failed = await store.insertTrial({ number: 0, params: {}, config: null, steps: 10 });
    await store.finishTrial(failed, { state: 'failed', value: null, step: 0, error: 'invalid trial configuration: model.width: too small' });
    const pruned = await store.insertTrial({ number: 1, params: {}, config: {}, steps: 10 });
    await store.markRunning(pruned, 1, 'cpu');
    // A value handed over for a trial that did not complete is not its sweep metric.
    await store.finishTrial(pruned, { state: 'pruned', value: 0.9, step: 4, error: 'worse than median at step 4' });
    await store.close();

    const reader = await openReadStore(dbPath);
    expect(await reader.trial(0)).toMatchObject({ state: 'failed', value: null, config: null, startedAt: null, error: 'invalid trial configuration: model.width: too small' });
    expect(await reader.trial(1)).toMatchObject({ state: 'pruned', value: 0.9, step: 4, error: 'worse than median at step 4' });
    expect(await reader.counts()).toEqual({ queued: 0, running: 0, complete: 0, pruned: 1, failed: 1 });
    await reader.close();
    // No configuration is SQL NULL, so plain SQL can ask `config IS NULL`.
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM trials WHERE config IS NULL')).toBe(1);
  });

  it('refuses to run or finish a trial twice, or to re-insert a finished one', async () => {
    const { store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 1 });
    await store.finishTrial(id, { state: 'complete', value: 1, step: 1 });
    await expect(store.finishTrial(id, { state: 'failed', value: null, step: 1 })).rejects.toThrow(/no such queued or running trial/);
    await expect(store.markRunning(id, 1, 'cpu')).rejects.toThrow(/no such queued or running trial/);
    await expect(store.insertTrial({ number: 0, params: {}, config: null, steps: 1 })).rejects.toThrow(/already complete/);
    await expect(store.addMetrics(9999, 1, { x: 1 })).rejects.toThrow(/did not insert/);
    await store.close();
  });

  it('stores NaN and infinite metric values, and a non-finite final value, as NULL', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 2 });
    await store.markRunning(id, 1, 'cpu');
    await store.addMetrics(id, 1, { rel_l1: Number.NaN, train_loss: Number.POSITIVE_INFINITY, lr: 0.01 });
    await store.addMetrics(id, 2, { rel_l1: Number.NEGATIVE_INFINITY });
    await store.finishTrial(id, { state: 'complete', value: Number.NaN, step: 2 });
    await store.close();

    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare('SELECT step, name, value FROM metrics ORDER BY name, step').all();
    expect(rows).toEqual([
      { step: 1, name: 'lr', value: 0.01 },
      { step: 1, name: 'rel_l1', value: null },
      { step: 2, name: 'rel_l1', value: null },
      { step: 1, name: 'train_loss', value: null },
    ]);
    expect(db.prepare('SELECT state, value FROM trials').get()).toEqual({ state: 'complete', value: null });
    db.close();
  });

  it('re-inserting a number left running by an earlier process resets it and drops its metrics', async () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    const earlier = await openWriteStore(dbPath, sweep);
    const id = await earlier.insertTrial({ number: 7, params: { lr: 0.1 }, config: { lr: 0.1 }, steps: 100 });
    await earlier.markRunning(id, 3, 'cpu');
    await earlier.addMetrics(id, 10, { rel_l1: 0.9 });
    await earlier.addMetrics(id, 20, { rel_l1: 0.8 });
    await earlier.flush();
    await earlier.close(); // as if the process died here: the trial stays 'running'

    // The next writer finds it orphaned: back in the queue, its metrics dropped, counted as a retry.
    const later = await openWriteStore(dbPath, sweep);
    expect(await later.trialStates()).toEqual(new Map([[7, 'queued']]));
    expect(countFromOutside(dbPath, 'SELECT retries FROM trials WHERE number = 7')).toBe(1);
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(0);
    const again = await later.insertTrial({ number: 7, params: { lr: 0.2 }, config: { lr: 0.2 }, steps: 50 });
    expect(again).toBe(id);
    expect(await later.trialStates()).toEqual(new Map([[7, 'queued']]));
    await later.close();

    const reader = await openReadStore(dbPath);
    expect(await reader.curve(id)).toEqual([]);
    expect(await reader.trial(7)).toMatchObject({
      state: 'queued',
      params: { lr: 0.2 },
      config: { lr: 0.2 },
      steps: 50,
      step: null,
      worker: null,
      backend: null,
      startedAt: null,
      metrics: {},
    });
    await reader.close();
  });

  it('requeueTrial puts a stopped trial back to queued without its metrics, buffered or written', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: { a: 1 }, config: { a: 1 }, steps: 100 });
    const other = await store.insertTrial({ number: 1, params: { a: 2 }, config: { a: 2 }, steps: 100 });
    await store.markRunning(id, 1, 'cpu');
    await store.markRunning(other, 2, 'cpu');
    await store.addMetrics(id, 10, { rel_l1: 0.9 });
    await store.flush();
    await store.addMetrics(id, 20, { rel_l1: 0.8 });
    await store.addMetrics(other, 20, { rel_l1: 0.7 });
    await store.requeueTrial(id);
    await store.flush();
    await store.close();

    const reader = await openReadStore(dbPath);
    expect(await reader.trial(0)).toMatchObject({ state: 'queued', params: { a: 1 }, config: { a: 1 }, steps: 100, startedAt: null, metrics: {} });
    expect(await reader.curve(id)).toEqual([]);
    expect((await reader.trial(1))?.metrics).toEqual({ rel_l1: 0.7 });
    await reader.close();
  });

  it('best() follows the sweep goal', async () => {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, sweepRecord({ goal: 'maximize' }));
    expect(await store.best()).toBeNull();
    for (const [number, value] of [[0, 0.5], [1, 0.9], [2, 0.1]] as const) {
      const id = await store.insertTrial({ number, params: {}, config: null, steps: 1 });
      await store.finishTrial(id, { state: 'complete', value, step: 1 });
    }
    expect(await store.best()).toEqual({ number: 1, value: 0.9 });
    await store.close();
  });
});

describe('WriteStore metric buffering', () => {
  it('keeps metrics from other connections until flush, then writes them all', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 100 });
    await store.markRunning(id, 1, 'cpu');
    for (let step = 1; step <= 10; step++) await store.addMetrics(id, step, { rel_l1: 1 / step, lr: 0.01 });

    const reader = await openReadStore(dbPath);
    expect(await reader.curve(id)).toEqual([]);
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(0);

    await store.flush();
    expect(await reader.curve(id, 'rel_l1')).toHaveLength(10);
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(20);
    // Readers can follow a running trial's progress.
    expect(await reader.trial(0)).toMatchObject({ state: 'running', step: 10 });
    await reader.close();
    await store.close();
  });

  it('flushes on its own once the buffer reaches FLUSH_ROWS rows', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 1_000_000 });
    await store.markRunning(id, 1, 'cpu');
    const perStep = 4;
    const steps = Math.ceil(FLUSH_ROWS / perStep);
    for (let step = 1; step < steps; step++) await store.addMetrics(id, step, { a: step, b: step, c: step, d: step });
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(0);
    await store.addMetrics(id, steps, { a: 1, b: 1, c: 1, d: 1 });
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(steps * perStep);
    await store.close();
  });

  it('finishTrial commits the pending metrics and the new state together, or neither', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 3 });
    await store.markRunning(id, 1, 'cpu');
    await store.addMetrics(id, 3, { rel_l1: 0.125 });

    // Make the state change fail after the metrics were written in the same transaction.
    const raw = new Database(dbPath);
    raw.exec(`CREATE TRIGGER refuse_complete BEFORE UPDATE OF state ON trials WHEN NEW.state = 'complete'
              BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    await expect(store.finishTrial(id, { state: 'complete', value: 0.125, step: 3 })).rejects.toThrow(/injected failure/);
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(0);
    expect(countFromOutside(dbPath, "SELECT count(*) FROM trials WHERE state = 'running'")).toBe(1);

    // Retried, both land at once: the buffer kept the metrics.
    raw.exec('DROP TRIGGER refuse_complete');
    await raw.close();
    await store.finishTrial(id, { state: 'complete', value: 0.125, step: 3 });
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(1);
    expect(countFromOutside(dbPath, "SELECT count(*) FROM trials WHERE state = 'complete' AND value = 0.125")).toBe(1);
    await store.close();
  });

  it('finishTrial makes a trial and its metrics durable without a separate flush', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 3 });
    await store.markRunning(id, 1, 'cpu');
    await store.addMetrics(id, 1, { rel_l1: 0.5 });
    await store.addMetrics(id, 3, { rel_l1: 0.125 });
    await store.finishTrial(id, { state: 'complete', value: 0.125, step: 3 });
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(2);
    expect(countFromOutside(dbPath, "SELECT count(*) FROM trials WHERE state = 'complete'")).toBe(1);
    await store.close();
  });

  it('keeps the latest value when a step is reported twice', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 3 });
    await store.addMetrics(id, 3, { rel_l1: 0.5 });
    await store.flush();
    await store.addMetrics(id, 3, { rel_l1: 0.25 });
    await store.close();
    const reader = await openReadStore(dbPath);
    expect(await reader.curve(id)).toEqual([{ step: 3, name: 'rel_l1', value: 0.25 }]);
    await reader.close();
  });

  it('close() writes what is still buffered', async () => {
    const { dbPath, store } = await openFresh();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 3 });
    await store.addMetrics(id, 1, { rel_l1: 0.5 });
    await store.close();
    expect(countFromOutside(dbPath, 'SELECT count(*) FROM metrics')).toBe(1);
  });
});
