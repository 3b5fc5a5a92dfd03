// What the view computes from the state: rows, varying parameters, progress and the ETA.
import { describe, expect, it } from 'vitest';
import { elapsedSeconds, etaSeconds, progress, sweepEta, shortParamName, varyingParams, visibleTrials } from '../../src/tui/derive.js';
import { T0, busyEvents, busySweep, evaluated, fold, started, trialStarted } from './fixtures.js';

describe('visibleTrials', () => {
  const trials = () => busySweep().trials.values();

  it('lists by number, or best metric first with trials that have none last', () => {
    expect(visibleTrials(trials(), 'number', 'all', 'minimize').map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
    // 0: 0.2 (final), 3: 0.5 (latest), 4: 2.5, 1: 5 (when pruned); 2 failed before any evaluation
    expect(visibleTrials(trials(), 'metric', 'all', 'minimize').map((t) => t.number)).toEqual([0, 3, 4, 1, 2]);
    expect(visibleTrials(trials(), 'metric', 'all', 'maximize').map((t) => t.number)).toEqual([1, 4, 3, 0, 2]);
  });

  it('filters by state', () => {
    expect(visibleTrials(trials(), 'number', 'running', 'minimize').map((t) => t.number)).toEqual([3, 4]);
    expect(visibleTrials(trials(), 'number', 'failed', 'minimize').map((t) => t.number)).toEqual([2]);
    expect(visibleTrials(trials(), 'number', 'queued', 'minimize')).toEqual([]);
  });
});

describe('varyingParams', () => {
  it('keeps the parameters whose values differ', () => {
    const state = fold([started(), trialStarted(0, 1, { a: 1, b: 'x', c: [1] }), trialStarted(1, 2, { a: 1, b: 'y', c: [2] })]);
    expect(varyingParams(state.trials.values())).toEqual(['b', 'c']);
  });

  it('keeps all of them while there is only one trial', () => {
    const state = fold([started(), trialStarted(0, 1, { a: 1, b: 'x' })]);
    expect(varyingParams(state.trials.values())).toEqual(['a', 'b']);
  });

  it('names a column by the last segment of the path', () => {
    expect(shortParamName('training.schedule.type')).toBe('type');
    expect(shortParamName('features')).toBe('features');
  });
});

describe('progress, elapsed and ETA', () => {
  it('counts finished trials from earlier runs and this one against the plan', () => {
    const state = fold([started({ total: 10, alreadyDone: 4 }), trialStarted(4, 1), evaluated(4, 60, 0.1)]);
    expect(progress(state)).toEqual({ done: 4, total: 10 });
    expect(progress(busySweep())).toEqual({ done: 3, total: 6 });
  });

  it('extrapolates this run’s throughput, running trials counted by their fraction done', () => {
    const state = busySweep(); // started at T0; 3 finished + 40/60 + 20/60 = 4 trials' worth of work
    const now = T0 + 40_000;
    expect(elapsedSeconds(state, now)).toBe(40);
    // 6 planned, 4 done's worth in 40 s: 2 more take 20 s
    expect(etaSeconds(state, now)).toBeCloseTo(20, 6);
  });

  it('ends at the time budget when it comes before the cap, and is an upper bound under a metric target', () => {
    const now = T0 + 40_000;
    expect(sweepEta(busySweep(), now)).toEqual({ seconds: expect.closeTo(20, 6) as number, bound: 'cap', atMost: false });
    const budget = (seconds: number) => fold([started({ timeBudgetSeconds: seconds }), ...busyEvents()]);
    expect(sweepEta(budget(50), now)).toEqual({ seconds: 10, bound: 'budget', atMost: false });
    expect(sweepEta(budget(500), now)).toEqual({ seconds: expect.closeTo(20, 6) as number, bound: 'cap', atMost: false });
    const target = fold([started({ metric: { name: 'rel_l1', goal: 'minimize', target: 1e-5 } }), ...busyEvents()]);
    expect(sweepEta(target, now).atMost).toBe(true);
  });

  it('has no ETA before any progress, nor once the sweep stopped', () => {
    const fresh = fold([started(), trialStarted(0, 1)]);
    expect(etaSeconds(fresh, T0 + 10_000)).toBeNull();
    expect(etaSeconds({ ...busySweep(), status: 'stopped' }, T0 + 40_000)).toBeNull();
  });

  it('stops the clock when the run ended', () => {
    const state = { ...busySweep(), runEndedAt: T0 + 5_000 };
    expect(elapsedSeconds(state, T0 + 99_000)).toBe(5);
  });
});
