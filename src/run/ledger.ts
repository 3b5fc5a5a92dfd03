// The orchestrator's picture of the sweep's trials: loaded from the DB when a run starts, then
// kept up to date by the orchestrator as its trials start, report and end, and refreshed from the
// DB's deltas (apply) so it also sees what other agents run (like Optuna's _CachedStorage).
// Planners read it as their history and pruners as the other trials' curves, so both decide
// from exactly what the DB holds without querying it on the hot path.
import type { Params } from '../search/space.js';
import type { TrialRecord } from '../search/planner.js';
import type { CurveRecord } from '../prune/pruner.js';
import type { LedgerDelta, StoredTrial } from '../store/index.js';

const DONE = new Set(['complete', 'pruned', 'failed']);

interface Entry {
  number: number;
  params: Params;
  state: StoredTrial['state'];
  value: number | null;
  step: number | null;
  /** step → sweep metric */
  curve: Map<number, number>;
}

export class SweepLedger {
  private readonly entries = new Map<number, Entry>();

  /** `trials` and `points` (the sweep metric) as the DB holds them when the run starts. */
  constructor(trials: readonly StoredTrial[], points: readonly { number: number; step: number; value: number | null }[]) {
    for (const t of trials) this.entries.set(t.number, { ...t, curve: new Map() });
    for (const p of points) {
      if (p.value !== null) this.entries.get(p.number)?.curve.set(p.step, p.value);
    }
  }

  /**
   * Takes in what other processes changed in the DB (SweepStore.changes): their trials' states,
   * values and sweep-metric curves. Trials in `local` (running in this process) are left alone:
   * this process knows more about them than the DB does, until their metrics are flushed.
   */
  apply(delta: LedgerDelta, local: ReadonlySet<number>): void {
    const curves = new Map<number, Map<number, number>>();
    for (const p of delta.points) {
      if (p.value === null) continue;
      let curve = curves.get(p.number);
      if (!curve) curves.set(p.number, (curve = new Map()));
      curve.set(p.step, p.value);
    }
    for (const t of delta.trials) {
      if (local.has(t.number)) continue;
      this.entries.set(t.number, { ...t, curve: curves.get(t.number) ?? new Map() });
    }
  }

  /** Trials the ledger sees running that are not in `local`: another process runs them (or ran them and went silent). */
  runningElsewhere(local: ReadonlySet<number>): number {
    let n = 0;
    for (const e of this.entries.values()) if ((e.state === 'running' || e.state === 'queued') && !local.has(e.number)) n++;
    return n;
  }

  isDone(number: number): boolean {
    return DONE.has(this.entries.get(number)?.state ?? '');
  }

  countDone(): number {
    let n = 0;
    for (const e of this.entries.values()) if (DONE.has(e.state)) n++;
    return n;
  }

  /** The parameters a trial was given when it was first planned (kept when it is run again after an interruption). */
  plannedParams(number: number): Params | undefined {
    return this.entries.get(number)?.params;
  }

  started(number: number, params: Params): void {
    this.entries.set(number, { number, params, state: 'running', value: null, step: null, curve: new Map() });
  }

  evaluated(number: number, step: number, value: number | undefined): void {
    const entry = this.entries.get(number);
    if (!entry) return;
    entry.step = step;
    if (value !== undefined && Number.isFinite(value)) {
      entry.value = value;
      entry.curve.set(step, value);
    }
  }

  finished(number: number, state: 'complete' | 'pruned' | 'failed', value: number | null, step: number): void {
    const entry = this.entries.get(number);
    if (!entry) return;
    entry.state = state;
    entry.value = state === 'failed' ? null : value;
    entry.step = step;
  }

  /** A trial stopped part-way goes back to the queue with its parameters; what it reported is dropped, as in the DB. */
  requeued(number: number): void {
    const entry = this.entries.get(number);
    if (!entry) return;
    entry.state = 'queued';
    entry.value = null;
    entry.step = null;
    entry.curve = new Map();
  }

  curve(number: number): ReadonlyMap<number, number> {
    return this.entries.get(number)?.curve ?? new Map();
  }

  /** What planners see: every trial that has started, except `exclude` (the one being asked for). */
  plannerHistory(exclude?: number): TrialRecord[] {
    const history: TrialRecord[] = [];
    for (const e of this.entries.values()) {
      if (e.state === 'queued' || e.number === exclude) continue;
      history.push({ number: e.number, params: e.params, state: e.state, value: e.value, step: e.step });
    }
    return history.sort((a, b) => a.number - b.number);
  }

  /** What pruners compare against: every other started trial's curve. */
  otherCurves(number: number): CurveRecord[] {
    const others: CurveRecord[] = [];
    for (const e of this.entries.values()) {
      if (e.state === 'queued' || e.number === number) continue;
      others.push({ number: e.number, state: e.state, curve: e.curve });
    }
    return others;
  }
}
