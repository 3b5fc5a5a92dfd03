// The reader: best/trials/counts/curve, the final_metrics view, and reading beside a live writer.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openReadStore, openWriteStore, type SweepRecord, type WriteStore } from '../../src/store/index.js';
import { sweepRecord, tempDbPath } from './fixtures.js';

/** A DB with complete trials of the given values (null: complete without a value), plus one failed and one running trial. */
function sweepWith(goal: SweepRecord['metricGoal'], values: (number | null)[]): string {
  const dbPath = tempDbPath();
  const store = openWriteStore(dbPath, sweepRecord({ goal }));
  values.forEach((value, number) => {
    const id = store.insertTrial({ number, params: { n: number }, config: null, steps: 1 });
    store.markRunning(id, 1, 'cpu');
    store.finishTrial(id, { state: 'complete', value, step: 1 });
  });
  const failed = store.insertTrial({ number: values.length, params: {}, config: null, steps: 1 });
  store.finishTrial(failed, { state: 'failed', value: null, step: 0, error: 'boom' });
  const running = store.insertTrial({ number: values.length + 1, params: {}, config: null, steps: 1 });
  store.markRunning(running, 1, 'cpu');
  store.close();
  return dbPath;
}

describe('ReadStore.best', () => {
  const values = [0.5, null, 0.2, 0.9, 0.2, 0.7];

  it('orders complete trials by value ascending when minimizing, ties by number, without NULLs', () => {
    const reader = openReadStore(sweepWith('minimize', values));
    expect(reader.best(10).map((t) => [t.number, t.value])).toEqual([
      [2, 0.2],
      [4, 0.2],
      [0, 0.5],
      [5, 0.7],
      [3, 0.9],
    ]);
    expect(reader.best(2).map((t) => t.number)).toEqual([2, 4]);
    expect(reader.best(Number.POSITIVE_INFINITY)).toHaveLength(5);
    expect(reader.best(0)).toEqual([]);
    reader.close();
  });

  it('orders by value descending when maximizing, ties by number, without NULLs', () => {
    const reader = openReadStore(sweepWith('maximize', values));
    expect(reader.best(10).map((t) => [t.number, t.value])).toEqual([
      [3, 0.9],
      [5, 0.7],
      [0, 0.5],
      [2, 0.2],
      [4, 0.2],
    ]);
    expect(reader.best(1)[0]?.params).toEqual({ n: 3 });
    reader.close();
  });
});

describe('ReadStore trials and counts', () => {
  it('lists trials by number, filtered by state, and counts every state', () => {
    const reader = openReadStore(sweepWith('minimize', [0.3, 0.1]));
    expect(reader.trials().map((t) => [t.number, t.state])).toEqual([
      [0, 'complete'],
      [1, 'complete'],
      [2, 'failed'],
      [3, 'running'],
    ]);
    expect(reader.trials({ states: ['failed', 'running'] }).map((t) => t.number)).toEqual([2, 3]);
    expect(reader.trials({ states: [] })).toEqual([]);
    expect(reader.trial(2)?.error).toBe('boom');
    expect(reader.trial(42)).toBeUndefined();
    expect(reader.counts()).toEqual({ queued: 0, running: 1, complete: 2, pruned: 0, failed: 1 });
    expect(reader.sweep().metricGoal).toBe('minimize');
    reader.close();
  });
});

describe('final metrics', () => {
  function withCurves(): { dbPath: string; id: number } {
    const dbPath = tempDbPath();
    const store = openWriteStore(dbPath, sweepRecord());
    const id = store.insertTrial({ number: 0, params: {}, config: null, steps: 30 });
    store.markRunning(id, 1, 'cpu');
    // Reported out of order, and train_loss stops earlier than rel_l1.
    store.addMetrics(id, 20, { rel_l1: 0.2, train_loss: 2 });
    store.addMetrics(id, 10, { rel_l1: 0.4, train_loss: 4 });
    store.addMetrics(id, 30, { rel_l1: Number.NaN, 'rel_l1.p90': 0.5 });
    store.finishTrial(id, { state: 'failed', value: null, step: 30, error: 'diverged' });
    store.close();
    return { dbPath, id };
  }

  it('the final_metrics view gives each metric at its last step', () => {
    const { dbPath, id } = withCurves();
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT trial_id, name, value, step FROM final_metrics ORDER BY name').all()).toEqual([
      { trial_id: id, name: 'rel_l1', value: null, step: 30 },
      { trial_id: id, name: 'rel_l1.p90', value: 0.5, step: 30 },
      { trial_id: id, name: 'train_loss', value: 2, step: 20 },
    ]);
    db.close();
  });

  it('trial summaries carry the final metrics, and curve() every point by name then step', () => {
    const { dbPath, id } = withCurves();
    const reader = openReadStore(dbPath);
    expect(reader.trial(0)?.metrics).toEqual({ rel_l1: null, 'rel_l1.p90': 0.5, train_loss: 2 });
    expect(reader.curve(id)).toEqual([
      { step: 10, name: 'rel_l1', value: 0.4 },
      { step: 20, name: 'rel_l1', value: 0.2 },
      { step: 30, name: 'rel_l1', value: null },
      { step: 30, name: 'rel_l1.p90', value: 0.5 },
      { step: 10, name: 'train_loss', value: 4 },
      { step: 20, name: 'train_loss', value: 2 },
    ]);
    expect(reader.curve(id, 'train_loss').map((p) => p.step)).toEqual([10, 20]);
    expect(reader.curve(id, 'nope')).toEqual([]);
    reader.close();
  });
});

describe('reading beside a live writer (WAL)', () => {
  function liveSweep(): { dbPath: string; store: WriteStore; id: number } {
    const dbPath = tempDbPath();
    const store = openWriteStore(dbPath, sweepRecord());
    const id = store.insertTrial({ number: 0, params: {}, config: null, steps: 100 });
    store.markRunning(id, 1, 'cpu');
    store.addMetrics(id, 1, { rel_l1: 0.9 });
    store.flush();
    return { dbPath, store, id };
  }

  it('reads committed data while the writer holds an open write transaction', () => {
    const { dbPath, store, id } = liveSweep();
    // Another writer connection mid-transaction, holding the write lock with uncommitted rows.
    const busy = new Database(dbPath);
    busy.exec('BEGIN IMMEDIATE');
    busy.prepare("UPDATE trials SET state = 'failed' WHERE id = ?").run(id);

    const reader = openReadStore(dbPath);
    const started = performance.now();
    expect(reader.trial(0)?.state).toBe('running');
    expect(reader.curve(id)).toHaveLength(1);
    expect(reader.counts().running).toBe(1);
    // Not answered by waiting out a lock.
    expect(performance.now() - started).toBeLessThan(1000);
    busy.exec('ROLLBACK');
    busy.close();
    reader.close();
    store.close();
  });

  it('lets the writer commit while a reader holds a snapshot, and the reader sees it afterwards', () => {
    const { dbPath, store, id } = liveSweep();
    const reader = openReadStore(dbPath);
    const snapshotHolder = new Database(dbPath, { readonly: true });
    snapshotHolder.exec('BEGIN');
    expect(snapshotHolder.prepare('SELECT count(*) AS n FROM metrics').get()).toEqual({ n: 1 });

    // In rollback-journal mode this commit would wait for the reader and fail with SQLITE_BUSY.
    (store as unknown as { db: Database.Database }).db.pragma('busy_timeout = 0');
    store.addMetrics(id, 2, { rel_l1: 0.8 });
    store.finishTrial(id, { state: 'complete', value: 0.8, step: 2 });

    // The open snapshot is unchanged; a new read sees the commit.
    expect(snapshotHolder.prepare('SELECT count(*) AS n FROM metrics').get()).toEqual({ n: 1 });
    snapshotHolder.exec('COMMIT');
    snapshotHolder.close();
    expect(reader.trial(0)).toMatchObject({ state: 'complete', value: 0.8, metrics: { rel_l1: 0.8 } });
    reader.close();
    store.close();
  });

  it('a reader open while the writer closes keeps working, and the data is all there', () => {
    const { dbPath, store } = liveSweep();
    const reader = openReadStore(dbPath);
    store.close();
    expect(reader.trial(0)?.metrics).toEqual({ rel_l1: 0.9 });
    reader.close();
    const again = openReadStore(dbPath);
    expect(again.trial(0)?.metrics).toEqual({ rel_l1: 0.9 });
    again.close();
  });

  it('a reader opened before the writer follows what the writer commits', () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    openWriteStore(dbPath, sweep).close();
    const reader = openReadStore(dbPath);
    expect(reader.trials()).toEqual([]);

    const store = openWriteStore(dbPath, sweep);
    const id = store.insertTrial({ number: 0, params: {}, config: null, steps: 10 });
    store.markRunning(id, 1, 'cpu');
    store.addMetrics(id, 5, { rel_l1: 0.5 });
    store.flush();
    expect(reader.trial(0)).toMatchObject({ state: 'running', step: 5, metrics: { rel_l1: 0.5 } });
    store.finishTrial(id, { state: 'complete', value: 0.5, step: 10 });
    store.close();
    expect(reader.counts().complete).toBe(1);
    reader.close();

    // The writer checkpointed on close, so the main file alone holds everything.
    const copy = `${dbPath}.copy`;
    fs.copyFileSync(dbPath, copy);
    const fromCopy = openReadStore(copy);
    expect(fromCopy.trial(0)?.value).toBe(0.5);
    fromCopy.close();
  });
});
