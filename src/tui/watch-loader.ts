// Builds a DashboardState from a results DB (watch mode, and the earlier runs' trials in live mode).
// One read transaction per load: the trial list, the latest metrics of running trials, and the
// curves on show. What a finished trial reports never changes, so its numbers and curve are read
// once and kept: polling a DB of thousands of trials costs a handful of small queries.
import type { ReadStore, TrialListing } from '../store/read.js';
import type { SweepRecord } from '../store/open.js';
import { FINISHED_STATES, LOG_LIMIT, emptyState, isBetter, type CurvePoint, type DashboardState, type LogEntry, type TrialView, type WorkerLane } from './state.js';
import { formatMetric } from '../format.js';
import { hasNamedTargets, perTargetMetricKeys } from '../problem/targets.js';
import type { SweepSpec } from '../spec/types.js';

interface FinishedNumbers {
  current: number | null;
  best: number | null;
  targetValues?: Record<string, number | null>;
}

/** Several targets: every target's metrics (shown in the trial panel); undefined with one target. */
function targetMetricsOf(record: SweepRecord): string[] | undefined {
  try {
    const spec = JSON.parse(record.specJson) as SweepSpec;
    return hasNamedTargets(spec.problem) ? perTargetMetricKeys(spec.problem) : undefined;
  } catch {
    return undefined;
  }
}

/** Planned trials, from the spec stored in the DB (the normalised spec carries trialCount). */
export function plannedTrials(record: SweepRecord, fallback: number): number {
  try {
    const spec = JSON.parse(record.specJson) as { trialCount?: unknown };
    return typeof spec.trialCount === 'number' ? Math.max(spec.trialCount, fallback) : fallback;
  } catch {
    return fallback;
  }
}

/** Up to this many earlier trials, a live dashboard loads every curve at its start. */
const HISTORY_CURVES = 1000;

const time = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

export class WatchLoader {
  private readonly record: SweepRecord;
  private readonly finished = new Map<number, FinishedNumbers>();
  private readonly finishedCurves = new Map<number, CurvePoint[]>();
  private readonly targetMetrics: string[] | undefined;

  constructor(
    private readonly store: ReadStore,
    private readonly dbPath: string,
  ) {
    this.record = store.sweep();
    this.targetMetrics = targetMetricsOf(this.record);
  }

  /** The DB as a dashboard state, with the curves of the best trial and of `curvesFor` (trial numbers) loaded. */
  async load(options: { now: number; curvesFor?: readonly number[] }): Promise<DashboardState> {
    const metric = this.record.metricName;
    const goal = this.record.metricGoal;
    return this.store.consistentRead(async () => {
      const listing = await this.store.trialListing();
      const writer = (await this.store.liveWriter()) ?? null;
      const running = listing.filter((t) => t.state === 'running');
      const unseen = listing.filter((t) => FINISHED_STATES.has(t.state) && !this.finished.has(t.id));
      const ask = [...running, ...unseen].map((t) => t.id);
      const latest = new Map<string, number | null>();
      for (const m of await this.store.latestMetrics(ask, [metric, 'steps_per_s', ...(this.targetMetrics ?? [])])) latest.set(`${m.trialId} ${m.name}`, m.value);
      const targetValues = (id: number) =>
        this.targetMetrics ? Object.fromEntries(this.targetMetrics.map((name) => [name, latest.get(`${id} ${name}`) ?? null])) : undefined;
      const bestOf = new Map((await this.store.bestMetricValues(ask, metric)).map((b) => [b.trialId, b.value]));
      for (const t of unseen) {
        const values = targetValues(t.id);
        this.finished.set(t.id, { current: t.state === 'complete' ? t.value : (latest.get(`${t.id} ${metric}`) ?? null), best: bestOf.get(t.id) ?? null, ...(values ? { targetValues: values } : {}) });
      }

      let best: { number: number; value: number } | null = null;
      for (const t of listing) {
        if (t.state === 'complete' && t.value !== null && isBetter(goal, t.value, best?.value ?? null)) best = { number: t.number, value: t.value };
      }
      const curveNumbers = new Set([...(options.curvesFor ?? []), ...(best ? [best.number] : [])]);
      const kept = new Set((await this.store.keptModels()).map((m) => m.number));

      const trials = new Map<number, TrialView>();
      for (const t of listing) {
        const done = this.finished.get(t.id);
        const view: TrialView = {
          number: t.number,
          state: t.state,
          params: t.params,
          worker: t.worker,
          step: t.step ?? 0,
          steps: t.steps,
          current: done ? done.current : (latest.get(`${t.id} ${metric}`) ?? null),
          best: done ? done.best : (bestOf.get(t.id) ?? null),
          stepsPerS: t.state === 'running' ? (latest.get(`${t.id} steps_per_s`) ?? null) : null,
          error: t.error,
        };
        if (kept.has(t.number)) view.modelKept = true;
        const values = done ? done.targetValues : targetValues(t.id);
        if (values) view.targetValues = values;
        if (t.host !== null && t.agent !== null) view.owner = { host: t.host, agent: t.agent };
        if (curveNumbers.has(t.number)) view.curve = await this.curve(t);
        trials.set(t.number, view);
      }
      return this.assemble(listing, trials, best, writer, options.now);
    });
  }

  private async curve(trial: TrialListing): Promise<CurvePoint[]> {
    const kept = this.finishedCurves.get(trial.id);
    if (kept) return kept;
    const points = (await this.store.curve(trial.id, this.record.metricName)).map((p) => ({ step: p.step, value: p.value }));
    if (FINISHED_STATES.has(trial.state)) this.finishedCurves.set(trial.id, points);
    return points;
  }

  private assemble(
    listing: TrialListing[],
    trials: Map<number, TrialView>,
    best: { number: number; value: number } | null,
    writer: { pid: number; since: string } | null,
    now: number,
  ): DashboardState {
    const finishedRows = listing.filter((t) => FINISHED_STATES.has(t.state));
    const total = plannedTrials(this.record, listing.length);
    const since = writer ? time(writer.since) : null;
    // While a run writes, the clock and the ETA count from its start; afterwards, the whole sweep's span.
    const finishedInRun = since === null ? finishedRows.length : finishedRows.filter((t) => (time(t.finishedAt) ?? 0) >= since).length;
    const starts = listing.map((t) => time(t.startedAt)).filter((t): t is number => t !== null);
    const ends = finishedRows.map((t) => time(t.finishedAt)).filter((t): t is number => t !== null);
    const running = listing.filter((t) => t.state === 'running');
    // One lane per worker; several trials running on one worker are a pack.
    const byWorker = new Map<number, number[]>();
    for (const t of running) if (t.worker !== null) byWorker.set(t.worker, [...(byWorker.get(t.worker) ?? []), t.number]);
    const lanes: WorkerLane[] = [...byWorker]
      .map(([worker, numbers]) => ({ worker, trial: numbers[0]!, ...(numbers.length > 1 ? { packed: numbers } : {}), stepsPerS: trials.get(numbers[0]!)?.stepsPerS ?? null }))
      .sort((a, b) => a.worker - b.worker);
    const backends = [...new Set(listing.map((t) => t.backend).filter((b): b is string => b !== null))];

    return {
      ...emptyState('watch'),
      sweep: {
        name: this.record.name,
        method: this.record.method,
        backend: backends.join(', ') || '-',
        device: null,
        workers: writer ? lanes.length : null,
        db: this.dbPath,
        metric: { name: this.record.metricName, goal: this.record.metricGoal },
        total,
      },
      status: writer ? 'running' : finishedRows.length >= total ? 'finished' : 'idle',
      runStartedAt: since ?? (starts.length ? Math.min(...starts) : null),
      runEndedAt: writer ? null : ends.length ? Math.max(...ends) : now,
      doneBeforeRun: finishedRows.length - finishedInRun,
      finishedInRun,
      trials,
      best,
      lanes,
      log: this.log(finishedRows),
      writer,
    };
  }

  /** The event log, rebuilt from when trials finished (newest last). */
  private log(finishedRows: TrialListing[]): LogEntry[] {
    const metric = this.record.metricName;
    return finishedRows
      .filter((t) => t.finishedAt !== null)
      .sort((a, b) => (a.finishedAt! < b.finishedAt! ? -1 : a.finishedAt! > b.finishedAt! ? 1 : a.number - b.number))
      .slice(-LOG_LIMIT)
      .map((t) => {
        const kind = t.state as 'complete' | 'pruned' | 'failed';
        const head = `trial ${t.number} ${kind} at step ${t.step ?? 0}`;
        const text = kind === 'complete' ? `${head}: ${metric}=${formatMetric(t.value)}` : t.error ? `${head}: ${t.error}` : head;
        return { at: time(t.finishedAt)!, kind, trial: t.number, text };
      });
  }
}

/** The earlier runs' finished trials, as the starting state of a live dashboard on a continued sweep. */
export async function historyState(store: ReadStore, dbPath: string, now: number): Promise<DashboardState> {
  // Their curves too (one small query each), so Enter shows them; past a thousand, only the best's.
  const finished = (await store.trialListing()).filter((t) => FINISHED_STATES.has(t.state));
  const curvesFor = finished.length <= HISTORY_CURVES ? finished.map((t) => t.number) : [];
  const loaded = await new WatchLoader(store, dbPath).load({ now, curvesFor });
  const trials = new Map([...loaded.trials].filter(([, t]) => FINISHED_STATES.has(t.state)));
  return { ...emptyState('live'), trials, best: loaded.best, log: loaded.log };
}
