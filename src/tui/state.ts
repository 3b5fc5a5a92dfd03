// What the dashboard shows, as one plain value (DashboardState), and the pure reducer that folds the
// orchestrator's SweepEvents into it (live mode). Watch mode builds the same value from the DB
// (watch-loader.ts). Components only read it.
import type { SweepEvent } from '../run/events.js';
import { formatMetric } from '../format.js';
import type { TrialState } from '../store/read.js';

export type Goal = 'minimize' | 'maximize';

export interface CurvePoint {
  step: number;
  /** null: the metric was NaN/Infinity at that evaluation. */
  value: number | null;
}

export interface TrialView {
  number: number;
  state: TrialState;
  params: Record<string, unknown>;
  worker: number | null;
  /** The machine and agent running (or that ran) it, when the store records them. */
  owner?: { host: string; agent: string };
  /** The last step reported (0 before the first evaluation). */
  step: number;
  /** Planned steps, when known. */
  steps: number | null;
  /** The sweep metric at the latest evaluation (for a complete trial: its final value). */
  current: number | null;
  /** The trial's best evaluation of the sweep metric so far, per the goal. */
  best: number | null;
  stepsPerS: number | null;
  error: string | null;
  /** The sweep metric's validation curve; undefined when not loaded (watch mode loads only the ones shown). */
  curve?: readonly CurvePoint[];
  /** Several targets: each target's metrics at the latest evaluation. */
  targetValues?: Readonly<Record<string, number | null>>;
  /** Whether the DB keeps this trial's trained model (keep_models), for predict/explain/export-model. */
  modelKept?: boolean;
}

export interface WorkerLane {
  worker: number;
  /** The trial it trains (the first of its pack), or null when idle. */
  trial: number | null;
  /** A pack of several trials: all of them, `trial` first (absent: one trial alone). */
  packed?: readonly number[];
  stepsPerS: number | null;
}

export type LogKind = 'complete' | 'pruned' | 'failed' | 'interrupted' | 'notice';

export interface LogEntry {
  /** ms since the epoch */
  at: number;
  kind: LogKind;
  trial?: number;
  text: string;
}

export interface SweepInfo {
  name: string;
  method: string;
  backend: string;
  device: string | null;
  /** Worker threads, when known (watch mode only sees the workers of running trials). */
  workers: number | null;
  /** Trials per pack, when the run packs them. */
  pack?: number;
  db: string;
  metric: { name: string; goal: Goal; target?: number };
  /** Several targets: every target's metrics, shown in the trial panel. */
  targetMetrics?: readonly string[];
  /** Trials in the plan (run_cap, or the grid). */
  total: number;
  /** --time-budget of this run, when one was given (the live dashboard only). */
  timeBudgetSeconds?: number;
}

/**
 * running: trials are being dispatched; stopping: a stop was asked, running trials finish their step;
 * finished / stopped: the run is over; idle (watch): no process is writing the DB and trials are left.
 */
export type SweepStatus = 'running' | 'stopping' | 'finished' | 'stopped' | 'idle';

export interface ParamImportance {
  param: string;
  importance: number;
}

export interface DashboardState {
  mode: 'live' | 'watch';
  sweep: SweepInfo | null;
  status: SweepStatus;
  /** When this run began (ms since the epoch); the clock and the ETA count from here. */
  runStartedAt: number | null;
  /** When it ended, or null while it runs. */
  runEndedAt: number | null;
  /**
   * Trials finished by others: before this run began, or (a shared PostgreSQL sweep) by other
   * agents while it runs. The ETA only extrapolates this run's own progress.
   */
  doneBeforeRun: number;
  /** Trials finished by this run. */
  finishedInRun: number;
  trials: ReadonlyMap<number, TrialView>;
  best: { number: number; value: number } | null;
  lanes: readonly WorkerLane[];
  /** Newest last, at most LOG_LIMIT entries. */
  log: readonly LogEntry[];
  /** Which parameters matter most; filled in by a later analysis, shown when present. */
  importance?: readonly ParamImportance[];
  /** Watch mode: the process writing the DB, if one is. */
  writer?: { pid: number; since: string } | null;
}

export const LOG_LIMIT = 200;

export function emptyState(mode: 'live' | 'watch'): DashboardState {
  return {
    mode,
    sweep: null,
    status: 'running',
    runStartedAt: null,
    runEndedAt: null,
    doneBeforeRun: 0,
    finishedInRun: 0,
    trials: new Map(),
    best: null,
    lanes: [],
    log: [],
  };
}

export const FINISHED_STATES: ReadonlySet<TrialState> = new Set(['complete', 'pruned', 'failed']);

export function isBetter(goal: Goal, value: number, than: number | null): boolean {
  return than === null || (goal === 'minimize' ? value < than : value > than);
}

function withTrial(state: DashboardState, trial: TrialView): ReadonlyMap<number, TrialView> {
  const trials = new Map(state.trials);
  trials.set(trial.number, trial);
  return trials;
}

function appendLog(log: readonly LogEntry[], entry: LogEntry): readonly LogEntry[] {
  const next = log.length >= LOG_LIMIT ? log.slice(log.length - LOG_LIMIT + 1) : log.slice();
  next.push(entry);
  return next;
}

function setLane(lanes: readonly WorkerLane[], lane: WorkerLane, workers: number | null): readonly WorkerLane[] {
  // A trial starting on a worker that is already training one joins its pack.
  const busy = lanes.find((l) => l.worker === lane.worker && l.trial !== null && l.trial !== lane.trial);
  if (busy) {
    const packed = [...(busy.packed ?? [busy.trial!]), lane.trial!];
    return lanes.map((l) => (l === busy ? { ...l, packed } : l));
  }
  let next = lanes.filter((l) => l.worker !== lane.worker);
  // A crashed worker thread is replaced by one with a new id: drop idle lanes beyond the pool's size.
  while (workers !== null && next.length >= workers && next.some((l) => l.trial === null)) {
    const idle = next.findIndex((l) => l.trial === null);
    next = next.filter((_, i) => i !== idle);
  }
  next.push(lane);
  return next.sort((a, b) => a.worker - b.worker);
}

function freeLane(lanes: readonly WorkerLane[], trial: number): readonly WorkerLane[] {
  return lanes.map((l) => {
    if (l.packed?.includes(trial)) {
      // A member left its pack: the pack goes on with the others.
      const packed = l.packed.filter((t) => t !== trial);
      const { packed: _gone, ...lane } = l;
      return { ...lane, trial: packed[0]!, ...(packed.length > 1 ? { packed } : {}) };
    }
    return l.trial === trial ? { ...l, trial: null, stepsPerS: null } : l;
  });
}

function newTrial(number: number, params: Record<string, unknown>): TrialView {
  return { number, state: 'queued', params, worker: null, step: 0, steps: null, current: null, best: null, stepsPerS: null, error: null, curve: [] };
}

/** Folds one orchestrator event into the state. Pure: returns a new state, never changes `state`. */
export function reduceEvent(state: DashboardState, event: SweepEvent, now: number): DashboardState {
  const goal = state.sweep?.metric.goal ?? 'minimize';
  const metricName = state.sweep?.metric.name ?? '';
  switch (event.type) {
    case 'sweep-started':
      return {
        ...state,
        sweep: {
          name: event.name,
          method: event.method,
          backend: event.backend,
          device: event.device,
          workers: event.workers,
          ...(event.pack ? { pack: event.pack } : {}),
          db: event.db,
          metric: { name: event.metric.name, goal: event.metric.goal, ...(event.metric.target !== undefined ? { target: event.metric.target } : {}) },
          ...(event.targetMetrics ? { targetMetrics: event.targetMetrics } : {}),
          total: event.total,
          ...(event.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: event.timeBudgetSeconds } : {}),
        },
        status: 'running',
        runStartedAt: now,
        runEndedAt: null,
        doneBeforeRun: event.alreadyDone,
        finishedInRun: 0,
        lanes: [],
      };
    case 'notice':
      return { ...state, log: appendLog(state.log, { at: now, kind: 'notice', text: event.message }) };
    case 'trial-started': {
      const before = state.trials.get(event.number);
      // A trial that starts again (after an interruption) starts from scratch.
      const trial: TrialView = {
        ...newTrial(event.number, event.params),
        steps: before?.steps ?? null,
        state: 'running',
        worker: event.worker,
        ...(event.owner ? { owner: event.owner } : {}),
      };
      return {
        ...state,
        trials: withTrial(state, trial),
        lanes: setLane(state.lanes, { worker: event.worker, trial: event.number, stepsPerS: null }, state.sweep?.workers ?? null),
      };
    }
    case 'trial-eval': {
      const before = state.trials.get(event.number) ?? { ...newTrial(event.number, {}), state: 'running' as const };
      const raw = event.metrics[metricName];
      const value = raw !== undefined && Number.isFinite(raw) ? raw : null;
      const stepsPerS = event.metrics.steps_per_s ?? before.stepsPerS;
      const trial: TrialView = {
        ...before,
        step: event.step,
        steps: event.steps,
        current: value,
        best: value !== null && isBetter(goal, value, before.best) ? value : before.best,
        stepsPerS,
        curve: [...(before.curve ?? []), { step: event.step, value }],
        ...(state.sweep?.targetMetrics
          ? { targetValues: Object.fromEntries(state.sweep.targetMetrics.map((name) => [name, event.metrics[name] ?? null])) }
          : {}),
      };
      return {
        ...state,
        trials: withTrial(state, trial),
        lanes: state.lanes.map((l) => (l.trial === event.number ? { ...l, stepsPerS } : l)),
      };
    }
    case 'trial-finished': {
      const before = state.trials.get(event.number) ?? newTrial(event.number, event.params);
      // Already counted as finished (read from the store, where this run wrote it a moment before
      // the event came): counted once, as this run's, with one log line.
      const counted = state.trials.has(event.number) && FINISHED_STATES.has(before.state);
      const trial: TrialView = {
        ...before,
        params: event.params,
        state: event.state,
        step: event.step,
        current: event.state === 'complete' ? event.value : before.current,
        best: event.state === 'complete' && event.value !== null && isBetter(goal, event.value, before.best) ? event.value : before.best,
        error: event.error ?? null,
      };
      return {
        ...state,
        trials: withTrial(state, trial),
        finishedInRun: state.finishedInRun + 1,
        ...(counted ? { doneBeforeRun: Math.max(0, state.doneBeforeRun - 1) } : {}),
        best: event.best ?? state.best,
        lanes: freeLane(state.lanes, event.number),
        log: appendLog(counted ? state.log.filter((e) => e.trial !== event.number) : state.log, { at: now, kind: event.state, trial: event.number, text: finishedText(event, metricName) }),
      };
    }
    case 'trial-interrupted': {
      const before = state.trials.get(event.number);
      const trials = before
        ? withTrial(state, { ...before, state: 'queued', worker: null, step: 0, current: null, best: null, stepsPerS: null, curve: [] })
        : state.trials;
      return {
        ...state,
        trials,
        lanes: freeLane(state.lanes, event.number),
        log: appendLog(state.log, {
          at: now,
          kind: 'interrupted',
          trial: event.number,
          text: `trial ${event.number} interrupted at step ${event.step}; back in the queue`,
        }),
      };
    }
    case 'sweep-finished':
      return {
        ...state,
        status: event.stopped ? 'stopped' : 'finished',
        runEndedAt: now,
        best: event.best ?? state.best,
        lanes: state.lanes.map(({ packed: _packed, ...l }) => ({ ...l, trial: null, stepsPerS: null })),
      };
    default:
      // Event types added later are not the dashboard's business until it learns them.
      return state;
  }
}

function finishedText(event: Extract<SweepEvent, { type: 'trial-finished' }>, metricName: string): string {
  const head = `trial ${event.number} ${event.state} at step ${event.step}`;
  if (event.state === 'complete') {
    const isBest = event.best !== null && event.best.number === event.number;
    return `${head}: ${metricName}=${formatMetric(event.value)}${isBest ? ' (new best)' : ''}`;
  }
  return event.error ? `${head}: ${event.error}` : head;
}

/** The stop was asked for (q, Ctrl-C or a signal): running trials finish their current step. */
export function markStopping(state: DashboardState): DashboardState {
  return state.status === 'running' ? { ...state, status: 'stopping' } : state;
}

/** Trials per state, every state present; trials not yet known to the dashboard count as queued. */
export function countStates(state: DashboardState): Record<TrialState, number> {
  const counts: Record<TrialState, number> = { queued: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const trial of state.trials.values()) counts[trial.state]++;
  const known = state.trials.size;
  if (state.sweep) counts.queued += Math.max(0, state.sweep.total - known);
  return counts;
}

/**
 * Trials that other agents finished while this run goes on (a shared sweep), from a load of the
 * store: the ones the dashboard does not know are added with their log lines and counted as done
 * by others, and the best becomes theirs when it is better. This run's own trials are the events'.
 */
export function withOthersFinished(state: DashboardState, loaded: DashboardState): DashboardState {
  const added = [...loaded.trials.values()].filter((t) => FINISHED_STATES.has(t.state) && !state.trials.has(t.number));
  if (added.length === 0) return state;
  const trials = new Map(state.trials);
  for (const trial of added) trials.set(trial.number, trial);
  const numbers = new Set(added.map((t) => t.number));
  const log = [...state.log, ...loaded.log.filter((e) => e.trial !== undefined && numbers.has(e.trial))].sort((a, b) => a.at - b.at).slice(-LOG_LIMIT);
  const goal = state.sweep?.metric.goal ?? loaded.sweep?.metric.goal ?? 'minimize';
  const best = loaded.best && isBetter(goal, loaded.best.value, state.best?.value ?? null) ? loaded.best : state.best;
  return { ...state, trials, log, best, doneBeforeRun: state.doneBeforeRun + added.length };
}
