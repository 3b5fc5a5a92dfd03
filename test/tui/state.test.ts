// The reducer from SweepEvents to the dashboard's state: what each event changes, and that it is pure.
import { describe, expect, it } from 'vitest';
import { countStates, emptyState, markStopping, reduceEvent, withOthersFinished, LOG_LIMIT, type DashboardState } from '../../src/tui/state.js';
import type { SweepEvent } from '../../src/run/events.js';
import { T0, busySweep, evaluated, finished, fold, started, trialStarted } from './fixtures.js';

/** Freezes a state deeply so that a reducer that mutates its input throws. */
function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
    const map = value as Map<unknown, unknown>;
    map.set = () => {
      throw new Error('mutated a Map of the previous state');
    };
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return Object.isFrozen(value) ? value : Object.freeze(value);
}

describe('reduceEvent', () => {
  it('sweep-started fills in the sweep and starts the clock', () => {
    const state = fold([started({ alreadyDone: 2 })]);
    expect(state.sweep).toMatchObject({ name: 'smoke', method: 'grid', backend: 'wasm', device: 'CPU, 2 cores', workers: 2, total: 6 });
    expect(state.sweep?.metric).toEqual({ name: 'rel_l1', goal: 'minimize' });
    expect(state.runStartedAt).toBe(T0);
    expect(state.doneBeforeRun).toBe(2);
    expect(state.status).toBe('running');
  });

  it('trial-started makes a running trial on its worker lane', () => {
    const state = fold([started(), trialStarted(3, 7)]);
    expect(state.trials.get(3)).toMatchObject({ number: 3, state: 'running', worker: 7, step: 0, current: null, curve: [] });
    expect(state.lanes).toEqual([{ worker: 7, trial: 3, stepsPerS: null }]);
  });

  it('trial-eval appends to the curve and keeps the current and the best value per the goal', () => {
    const state = fold([started(), trialStarted(0, 1), evaluated(0, 20, 0.9), evaluated(0, 40, 0.3), evaluated(0, 60, 0.4, 60, 512)]);
    const trial = state.trials.get(0)!;
    expect(trial.curve).toEqual([
      { step: 20, value: 0.9 },
      { step: 40, value: 0.3 },
      { step: 60, value: 0.4 },
    ]);
    expect(trial).toMatchObject({ step: 60, steps: 60, current: 0.4, best: 0.3, stepsPerS: 512 });
    expect(state.lanes[0]!.stepsPerS).toBe(512);

    const maximizing = fold([started({ metric: { name: 'rel_l1', goal: 'maximize' } }), trialStarted(0, 1), evaluated(0, 20, 0.9), evaluated(0, 40, 0.3)]);
    expect(maximizing.trials.get(0)!.best).toBe(0.9);
  });

  it('a NaN evaluation is a gap in the curve, not a value', () => {
    const state = fold([started(), trialStarted(0, 1), evaluated(0, 20, 0.5), evaluated(0, 40, Number.NaN)]);
    expect(state.trials.get(0)!.curve).toEqual([
      { step: 20, value: 0.5 },
      { step: 40, value: null },
    ]);
    expect(state.trials.get(0)!.best).toBe(0.5);
  });

  it('trial-finished records the end state, frees the lane, counts, and logs with the reason', () => {
    const state = busySweep();
    expect(state.trials.get(0)).toMatchObject({ state: 'complete', current: 0.2, best: 0.2, step: 60 });
    expect(state.trials.get(1)).toMatchObject({ state: 'pruned', current: 5, error: 'pruned by median at step 20' });
    expect(state.trials.get(2)).toMatchObject({ state: 'failed', error: 'diverged: training loss is NaN at step 7' });
    expect(state.best).toEqual({ number: 0, value: 0.2 });
    expect(state.finishedInRun).toBe(3);
    expect(state.log.map((e) => [e.kind, e.text])).toEqual([
      ['complete', 'trial 0 complete at step 60: rel_l1=0.2 (new best)'],
      ['pruned', 'trial 1 pruned at step 20: pruned by median at step 20'],
      ['failed', 'trial 2 failed at step 20: diverged: training loss is NaN at step 7'],
    ]);
    expect(state.lanes).toEqual([
      { worker: 1, trial: 3, stepsPerS: 800 },
      { worker: 2, trial: 4, stepsPerS: 400 },
    ]);
  });

  it('trial-interrupted puts the trial back in the queue and says so', () => {
    const state = fold([started(), trialStarted(0, 1), evaluated(0, 20, 0.5), { type: 'trial-interrupted', number: 0, step: 23 }]);
    expect(state.trials.get(0)).toMatchObject({ state: 'queued', step: 0, current: null, curve: [] });
    expect(state.lanes[0]!.trial).toBeNull();
    expect(state.log.at(-1)).toMatchObject({ kind: 'interrupted', trial: 0, text: 'trial 0 interrupted at step 23; back in the queue' });
  });

  it('notice goes to the log; sweep-finished ends the clock', () => {
    const state = fold([
      started(),
      { type: 'notice', message: 'time budget of 10m reached' },
      { type: 'sweep-finished', counts: { complete: 0, pruned: 0, failed: 0 }, interrupted: 0, best: null, seconds: 2, stopped: true },
    ]);
    expect(state.log).toEqual([{ at: T0 + 1000, kind: 'notice', text: 'time budget of 10m reached' }]);
    expect(state.status).toBe('stopped');
    expect(state.runEndedAt).toBe(T0 + 2000);
  });

  it('an event type it does not know leaves the state as it is', () => {
    const before = busySweep();
    const unknown = { type: 'trial-pruned-by-hyperband', number: 1 } as unknown as SweepEvent;
    expect(reduceEvent(before, unknown, T0)).toBe(before);
  });

  it('never changes the state it is given', () => {
    const events: SweepEvent[] = [
      trialStarted(5, 1),
      evaluated(3, 60, 0.1),
      finished(3, 'complete', 0.1, { number: 3, value: 0.1 }),
      { type: 'trial-interrupted', number: 4, step: 30 },
      { type: 'notice', message: 'hi' },
      { type: 'sweep-finished', counts: { complete: 2, pruned: 1, failed: 1 }, interrupted: 1, best: { number: 3, value: 0.1 }, seconds: 9, stopped: false },
    ];
    for (const event of events) {
      const before: DashboardState = deepFreeze(busySweep());
      const snapshot = JSON.stringify({ ...before, trials: [...before.trials] });
      expect(() => reduceEvent(before, event, T0)).not.toThrow();
      expect(JSON.stringify({ ...before, trials: [...before.trials] })).toBe(snapshot);
    }
  });

  it('keeps the log bounded', () => {
    let state = fold([started()]);
    for (let i = 0; i < LOG_LIMIT + 50; i++) state = reduceEvent(state, { type: 'notice', message: `n${i}` }, T0 + i);
    expect(state.log).toHaveLength(LOG_LIMIT);
    expect(state.log.at(-1)!.text).toBe(`n${LOG_LIMIT + 49}`);
  });

  it('trials started on a busy worker are its pack: one lane, members leave one by one, the rest go on', () => {
    let state = fold([started({ workers: 2, pack: 3 }), trialStarted(0, 1), trialStarted(1, 1), trialStarted(2, 1), trialStarted(3, 2)]);
    expect(state.sweep?.pack).toBe(3);
    expect(state.lanes).toEqual([
      { worker: 1, trial: 0, packed: [0, 1, 2], stepsPerS: null },
      { worker: 2, trial: 3, stepsPerS: null },
    ]);
    state = reduceEvent(state, finished(0, 'pruned', 0.5, null), T0 + 1);
    expect(state.lanes[0]).toEqual({ worker: 1, trial: 1, packed: [1, 2], stepsPerS: null });
    state = reduceEvent(state, finished(2, 'complete', 0.1, null), T0 + 2);
    expect(state.lanes[0]).toEqual({ worker: 1, trial: 1, stepsPerS: null });
    state = reduceEvent(state, finished(1, 'complete', 0.2, null), T0 + 3);
    expect(state.lanes[0]).toEqual({ worker: 1, trial: null, stepsPerS: null });
    expect(state.lanes.filter((l) => l.trial !== null)).toHaveLength(1);
  });

  it('drops idle lanes of replaced worker threads beyond the pool size', () => {
    const state = fold([started({ workers: 2 }), trialStarted(0, 1), trialStarted(1, 2), finished(0, 'failed', null, null, 'worker crashed'), trialStarted(2, 3)]);
    expect(state.lanes.map((l) => [l.worker, l.trial])).toEqual([
      [2, 1],
      [3, 2],
    ]);
  });
});

describe('countStates and markStopping', () => {
  it('counts trials per state; planned trials not seen yet are queued', () => {
    expect(countStates(busySweep())).toEqual({ queued: 1, running: 2, complete: 1, pruned: 1, failed: 1 });
  });

  it('marks a running sweep as stopping, and nothing else', () => {
    expect(markStopping(busySweep()).status).toBe('stopping');
    const done = { ...emptyState('live'), status: 'finished' as const };
    expect(markStopping(done)).toBe(done);
  });
});

describe('withOthersFinished (another agent on a shared sweep)', () => {
  // What a load of the store says: this run's trials 0-4 as busySweep has them, and agent b's 5 (complete, better) and 6 (pruned).
  const loaded = (): DashboardState => {
    const other = fold([started(), finished(5, 'complete', 0.05, { number: 5, value: 0.05 }), finished(6, 'pruned', 0.8, null, 'asha: worse')]);
    return { ...other, trials: new Map([...busySweep().trials, ...other.trials]), best: { number: 5, value: 0.05 } };
  };

  it('adds the finished trials the dashboard does not know, counted as done by others, with their log lines and the better best', () => {
    const state = busySweep();
    const merged = withOthersFinished(state, loaded());
    expect([...merged.trials.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(merged.trials.get(3)).toBe(state.trials.get(3)); // this run's own trials stay the events'
    expect(merged.doneBeforeRun).toBe(state.doneBeforeRun + 2);
    expect(merged.finishedInRun).toBe(state.finishedInRun);
    expect(merged.best).toEqual({ number: 5, value: 0.05 });
    expect(merged.log.filter((e) => e.trial === 5 || e.trial === 6).map((e) => e.kind)).toEqual(['complete', 'pruned']);
    expect(merged.log.map((e) => e.at)).toEqual([...merged.log.map((e) => e.at)].sort((a, b) => a - b)); // in time order
    // Nothing new: the same state back.
    expect(withOthersFinished(merged, loaded())).toBe(merged);
  });

  it('keeps this run\'s best when it is better', () => {
    const state = busySweep();
    const worse = { ...loaded(), best: { number: 5, value: 0.5 } };
    expect(withOthersFinished(state, worse).best).toEqual(state.best);
  });

  it('counts a trial of this run once when the store had it before its event came', () => {
    // Read from the store between this run's write and its event: not known as running here (an invalid configuration never starts).
    const early = withOthersFinished(busySweep(), loaded());
    const after = reduceEvent(early, finished(5, 'complete', 0.05, { number: 5, value: 0.05 }), T0 + 99_000);
    expect(after.doneBeforeRun + after.finishedInRun).toBe(early.doneBeforeRun + early.finishedInRun);
    expect(after.finishedInRun).toBe(early.finishedInRun + 1);
    expect(after.log.filter((e) => e.trial === 5)).toHaveLength(1);
  });
});
