// Events and states for the dashboard tests: a small minimize sweep with trials in every state.
import { Writable } from 'node:stream';
import type { SweepEvent } from '../../src/run/events.js';
import { emptyState, reduceEvent, type DashboardState } from '../../src/tui/state.js';

export const T0 = Date.parse('2026-01-01T12:00:00Z');

export function started(overrides: Partial<Extract<SweepEvent, { type: 'sweep-started' }>> = {}): SweepEvent {
  return {
    type: 'sweep-started',
    name: 'smoke',
    method: 'grid',
    total: 6,
    alreadyDone: 0,
    workers: 2,
    backend: 'wasm',
    device: 'CPU, 2 cores',
    db: 'results/smoke.db',
    metric: { name: 'rel_l1', goal: 'minimize' },
    ...overrides,
  };
}

export const trialStarted = (number: number, worker: number, params: Record<string, unknown> = { features: number % 2 ? 'log' : 'raw', 'training.lr': 0.01 * (number + 1) }): SweepEvent => ({
  type: 'trial-started',
  number,
  params,
  worker,
  backend: 'wasm',
});

export const evaluated = (number: number, step: number, value: number, steps = 60, stepsPerS = 800): SweepEvent => ({
  type: 'trial-eval',
  number,
  step,
  steps,
  metrics: { rel_l1: value, 'rel_l1.median': value / 2, steps_per_s: stepsPerS, train_loss: value, lr: 0.01 },
});

export const finished = (
  number: number,
  state: 'complete' | 'pruned' | 'failed',
  value: number | null,
  best: { number: number; value: number } | null,
  error?: string,
): SweepEvent => ({
  type: 'trial-finished',
  number,
  params: { features: number % 2 ? 'log' : 'raw', 'training.lr': 0.01 * (number + 1) },
  state,
  value,
  step: state === 'complete' ? 60 : 20,
  seconds: 1.5,
  best,
  ...(error ? { error } : {}),
});

/** Folds events one second apart from T0. */
export function fold(events: SweepEvent[], from: DashboardState = emptyState('live')): DashboardState {
  return events.reduce((state, event, i) => reduceEvent(state, event, T0 + i * 1000), from);
}

/** Trial 0 complete (best, 0.2), trial 1 pruned, trial 2 failed, trial 3 running at 40/60, trial 4 running at 20/60; 6 planned. */
export function busySweep(): DashboardState {
  return fold([started(), ...busyEvents()]);
}

/** busySweep's events after sweep-started, to fold after a sweep-started of one's own. */
export function busyEvents(): SweepEvent[] {
  return [
    trialStarted(0, 1),
    trialStarted(1, 2),
    evaluated(0, 20, 0.9),
    evaluated(0, 40, 0.3),
    evaluated(0, 60, 0.2),
    finished(0, 'complete', 0.2, { number: 0, value: 0.2 }),
    evaluated(1, 20, 5),
    finished(1, 'pruned', null, { number: 0, value: 0.2 }, 'pruned by median at step 20'),
    trialStarted(2, 1),
    finished(2, 'failed', null, { number: 0, value: 0.2 }, 'diverged: training loss is NaN at step 7'),
    trialStarted(3, 1),
    trialStarted(4, 2),
    evaluated(3, 20, 0.8),
    evaluated(3, 40, 0.5),
    evaluated(4, 20, 2.5, 60, 400),
  ];
}

/**
 * A terminal of `columns` × `rows` that keeps everything written to it: `text()` as written,
 * `frames()` without the escape sequences between the lines of its frames, `writes()` how many.
 */
export function recordingTerminal(columns: number, rows: number) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  Object.assign(stream, { isTTY: true, columns, rows });
  const text = () => chunks.join('');
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    text,
    frames: () => text().replace(/\u001B\[[0-9;?]*[A-Za-z]/g, ''),
    writes: () => chunks.length,
  };
}
