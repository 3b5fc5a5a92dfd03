// Watch mode's loader: the DashboardState built from a results DB, and the ReadStore queries it uses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openReadStore, openWriteStore, type ReadStore, type SweepRecord } from '../../src/store/index.js';
import { WatchLoader, historyState, plannedTrials } from '../../src/tui/watch-loader.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function record(trialCount: number, goal: 'minimize' | 'maximize' = 'minimize'): SweepRecord {
  const specJson = JSON.stringify({ name: 'w', method: 'grid', trialCount, metric: { name: 'rel_l1', goal } });
  return { name: 'w', method: 'grid', metricName: 'rel_l1', metricGoal: goal, specJson, specSource: '', specHash: `h${trialCount}${goal}`, createdAt: new Date().toISOString() };
}

/**
 * Trial 0 complete (curve 0.9, 0.3, 0.4 → value 0.4, best 0.3), 1 failed, 2 pruned at 20 (value 5),
 * 3 running at step 20 (0.7, 640 steps/s), 4 queued; 6 planned.
 */
async function sampleDb(goal: 'minimize' | 'maximize' = 'minimize'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-watch-'));
  dirs.push(dir);
  const dbPath = path.join(dir, 'w.db');
  const store = await openWriteStore(dbPath, record(6, goal));
  const metrics = (value: number) => ({ rel_l1: value, steps_per_s: 640, train_loss: value });
  const t0 = await store.insertTrial({ number: 0, params: { lr: 0.1, features: 'raw' }, config: null, steps: 60 });
  await store.markRunning(t0, 1, 'wasm');
  await store.addMetrics(t0, 20, metrics(0.9));
  await store.addMetrics(t0, 40, metrics(0.3));
  await store.addMetrics(t0, 60, metrics(0.4));
  const model = { layerSizes: [2, 1], activations: [], kernels: [new Float32Array([1, 2])], biases: [new Float32Array([0])], norm: { mean: [0, 0], std: [1, 1] } };
  await store.finishTrial(t0, { state: 'complete', value: 0.4, step: 60 }, model);
  const t1 = await store.insertTrial({ number: 1, params: { lr: 0.2, features: 'raw' }, config: null, steps: 60 });
  await store.markRunning(t1, 2, 'wasm');
  await store.finishTrial(t1, { state: 'failed', value: null, step: 3, error: 'diverged: training loss is NaN at step 3' });
  const t2 = await store.insertTrial({ number: 2, params: { lr: 0.1, features: 'log' }, config: null, steps: 60 });
  await store.markRunning(t2, 2, 'wasm');
  await store.addMetrics(t2, 20, metrics(5));
  await store.finishTrial(t2, { state: 'pruned', value: null, step: 20, error: 'pruned' });
  const t3 = await store.insertTrial({ number: 3, params: { lr: 0.2, features: 'log' }, config: null, steps: 60 });
  await store.markRunning(t3, 1, 'wasm');
  await store.addMetrics(t3, 20, metrics(0.7));
  await store.insertTrial({ number: 4, params: { lr: 0.1, features: 'raw' }, config: null, steps: 60 });
  await store.close();
  return dbPath;
}

async function withReader<T>(dbPath: string, use: (reader: ReadStore) => Promise<T>): Promise<T> {
  const reader = await openReadStore(dbPath);
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}

describe('kept models', () => {
  it('are marked on their trials, and only on them', async () => {
    const dbPath = await sampleDb();
    const state = await withReader(dbPath, async (reader) => await new WatchLoader(reader, dbPath).load({ now: Date.now() }));
    expect(state.trials.get(0)!.modelKept).toBe(true);
    expect([1, 2, 3, 4].map((n) => state.trials.get(n)?.modelKept ?? false)).toEqual([false, false, false, false]);
  });
});

describe('ReadStore queries for the dashboard', () => {
  it('lists trials without configs, reads the latest and the best metric per trial', async () => {
    await withReader(await sampleDb(), async (reader) => {
      const listing = await reader.trialListing();
      expect(listing.map((t) => [t.number, t.state, t.step])).toEqual([
        [0, 'complete', 60],
        [1, 'failed', 3],
        [2, 'pruned', 20],
        [3, 'running', 20],
        [4, 'queued', null],
      ]);
      expect(listing[0]!.params).toEqual({ lr: 0.1, features: 'raw' });
      const ids = listing.map((t) => t.id);
      const latest = await reader.latestMetrics(ids, ['rel_l1', 'steps_per_s']);
      const byKey = Object.fromEntries(latest.map((m) => [`${m.trialId}/${m.name}`, [m.step, m.value]]));
      expect(byKey[`${ids[0]}/rel_l1`]).toEqual([60, 0.4]);
      expect(byKey[`${ids[2]}/rel_l1`]).toEqual([20, 5]);
      expect(byKey[`${ids[3]}/steps_per_s`]).toEqual([20, 640]);
      expect(latest.filter((m) => m.trialId === ids[1])).toEqual([]);
      expect(await reader.bestMetricValues(ids, 'rel_l1')).toEqual([
        { trialId: ids[0], value: 0.3 },
        { trialId: ids[2], value: 5 },
        { trialId: ids[3], value: 0.7 },
      ]);
      expect(await reader.latestMetrics([], ['rel_l1'])).toEqual([]);
      // no writer holds this DB any more
      expect(await reader.liveWriter()).toBeUndefined();
    });
  });

  it('takes the best per the goal', async () => {
    await withReader(await sampleDb('maximize'), async (reader) => {
      const ids = (await reader.trialListing()).map((t) => t.id);
      expect(await reader.bestMetricValues(ids.slice(0, 1), 'rel_l1')).toEqual([{ trialId: ids[0], value: 0.9 }]);
    });
  });
});

describe('WatchLoader', () => {
  it('builds the dashboard state from the DB', async () => {
    const dbPath = await sampleDb();
    await withReader(dbPath, async (reader) => {
      const state = await new WatchLoader(reader, dbPath).load({ now: Date.now() });
      expect(state.mode).toBe('watch');
      expect(state.sweep).toMatchObject({ name: 'w', method: 'grid', backend: 'wasm', total: 6, db: dbPath, metric: { name: 'rel_l1', goal: 'minimize' } });
      expect(state.status).toBe('idle'); // nobody writes it and 2 of 6 trials are left
      expect(state.best).toEqual({ number: 0, value: 0.4 });
      expect(state.trials.get(0)).toMatchObject({ state: 'complete', current: 0.4, best: 0.3, step: 60, steps: 60 });
      expect(state.trials.get(0)!.curve).toEqual([
        { step: 20, value: 0.9 },
        { step: 40, value: 0.3 },
        { step: 60, value: 0.4 },
      ]);
      expect(state.trials.get(1)).toMatchObject({ state: 'failed', current: null, error: 'diverged: training loss is NaN at step 3' });
      expect(state.trials.get(2)).toMatchObject({ state: 'pruned', current: 5, best: 5 });
      expect(state.trials.get(3)).toMatchObject({ state: 'running', current: 0.7, stepsPerS: 640, worker: 1 });
      expect(state.trials.get(3)!.curve).toBeUndefined(); // only the curves on show are read
      expect(state.lanes).toEqual([{ worker: 1, trial: 3, stepsPerS: 640 }]);
      expect(state.log.map((e) => e.text)).toEqual([
        'trial 0 complete at step 60: rel_l1=0.4',
        'trial 1 failed at step 3: diverged: training loss is NaN at step 3',
        'trial 2 pruned at step 20: pruned',
      ]);
      expect(state.doneBeforeRun + state.finishedInRun).toBe(3);
    });
  });

  it('reads the curves asked for, and keeps finished trials’ numbers instead of reading them again', async () => {
    const dbPath = await sampleDb();
    await withReader(dbPath, async (reader) => {
      const loader = new WatchLoader(reader, dbPath);
      await loader.load({ now: Date.now() });
      const asked: number[][] = [];
      const latestMetrics = reader.latestMetrics.bind(reader);
      reader.latestMetrics = (ids, names) => {
        asked.push([...ids]);
        return latestMetrics(ids, names);
      };
      const state = await loader.load({ now: Date.now(), curvesFor: [3] });
      expect(state.trials.get(3)!.curve).toEqual([{ step: 20, value: 0.7 }]);
      // the second load asks only about the running trial
      const running = (await reader.trialListing()).find((t) => t.number === 3)!.id;
      expect(asked).toEqual([[running]]);
      expect(state.trials.get(2)!.current).toBe(5);
    });
  });

  it('a finished DB reads as finished', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-watch-'));
    dirs.push(dir);
    const dbPath = path.join(dir, 'done.db');
    const store = await openWriteStore(dbPath, record(1));
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 1 });
    await store.markRunning(id, 1, 'cpu');
    await store.finishTrial(id, { state: 'complete', value: 1, step: 1 });
    await store.close();
    await withReader(dbPath, async (reader) => {
      const state = await new WatchLoader(reader, dbPath).load({ now: Date.now() });
      expect(state.status).toBe('finished');
      expect(state.runEndedAt).not.toBeNull();
    });
  });

  it('gives a live run its earlier runs’ finished trials, with their curves', async () => {
    const dbPath = await sampleDb();
    await withReader(dbPath, async (reader) => {
      const state = await historyState(reader, dbPath, Date.now());
      expect(state.mode).toBe('live');
      expect([...state.trials.keys()]).toEqual([0, 1, 2]);
      expect(state.trials.get(2)!.curve).toEqual([{ step: 20, value: 5 }]);
      expect(state.best).toEqual({ number: 0, value: 0.4 });
      expect(state.lanes).toEqual([]);
    });
  });

  it('takes the plan size from the stored spec', async () => {
    expect(plannedTrials(record(48), 3)).toBe(48);
    expect(plannedTrials({ ...record(1), specJson: '{}' }, 3)).toBe(3);
  });
});
