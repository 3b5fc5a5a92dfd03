// Runs a sweep: asks the planner for each trial's parameters, hands trials to the worker pool,
// asks the pruner at every evaluation, writes everything the workers report into the store (the
// only writer), and emits events. Data flows one way: planner → pool → store → events.
import { hasNamedTargets, perTargetMetricKeys } from '../problem/targets.js';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { availableParallelism, hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { makePlanner } from '../search/planner.js';
import { resolveTrial } from '../spec/resolve.js';
import type { Params } from '../search/space.js';
import { CONTINUE, makePruner, type PruneDecision, type Pruner } from '../prune/pruner.js';
import type { SweepSpec, TrialConfig } from '../spec/types.js';
import type { ProblemTable } from '../data/problem-table.js';
import type { Liveness, SweepStore, TrialOwner } from '../store/index.js';
import type { BackendName } from '../train/backend-choice.js';
import type { TrialOutcome } from '../train/trainer.js';
import { VerdictSlot, type ControlMessage, type PackTask, type TaskResult, type WorkerMessage, type WorkerSetup } from '../train/protocol.js';
import { packKey } from './pack-plan.js';
import { SweepLedger } from './ledger.js';
import { describeStop, reachesTarget, startDeadline, stopsRunningTrials, type StopReason, type StopRules } from './stop-rules.js';
import type { BestSoFar, SweepEvent, TrialEndState } from './events.js';

export interface RunOptions {
  spec: SweepSpec;
  store: SweepStore;
  /** Where the sweep lives, for reporters (a path, or a URL without its password). */
  dbPath: string;
  /** This process, as the DB records who runs each trial (default: this host and a fresh agent id). */
  owner?: TrialOwner;
  /** How often this process heartbeats its trials, and after how long another process's silent trial is taken back. */
  liveness?: Liveness;
  workers: number;
  backend: BackendName;
  /** What the backend runs on, in words, for reporters. */
  device?: string;
  emit(event: SweepEvent): void;
  /** Aborting stops dispatching and asks running trials to stop at their next step; they go back to the queue. */
  signal?: AbortSignal;
  /** Time budget and failure limit (the metric target comes from the spec). */
  limits?: { timeBudgetSeconds?: number; maxFailures?: number };
  /** A data problem's table, shared with every worker (no copy per worker). */
  table?: ProblemTable;
  /** Overrides the pruner the spec's early_terminate describes (tests). */
  pruner?: Pruner | null;
  /** Trials per pack at most (pack-plan.ts: packSize); default 1, every trial alone. */
  pack?: number;
  /** Trials per pack for a trial's shape, at most `pack` (pack-plan.ts: packCapacity); default: `pack` for every shape. */
  packCapacity?: (config: TrialConfig) => number;
}

export interface SweepResult {
  counts: Record<TrialEndState, number>;
  interrupted: number;
  best: BestSoFar | null;
  /** Why the sweep ended before its plan was done; absent when every planned trial ran. */
  stopReason?: StopReason;
  stopped: boolean;
}

/** How often buffered metrics are written, at most. */
const FLUSH_INTERVAL_MS = 250;
/** How often the ledger takes in what other agents wrote (their trials and curves, for the pruner). */
const REFRESH_INTERVAL_MS = 1000;

/** Heartbeat every 5 s; a trial silent for 30 s is presumed abandoned (SWEEPDECK_HEARTBEAT_S / SWEEPDECK_GRACE_S override). */
export function defaultLiveness(env: NodeJS.ProcessEnv = process.env): Liveness {
  const seconds = (raw: string | undefined, fallback: number) => {
    const value = Number(raw);
    return raw !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return { heartbeatSeconds: seconds(env.SWEEPDECK_HEARTBEAT_S, 5), graceSeconds: seconds(env.SWEEPDECK_GRACE_S, 30) };
}

/** This process as a trial owner: the host name and a short random agent id. */
export function defaultOwner(): TrialOwner {
  return { host: hostname(), agent: randomUUID().slice(0, 8) };
}

/** The device a backend computes on, in words; the native TensorFlow backend names its GPU (or CPU) itself. */
export function describeDevice(backend: BackendName, pack = 1): string {
  const cores = availableParallelism();
  const cpu = `CPU, ${cores} core${cores === 1 ? '' : 's'}`;
  return backend === 'tensorflow' ? 'native TensorFlow (CUDA GPU if present)' : `${cpu}, ${pack > 1 ? `up to ${pack} trials` : 'one trial'} per worker thread`;
}

export async function runSweep(options: RunOptions): Promise<SweepResult> {
  const { spec, store, backend, emit } = options;
  const sweepStarted = performance.now();
  const planner = makePlanner(spec);
  const pruner = options.pruner !== undefined ? options.pruner : makePruner(spec);
  const rules: StopRules = { ...options.limits, goal: spec.metric.goal, ...(spec.metric.target !== undefined ? { target: spec.metric.target } : {}) };
  const owner = options.owner ?? defaultOwner();
  const liveness = options.liveness ?? defaultLiveness();
  const ledger = new SweepLedger(await store.trialRecords(), await store.metricPoints(spec.metric.name));
  /** Trial numbers running in this process: the ledger keeps its own view of them. */
  const local = new Set<number>();
  const alreadyDone = ledger.countDone();
  const counts: Record<TrialEndState, number> = { complete: 0, pruned: 0, failed: 0 };
  let best: BestSoFar | null = await store.best();
  let interrupted = 0;
  let stopReason: StopReason | undefined;
  const controls = new Map<number, MessagePort>();
  /** Trials whose pack failed as a whole: each is trained alone from now on. */
  const trainAlone = new Set<number>();

  const isBetter = (value: number, than: BestSoFar | null) =>
    than === null || (spec.metric.goal === 'minimize' ? value < than.value : value > than.value);

  /** Ends dispatching for `reason` (the first reason wins) and, unless it lets them finish, stops running trials. */
  const stop = (reason: StopReason) => {
    if (stopReason) return;
    stopReason = reason;
    if (reason.kind !== 'signal') emit({ type: 'notice', message: describeStop(reason) });
    if (stopsRunningTrials(reason)) {
      const message: ControlMessage = { type: 'stop' };
      for (const port of controls.values()) port.postMessage(message);
    }
  };
  /** Store writes that fail (disk full, DB made read-only) end the sweep instead of crashing it. */
  const guarded = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    if (stopReason?.kind === 'store-error') return undefined;
    try {
      return await write();
    } catch (error) {
      stop({ kind: 'store-error', message: (error as Error).message });
      return undefined;
    }
  };

  if (options.signal?.aborted) stop({ kind: 'signal' });
  options.signal?.addEventListener('abort', () => stop({ kind: 'signal' }));
  const deadline = rules.timeBudgetSeconds !== undefined ? startDeadline(rules.timeBudgetSeconds, () => stop({ kind: 'time-budget', seconds: rules.timeBudgetSeconds! })) : undefined;
  if (best && reachesTarget(rules, best.value)) stop({ kind: 'target', number: best.number, value: best.value, target: rules.target! });

  // No more threads than trials left to run: each one loads tfjs and the sweep's data.
  // Counted from the ledger, never by listing the plan: a run_cap of 1e12 is a number, not an array.
  const remaining = planner.total - ledger.countDone();
  const workers = Math.max(1, Math.min(options.workers, remaining));
  // Never so large that a worker would stand idle: the trials left are shared among the workers first.
  const packSize = Math.max(1, Math.min(options.pack ?? 1, Math.ceil(remaining / workers)));

  const setup: WorkerSetup = { spec, backend, ...(options.table ? { table: options.table } : {}) };
  const pool = new Piscina<PackTask, TaskResult>({
    filename: new URL('../train/worker.js', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
    workerData: setup,
  });
  emit({
    type: 'sweep-started',
    name: spec.name,
    method: spec.method,
    total: planner.total,
    alreadyDone,
    workers,
    ...(packSize > 1 ? { pack: packSize } : {}),
    backend,
    device: options.device ?? describeDevice(backend, packSize),
    db: options.dbPath,
    metric: spec.metric,
    ...(rules.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: rules.timeBudgetSeconds } : {}),
    ...(hasNamedTargets(spec.problem) ? { targetMetrics: perTargetMetricKeys(spec.problem) } : {}),
  });
  const flushTimer = setInterval(() => void guarded(() => store.flush()), FLUSH_INTERVAL_MS);
  const heartbeatTimer = setInterval(() => void guarded(() => store.heartbeat()), liveness.heartbeatSeconds * 1000);
  const refresh = async () => {
    const delta = await guarded(() => store.changes());
    if (delta) ledger.apply(delta, local);
  };
  const refreshTimer = setInterval(() => void refresh(), REFRESH_INTERVAL_MS);

  /** A worker whose backend broke (wasm out of memory aborts the module) is replaced by a fresh thread. */
  const retireWorker = async (threadId: number) => {
    // Awaited, so that the pool has dropped the thread before the next trial is handed out.
    await pool.threads.find((t) => t.threadId === threadId)?.terminate();
  };

  /** A claimed trial: its row, its number and the parameters it was planned with. */
  interface Claimed {
    id: number;
    number: number;
    params: Params;
  }
  type Ended = { state: TrialEndState; value: number | null; step: number; error?: string };

  /** Records a trial's end (the one writer of results): the store, the ledger, the counts, the events and the stop rules. */
  const finish = async (trial: Claimed, started: number, outcome: Ended, model?: TrialOutcome['model']) => {
    const { id, number, params } = trial;
    const recorded = await guarded(() => store.finishTrial(id, outcome, model));
    local.delete(number);
    if (recorded === undefined && stopReason?.kind === 'store-error') return;
    if (recorded === false) {
      // This process was presumed dead (no heartbeat within the grace period) and the trial went
      // back to the queue: whoever claimed it since records it; this late result is not doubled.
      emit({ type: 'notice', message: `trial ${number}: result discarded, the trial was taken back after this agent missed its heartbeats and runs elsewhere` });
      return;
    }
    ledger.finished(number, outcome.state, outcome.value, outcome.step);
    counts[outcome.state]++;
    if (outcome.state === 'complete' && outcome.value !== null && isBetter(outcome.value, best)) best = { number, value: outcome.value };
    emit({ type: 'trial-finished', number, params, ...outcome, seconds: (performance.now() - started) / 1000, best });
    if (outcome.state === 'failed' && rules.maxFailures !== undefined && counts.failed >= rules.maxFailures) {
      stop({ kind: 'max-failures', failures: counts.failed, limit: rules.maxFailures });
    }
    if (outcome.state === 'complete' && outcome.value !== null && reachesTarget(rules, outcome.value)) {
      stop({ kind: 'target', number, value: outcome.value, target: rules.target! });
    }
  };

  /** A claimed trial that goes back to the queue unfinished (stopped, or never started). */
  const requeue = async (trial: Claimed) => {
    await guarded(() => store.requeueTrial(trial.id));
    local.delete(trial.number);
    ledger.requeued(trial.number);
  };

  /**
   * Trains `claimed` (trials of one shape: see pack-plan.ts) as one task on one worker: a pack, or
   * a trial alone. Each trial is recorded as it ends, while the rest of its pack goes on.
   */
  const runPack = async (claimed: readonly Claimed[]): Promise<void> => {
    const started = performance.now();
    const members: {
      trial: Claimed;
      config: TrialConfig;
      channel: MessageChannel;
      verdicts?: SharedArrayBuffer;
      lastStep: number;
      worker?: number;
      prunedAt?: { step: number; value: number; reason: string };
      settled?: Promise<void>;
    }[] = [];
    for (const trial of claimed) {
      const resolved = resolveTrial(spec, trial.number, trial.params);
      if (!resolved.ok) {
        await finish(trial, started, { state: 'failed', value: null, step: 0, error: `invalid trial configuration: ${resolved.path.join('.')}: ${resolved.message}` });
        continue;
      }
      const channel = new MessageChannel();
      controls.set(trial.number, channel.port1);
      if (stopReason && stopsRunningTrials(stopReason)) channel.port1.postMessage({ type: 'stop' } satisfies ControlMessage);
      members.push({ trial, config: resolved.config, channel, lastStep: 0, ...(pruner ? { verdicts: new SharedArrayBuffer(VerdictSlot.BYTES) } : {}) });
    }
    if (members.length === 0) return;

    /** A member's end, recorded once: from its 'ended' message, or from the task's result when the worker died first. */
    const settle = (member: (typeof members)[number], outcome: TrialOutcome): Promise<void> => {
      member.settled ??= (async () => {
        const { trial } = member;
        controls.delete(trial.number);
        if (outcome.state === 'stopped') {
          await requeue(trial);
          interrupted++;
          emit({ type: 'trial-interrupted', number: trial.number, step: outcome.step });
          return;
        }
        if (outcome.state === 'pruned') {
          const at = member.prunedAt ?? { step: outcome.step, value: outcome.value ?? Number.NaN, reason: 'pruned' };
          await finish(trial, started, { state: 'pruned', value: at.value, step: at.step, error: `${spec.earlyTerminate?.type ?? 'pruner'}: ${at.reason}` });
          return;
        }
        await finish(
          trial,
          started,
          { state: outcome.state, value: outcome.state === 'complete' ? outcome.value : null, step: outcome.step, ...(outcome.error ? { error: outcome.error } : {}) },
          outcome.state === 'complete' ? outcome.model : undefined,
        );
      })();
      return member.settled;
    };

    const handle = (member: (typeof members)[number], message: WorkerMessage) => {
      const { trial } = member;
      const { id, number, params } = trial;
      const steps = member.config.training.steps;
      if (message.type === 'started') {
        member.worker = message.worker;
        // Not awaited: the store applies its writes in the order they are made.
        void guarded(() => store.markRunning(id, message.worker, message.backend));
        emit({ type: 'trial-started', number, params, worker: message.worker, backend: message.backend, owner });
        return;
      }
      if (message.type === 'ended') {
        void settle(member, message.outcome);
        return;
      }
      void guarded(() => store.addMetrics(id, message.step, message.metrics));
      member.lastStep = message.step;
      const value = message.metrics[spec.metric.name];
      ledger.evaluated(number, message.step, value);
      if (member.verdicts && pruner) {
        let decision: PruneDecision = CONTINUE;
        if (value !== undefined && Number.isFinite(value) && message.step < steps) {
          decision = pruner.decide({ number, step: message.step, value, curve: ledger.curve(number), steps }, ledger.otherCurves(number));
        }
        if (decision.verdict === 'prune') member.prunedAt = { step: message.step, value: value!, reason: decision.reason };
        new VerdictSlot(member.verdicts).answer(message.seq, decision.verdict);
      }
      emit({ type: 'trial-eval', number, step: message.step, steps, metrics: message.metrics });
    };
    for (const member of members) member.channel.port1.on('message', (message: WorkerMessage) => handle(member, message));

    let result: TaskResult | undefined;
    let crash: string | undefined;
    try {
      const task: PackTask = {
        members: members.map((m) => ({ config: m.config, port: m.channel.port2, ...(m.verdicts ? { verdicts: m.verdicts } : {}) })),
      };
      result = await pool.run(task, { transferList: members.map((m) => m.channel.port2) });
    } catch (error) {
      crash = `worker crashed: ${(error as Error).message.split('\n')[0]}`;
    }
    // Messages posted before the task returned are already queued on our end: take them now, in order.
    for (const member of members) {
      for (let m = receiveMessageOnPort(member.channel.port1); m; m = receiveMessageOnPort(member.channel.port1)) handle(member, m.message as WorkerMessage);
      member.channel.port1.close();
    }
    const worker = members.find((m) => m.worker !== undefined)?.worker;
    if (result?.workerBroken && worker !== undefined) await retireWorker(worker);
    await Promise.all(
      members.map(async (member, i) => {
        if (member.settled) return member.settled;
        const outcome = result?.outcomes[i];
        if (members.length > 1 && !outcome) {
          // The pack failed as a whole (its worker died, or its shared step threw) before this
          // member ended: which member caused it is unknown, so each goes back to be trained alone.
          member.settled = (async () => {
            controls.delete(member.trial.number);
            await requeue(member.trial);
            trainAlone.add(member.trial.number);
            emit({ type: 'notice', message: `trial ${member.trial.number}: its pack failed (${crash ?? 'the shared step failed'}); it is trained again alone` });
          })();
          return member.settled;
        }
        return settle(member, outcome ?? { state: 'failed', value: null, step: member.lastStep, error: crash ?? 'the worker returned no outcome', metrics: {} });
      }),
    );
  };

  // Trials are claimed from the store in plan order: a queued one first (one left by an earlier
  // run, or taken back from a silent agent, keeps the parameters it was planned with: an adaptive
  // planner asked for them with the history of that moment), else the next number. The planner is
  // asked inside the claim, after the ledger took in every trial claimed before, on any machine.
  const claimNext = () =>
    guarded(() =>
      store.claimTrial({
        owner,
        total: planner.total,
        sync: (delta) => ledger.apply(delta, local),
        plan: (number, stored) => {
          const params = (stored as Params | undefined) ?? planner.ask(number, ledger.plannerHistory(number));
          const resolved = resolveTrial(spec, number, params);
          return { params, config: resolved.ok ? resolved.config : null, steps: resolved.ok ? resolved.config.training.steps : 0 };
        },
      }),
    );
  let exhausted = false;
  const claimedHere = new Set<number>();
  const running = new Set<Promise<void>>();
  // Claimed trials not yet handed to a worker, by pack key, in claim order, with the size of a
  // full pack of that shape: a pack is formed from one key's trials. With packing off every trial
  // is its own group of one and is dispatched at once.
  const waiting = new Map<string, { capacity: number; trials: Claimed[] }>();
  let waitingCount = 0;
  // How far ahead of the workers trials are claimed to find packs of one shape: a bounded lookahead,
  // so an adaptive planner is not asked for much more than runs (those waiting count as running for it).
  const lookahead = packSize === 1 ? 1 : 2 * packSize;
  const groupOf = (trial: Claimed): { key: string; capacity: number } => {
    const alone = { key: `#${trial.number}`, capacity: 1 };
    if (packSize === 1 || trainAlone.has(trial.number)) return alone;
    const resolved = resolveTrial(spec, trial.number, trial.params);
    const key = resolved.ok ? packKey(spec, resolved.config) : null;
    if (!resolved.ok || key === null) return alone;
    const capacity = Math.min(packSize, options.packCapacity?.(resolved.config) ?? packSize);
    return capacity > 1 ? { key, capacity } : alone;
  };
  /** The fullest group (the earliest claimed among equals), taken out of `waiting`, at most one full pack. */
  const takePack = (): Claimed[] => {
    let chosen: string | undefined;
    for (const [key, group] of waiting) if (chosen === undefined || group.trials.length / group.capacity > waiting.get(chosen)!.trials.length / waiting.get(chosen)!.capacity) chosen = key;
    const group = waiting.get(chosen!)!;
    const pack = group.trials.splice(0, group.capacity);
    if (group.trials.length === 0) waiting.delete(chosen!);
    waitingCount -= pack.length;
    return pack;
  };
  const someGroupFull = () => [...waiting.values()].some((g) => g.trials.length >= g.capacity);
  try {
    while (!stopReason) {
      // Claim until one shape fills a pack, the lookahead is reached, or there is nothing to claim now.
      while (!stopReason && !someGroupFull() && waitingCount < lookahead) {
        const claimed = await claimNext();
        if (claimed === undefined) break;
        const trial: Claimed = { id: claimed.id, number: claimed.number, params: claimed.params as Params };
        claimedHere.add(trial.number);
        // From its claim on the trial is running for the planner (constant liar) and the ledger.
        local.add(trial.number);
        ledger.started(trial.number, trial.params);
        const { key, capacity } = groupOf(trial);
        const group = waiting.get(key);
        if (group) group.trials.push(trial);
        else waiting.set(key, { capacity, trials: [trial] });
        waitingCount++;
      }
      if (stopReason) break;
      if (waitingCount > 0) {
        const done: Promise<void> = runPack(takePack()).finally(() => running.delete(done));
        running.add(done);
        if (running.size >= workers) await Promise.race(running);
        continue;
      }
      // Nothing to claim now. Trials still running elsewhere may yet come back to the queue (their
      // agent may be gone): wait for ours, or a while, and ask again; with none, the sweep is done.
      if (running.size > 0) {
        await Promise.race(running);
        continue;
      }
      await refresh();
      if (ledger.runningElsewhere(local) === 0) {
        exhausted = true;
        break;
      }
      await sleep(liveness.heartbeatSeconds * 1000, undefined, options.signal ? { signal: options.signal } : {}).catch(() => {});
    }
    await Promise.all(running);
    // Trials claimed for a pack that never started go back to the queue as they were planned.
    for (const group of waiting.values()) {
      for (const trial of group.trials) {
        await requeue(trial);
        claimedHere.delete(trial.number);
      }
    }
    waiting.clear();
  } finally {
    clearInterval(flushTimer);
    clearInterval(heartbeatTimer);
    clearInterval(refreshTimer);
    deadline?.cancel();
    await guarded(() => store.flush());
    await pool.destroy();
  }
  // Other agents may have found a better trial than this process did.
  best = (await guarded(() => store.best())) ?? best;
  // Reaching the target is the sweep's goal met: it ends done, not stopped, and there is nothing to resume.
  // Stopped: something is left to run (a trial was interrupted, or some planned number was never claimed).
  const unclaimed = () => {
    // Counted, never by listing the plan (a run_cap of 1e12 is a number, not an array): the numbers
    // done or claimed here, against the plan's size.
    let covered = ledger.countDone();
    for (const n of claimedHere) if (!ledger.isDone(n)) covered++;
    return covered < planner.total;
  };
  const stopped = stopReason !== undefined && stopReason.kind !== 'target' && (stopsRunningTrials(stopReason) || (!exhausted && unclaimed()));
  const result: SweepResult = { counts, interrupted, best, stopped, ...(stopReason ? { stopReason } : {}) };
  emit({ type: 'sweep-finished', counts, interrupted, best, stopped, seconds: (performance.now() - sweepStarted) / 1000 });
  return result;
}
