// The live dashboard of a run that continues a sweep, or of an agent that joins one: the trials
// finished before it started (by earlier runs, or by other agents) and the kept-model marks come
// from the store, on a SQLite file and on a real PostgreSQL server whose database holds two sweeps.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSweepStore, type ClaimRequest, type SweepStore, type TrialOwner } from '../../src/store/index.js';
import { randomModel } from '../artifacts/fixtures.js';
import { sweepRecord } from '../store/fixtures.js';
import { tempDir } from '../helpers/sweep-text.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { finished, recordingTerminal, started, trialStarted } from './fixtures.js';

// As in live.test.tsx: ink as it draws outside CI (in CI it draws only the last frame).
let startLiveDashboard: typeof import('../../src/tui/index.js').startLiveDashboard;
let server: TestPostgres;
beforeAll(async () => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  ({ startLiveDashboard } = await import('../../src/tui/index.js'));
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});


async function waitFor(text: () => string, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(text())) {
    if (Date.now() > deadline) throw new Error(`the dashboard never drew ${String(pattern)}; it drew:\n${text().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const LIVENESS = { heartbeatSeconds: 1, graceSeconds: 30 };
const request = (owner: TrialOwner): ClaimRequest => ({
  owner,
  total: 4,
  sync: () => {},
  plan: (number) => ({ params: { features: number % 2 ? 'log' : 'raw', 'training.lr': 0.01 * (number + 1) }, config: null, steps: 60 }),
});

async function finishOne(store: SweepStore, owner: TrialOwner, state: 'complete' | 'pruned', value: number, error?: string): Promise<number> {
  const claimed = (await store.claimTrial(request(owner)))!;
  await store.markRunning(claimed.id, 1, 'wasm');
  await store.addMetrics(claimed.id, 20, { rel_l1: value * 2 });
  await store.addMetrics(claimed.id, 60, { rel_l1: value });
  const end = { state, value, step: state === 'complete' ? 60 : 20, ...(error ? { error } : {}) };
  expect(await store.finishTrial(claimed.id, end, state === 'complete' ? randomModel([2, 3, 1], ['tanh'], claimed.number + 1) : undefined)).toBe(true);
  return claimed.number;
}

const backends = [
  { name: 'SQLite', location: async () => join(tempDir('sweepdeck-live-history-'), 'a.db'), sweep: undefined },
  { name: 'PostgreSQL', location: async () => server.createDatabase('history'), sweep: 'a' },
];

describe.each(backends)('the live dashboard on a sweep in progress ($name)', (backend) => {
  it('shows the trials finished before it started and their kept models, then marks the models this run keeps', async () => {
    const location = await backend.location();
    const other = { host: 'elsewhere', agent: 'agent-b' };
    // Another agent (or an earlier run) finished trial 0 (kept model) and pruned trial 1.
    const earlier = await openSweepStore(location, sweepRecord({ name: 'a' }), { liveness: LIVENESS });
    expect(await finishOne(earlier, other, 'complete', 0.25)).toBe(0);
    expect(await finishOne(earlier, other, 'pruned', 0.9, 'asha: worse')).toBe(1);
    await earlier.close();
    if (backend.sweep) {
      // A second sweep in the same database: the dashboard must read its own.
      const second = await openSweepStore(location, sweepRecord({ name: 'b' }), { liveness: LIVENESS });
      await finishOne(second, other, 'complete', 0.5);
      await second.close();
    }

    // This run joins: it opens the sweep, its dashboard starts, then its orchestrator's events come.
    const store = await openSweepStore(location, sweepRecord({ name: 'a' }), { liveness: LIVENESS });
    const terminal = recordingTerminal(120, 40);
    const dashboard = await startLiveDashboard({
      stdout: terminal.stream,
      onInterrupt: () => {},
      print: () => {},
      refreshMs: 20,
      dbPath: location,
      ...(backend.sweep ? { sweep: backend.sweep } : {}),
    });
    try {
      dashboard.emit(started({ name: 'a', total: 4, alreadyDone: 2 }));
      await waitFor(terminal.frames, /✓ 1 complete ✂ 1 pruned/);
      await waitFor(terminal.frames, /model kept: predict, explain, export-model --trial\s+0\b/);
      const seeded = terminal.frames();
      expect(seeded).toContain('best: trial 0');
      expect(seeded).toContain('trial 1 pruned at step 20: asha: worse');

      // This run's own trial beats it: its model is kept, and the dashboard says so once the store has it.
      const mark = terminal.frames().length;
      dashboard.emit(trialStarted(2, 1));
      expect(await finishOne(store, { host: 'here', agent: 'agent-a' }, 'complete', 0.125)).toBe(2);
      dashboard.emit(finished(2, 'complete', 0.125, { number: 2, value: 0.125 }));
      await waitFor(() => terminal.frames().slice(mark), /✓ 2 complete ✂ 1 pruned/);
      await waitFor(() => terminal.frames().slice(mark), /model kept: predict, explain, export-model --trial\s+2\b/);
    } finally {
      dashboard.close();
      await store.close();
    }
  });
});

describe('the live dashboard of an agent on a shared PostgreSQL sweep', () => {
  it('adds the trials other agents finish while it runs: their count, log line and a better best', async () => {
    const location = await server.createDatabase('others');
    const here = { host: 'here', agent: 'agent-a' };
    const other = { host: 'elsewhere', agent: 'agent-b' };
    const store = await openSweepStore(location, sweepRecord({ name: 'a' }), { liveness: LIVENESS });
    const elsewhere = await openSweepStore(location, sweepRecord({ name: 'a' }), { liveness: LIVENESS });
    const terminal = recordingTerminal(120, 40);
    const dashboard = await startLiveDashboard({ stdout: terminal.stream, onInterrupt: () => {}, print: () => {}, refreshMs: 20, dbPath: location, sweep: 'a' });
    try {
      dashboard.emit(started({ name: 'a', total: 4, alreadyDone: 0 }));
      dashboard.emit(trialStarted(0, 1));
      expect(await finishOne(store, here, 'complete', 0.25)).toBe(0);
      dashboard.emit(finished(0, 'complete', 0.25, { number: 0, value: 0.25 }));
      await waitFor(terminal.frames, /✓ 1 complete/);
      // Agent b finishes two trials, one better than this run's: the dashboard shows them within a look or two.
      const mark = terminal.frames().length;
      expect(await finishOne(elsewhere, other, 'pruned', 0.9, 'asha: worse')).toBe(1);
      expect(await finishOne(elsewhere, other, 'complete', 0.0625)).toBe(2);
      await waitFor(() => terminal.frames().slice(mark), /✓ 2 complete ✂ 1 pruned/);
      const frames = terminal.frames().slice(mark);
      expect(frames).toContain('best: trial 2');
      expect(frames).toContain('trial 1 pruned at step 20: asha: worse');
      expect(frames).toMatch(/3\/4/);
    } finally {
      dashboard.close();
      await elsewhere.close();
      await store.close();
    }
  }, 60_000);
});
