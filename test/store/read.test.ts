// The reader: best/trials/counts/curve, the final_metrics view, and reading beside a live writer.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openReadStore, openWriteStore, type SweepRecord, type WriteStore } from '../../src/store/index.js';
import { sweepRecord, tempDbPath } from './fixtures.js';

/** A DB with complete trials of the given values (null: complete without a value), plus one failed and one running trial. */
async function sweepWith(goal: SweepRecord['metricGoal'], values: (number | null)[]): Promise<string> {
  const dbPath = tempDbPath();
  const store = await openWriteStore(dbPath, sweepRecord({ goal }));
  values.forEach(async (value, number) => {
    const id = await store.insertTrial({ number, params: { n: number }, config: null, steps: 1 });
    await store.markRunning(id, 1, 'cpu');
    await store.finishTrial(id, { state: 'complete', value, step: 1 });
  });
  const failed = await store.insertTrial({ number: values.length, params: {}, config: null, steps: 1 });
  await store.finishTrial(failed, { state: 'failed', value: null, step: 0, error: 'boom' });
  const running = await store.insertTrial({ number: values.length + 1, params: {}, config: null, steps: 1 });
  await store.markRunning(running, 1, 'cpu');
  await store.close();
  return dbPath;
}

describe('ReadStore.best', () => {
  const values = [0.5, null, 0.2, 0.9, 0.2, 0.7];

  it('orders complete trials by value ascending when minimizing, ties by number, without NULLs', async () => {
    const reader = await openReadStore(await sweepWith('minimize', values));
    expect((await reader.best(10)).map((t) => [t.number, t.value])).toEqual([
      [2, 0.2],
      [4, 0.2],
      [0, 0.5],
      [5, 0.7],
      [3, 0.9],
    ]);
    expect((await reader.best(2)).map((t) => t.number)).toEqual([2, 4]);
    expect(await reader.best(Number.POSITIVE_INFINITY)).toHaveLength(5);
    expect(await reader.best(0)).toEqual([]);
    await reader.close();
  });

  it('orders by value descending when maximizing, ties by number, without NULLs', async () => {
    const reader = await openReadStore(await sweepWith('maximize', values));
    expect((await reader.best(10)).map((t) => [t.number, t.value])).toEqual([
      [3, 0.9],
      [5, 0.7],
      [0, 0.5],
      [2, 0.2],
      [4, 0.2],
    ]);
    expect((await reader.best(1))[0]?.params).toEqual({ n: 3 });
    await reader.close();
  });
});

describe('ReadStore trials and counts', () => {
  it('lists trials by number, filtered by state, and counts every state', async () => {
    const reader = await openReadStore(await sweepWith('minimize', [0.3, 0.1]));
    expect((await reader.trials()).map((t) => [t.number, t.state])).toEqual([
      [0, 'complete'],
      [1, 'complete'],
      [2, 'failed'],
      [3, 'running'],
    ]);
    expect((await reader.trials({ states: ['failed', 'running'] })).map((t) => t.number)).toEqual([2, 3]);
    expect(await reader.trials({ states: [] })).toEqual([]);
    expect((await reader.trial(2))?.error).toBe('boom');
    expect(await reader.trial(42)).toBeUndefined();
    expect(await reader.counts()).toEqual({ queued: 0, running: 1, complete: 2, pruned: 0, failed: 1 });
    expect(reader.sweep().metricGoal).toBe('minimize');
    await reader.close();
  });
});

describe('final metrics', () => {
  async function withCurves(): Promise<{ dbPath: string; id: number }> {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, sweepRecord());
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 30 });
    await store.markRunning(id, 1, 'cpu');
    // Reported out of order, and train_loss stops earlier than rel_l1.
    await store.addMetrics(id, 20, { rel_l1: 0.2, train_loss: 2 });
    await store.addMetrics(id, 10, { rel_l1: 0.4, train_loss: 4 });
    await store.addMetrics(id, 30, { rel_l1: Number.NaN, 'rel_l1.p90': 0.5 });
    await store.finishTrial(id, { state: 'failed', value: null, step: 30, error: 'diverged' });
    await store.close();
    return { dbPath, id };
  }

  it('the final_metrics view gives each metric at its last step', async () => {
    const { dbPath, id } = await withCurves();
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT trial_id, name, value, step FROM final_metrics ORDER BY name').all()).toEqual([
      { trial_id: id, name: 'rel_l1', value: null, step: 30 },
      { trial_id: id, name: 'rel_l1.p90', value: 0.5, step: 30 },
      { trial_id: id, name: 'train_loss', value: 2, step: 20 },
    ]);
    db.close();
  });

  it('trial summaries carry the final metrics, and curve() every point by name then step', async () => {
    const { dbPath, id } = await withCurves();
    const reader = await openReadStore(dbPath);
    expect((await reader.trial(0))?.metrics).toEqual({ rel_l1: null, 'rel_l1.p90': 0.5, train_loss: 2 });
    expect(await reader.curve(id)).toEqual([
      { step: 10, name: 'rel_l1', value: 0.4 },
      { step: 20, name: 'rel_l1', value: 0.2 },
      { step: 30, name: 'rel_l1', value: null },
      { step: 30, name: 'rel_l1.p90', value: 0.5 },
      { step: 10, name: 'train_loss', value: 4 },
      { step: 20, name: 'train_loss', value: 2 },
    ]);
    expect((await reader.curve(id, 'train_loss')).map((p) => p.step)).toEqual([10, 20]);
    expect(await reader.curve(id, 'nope')).toEqual([]);
    await reader.close();
  });
});

describe('reading beside a live writer (WAL)', () => {
  async function liveSweep(): Promise<{ dbPath: string; store: WriteStore; id: number }> {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, sweepRecord());
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 100 });
    await store.markRunning(id, 1, 'cpu');
    await store.addMetrics(id, 1, { rel_l1: 0.9 });
    await store.flush();
    return { dbPath, store, id };
  }

  it('reads committed data while the writer holds an open write transaction', async () => {
    const { dbPath, store, id } = await liveSweep();
    // Another writer connection mid-transaction, holding the write lock with uncommitted rows.
    const busy = new Database(dbPath);
    busy.exec('BEGIN IMMEDIATE');
    busy.prepare("UPDATE trials SET state = 'failed' WHERE id = ?").run(id);

    const reader = await openReadStore(dbPath);
    const started = performance.now();
    expect((await reader.trial(0))?.state).toBe('running');
    expect(await reader.curve(id)).toHaveLength(1);
    expect((await reader.counts()).running).toBe(1);
    // Not answered by waiting out a lock.
    expect(performance.now() - started).toBeLessThan(1000);
    busy.exec('ROLLBACK');
    await busy.close();
    await reader.close();
    await store.close();
  });

  it('lets the writer commit while a reader holds a snapshot, and the reader sees it afterwards', async () => {
    const { dbPath, store, id } = await liveSweep();
    const reader = await openReadStore(dbPath);
    const snapshotHolder = new Database(dbPath, { readonly: true });
    snapshotHolder.exec('BEGIN');
    expect(snapshotHolder.prepare('SELECT count(*) AS n FROM metrics').get()).toEqual({ n: 1 });

    // In rollback-journal mode this commit would wait for the reader and fail with SQLITE_BUSY.
    (store as unknown as { db: Database.Database }).db.pragma('busy_timeout = 0');
    await store.addMetrics(id, 2, { rel_l1: 0.8 });
    await store.finishTrial(id, { state: 'complete', value: 0.8, step: 2 });

    // The open snapshot is unchanged; a new read sees the commit.
    expect(snapshotHolder.prepare('SELECT count(*) AS n FROM metrics').get()).toEqual({ n: 1 });
    snapshotHolder.exec('COMMIT');
    await snapshotHolder.close();
    expect(await reader.trial(0)).toMatchObject({ state: 'complete', value: 0.8, metrics: { rel_l1: 0.8 } });
    await reader.close();
    await store.close();
  });

  it('a reader open while the writer closes keeps working, and the data is all there', async () => {
    const { dbPath, store } = await liveSweep();
    const reader = await openReadStore(dbPath);
    await store.close();
    expect((await reader.trial(0))?.metrics).toEqual({ rel_l1: 0.9 });
    await reader.close();
    const again = await openReadStore(dbPath);
    expect((await again.trial(0))?.metrics).toEqual({ rel_l1: 0.9 });
    await again.close();
  });

  it('a reader opened before the writer follows what the writer commits', async () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    await (await openWriteStore(dbPath, sweep)).close();
    const reader = await openReadStore(dbPath);
    expect(await reader.trials()).toEqual([]);

    const store = await openWriteStore(dbPath, sweep);
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 10 });
    await store.markRunning(id, 1, 'cpu');
    await store.addMetrics(id, 5, { rel_l1: 0.5 });
    await store.flush();
    expect(await reader.trial(0)).toMatchObject({ state: 'running', step: 5, metrics: { rel_l1: 0.5 } });
    await store.finishTrial(id, { state: 'complete', value: 0.5, step: 10 });
    await store.close();
    expect((await reader.counts()).complete).toBe(1);
    await reader.close();

    // The writer checkpointed on close, so the main file alone holds everything.
    const copy = `${dbPath}.copy`;
    fs.copyFileSync(dbPath, copy);
    const fromCopy = await openReadStore(copy);
    expect((await fromCopy.trial(0))?.value).toBe(0.5);
    await fromCopy.close();
  });
});
