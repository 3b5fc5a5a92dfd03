// `sweepdeck run FILE`: validate the sweep, open (or continue) its DB, run every trial, report.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { loadSweepFile } from '../spec/load.js';
import { checkWritable, isPostgresUrl, openReadStore, openSweepStore, redactUrl, type SweepRecord } from '../store/index.js';
import { chooseBackend, type BackendChoice } from '../train/backend-choice.js';
import { defaultLiveness, defaultOwner, runSweep } from '../run/orchestrator.js';
import { describeEstimate, estimateTrialMemory, memoryBudget, workersThatFit } from '../train/memory-estimate.js';
import { describeStop } from '../run/stop-rules.js';
import { lineReporter } from '../run/line-reporter.js';
import { dashboardSupported, startLiveDashboard } from '../tui/index.js';
import { EXIT_OK, EXIT_RUNTIME, UsageError } from './errors.js';
import type { SweepSpec } from '../spec/types.js';
import type { ProblemTable } from '../data/problem-table.js';
import { packCapacity, packSize, type PackSetting } from '../run/pack-plan.js';
import { identityOf, refuseChangedData } from './data-identity.js';
import { storedTable } from '../data/reload.js';

export interface RunFlags {
  db?: string;
  workers?: number;
  backend: BackendChoice;
  steps?: number;
  tui: boolean;
  /** Seconds of wall time after which no trial starts and running ones stop (`--time-budget 10m`). */
  timeBudget?: number;
  /** Failed trials in this run after which the sweep ends (`--max-failures N`). */
  maxFailures?: number;
  /** `--pack`: overrides the sweep file's `pack:` (default auto). */
  pack?: PackSetting;
}

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

export function defaultDbPath(sweepName: string): string {
  return `results/${sweepName}.db`;
}

/** The DB's record of a sweep: the normalised spec, the file's text, and the hash that identifies it (data files by content, not by place). */
export function sweepRecord(spec: SweepSpec, sourceText: string): SweepRecord {
  const specJson = JSON.stringify(spec);
  return {
    name: spec.name,
    method: spec.method,
    metricName: spec.metric.name,
    metricGoal: spec.metric.goal,
    specJson,
    specSource: sourceText,
    specHash: createHash('sha256').update(JSON.stringify(identityOf(spec))).digest('hex'),
    createdAt: new Date().toISOString(),
  };
}

function createDefaultFolder(folder: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new UsageError(`cannot create the results folder ${folder}: ${(error as Error).message}`);
  }
}

export async function runCommand(file: string, flags: RunFlags, io: CommandIO): Promise<number> {
  // Everything that can be wrong with the input is checked before anything is written.
  const loaded = await loadSweepFile(file, flags.steps !== undefined ? { stepsOverride: flags.steps } : {});
  const dbPath = flags.db ?? defaultDbPath(loaded.spec.name);
  await refuseChangedData(dbPath, loaded.spec, `run ${file}`);
  const table = loaded.table?.table;
  return runLoadedSweep(loaded.spec, sweepRecord(loaded.spec, loaded.source.text), dbPath, { ...flags, createFolder: flags.db === undefined, ...(table ? { table } : {}) }, io);
}

export type ResumeFlags = Omit<RunFlags, 'db' | 'steps'> & {
  /** The sweep to continue, where the DB holds more than one. */
  sweep?: string;
};

/**
 * `sweepdeck resume DB` and `sweepdeck agent URL --sweep NAME`: continue (or join) the sweep stored
 * in the DB, with the spec stored there (no sweep file needed). On PostgreSQL any number of these
 * run at once, on any machines: each claims trials until the sweep is done.
 */
export async function resumeCommand(dbPath: string, flags: ResumeFlags, io: CommandIO): Promise<number> {
  const reader = await openReadStore(dbPath, flags.sweep !== undefined ? { sweep: flags.sweep } : {});
  let record: SweepRecord;
  try {
    record = reader.sweep();
  } finally {
    await reader.close();
  }
  const spec = JSON.parse(record.specJson) as SweepSpec;
  // A data sweep reads its table again from where it was, and only if it is unchanged.
  const table = await storedTable(spec, `resume ${dbPath}`);
  return runLoadedSweep(spec, record, dbPath, { ...flags, createFolder: false, ...(table ? { table } : {}) }, io);
}

async function runLoadedSweep(
  spec: SweepSpec,
  record: SweepRecord,
  dbPath: string,
  flags: ResumeFlags & { createFolder: boolean; table?: ProblemTable },
  io: CommandIO,
): Promise<number> {
  const decision = await chooseBackend(flags.backend);
  if (decision.error) throw new UsageError(decision.error);
  const remote = isPostgresUrl(dbPath);
  if (!remote) {
    // The default folder is ours to create, once the input is known to be good; an explicit --db folder is not.
    if (flags.createFolder) createDefaultFolder(dirname(dbPath));
    const unwritable = checkWritable(dbPath);
    if (unwritable) throw new UsageError(`cannot write the results DB ${dbPath}: ${unwritable}`);
  }
  // What is printed: a URL's password never is.
  const shown = remote ? redactUrl(dbPath) : dbPath;
  const readArgs = remote ? `${shown} --sweep ${spec.name}` : shown;

  if (decision.note) io.err(decision.note);
  const cores = availableParallelism();
  let workers = flags.workers ?? cores;
  if (workers > cores) {
    // Each worker thread loads tfjs and the sweep's data; beyond the cores they only compete for them.
    io.err(`--workers ${workers}: using ${cores}, the number of cores (more threads than cores make no trial faster)`);
    workers = cores;
  }
  // Workers that would not fit in memory together are not started (the estimate is per worker).
  const memory = estimateTrialMemory(spec);
  const fitting = workersThatFit(memory.bytes, memoryBudget());
  if (workers > fitting) {
    io.err(`using ${fitting} worker${fitting === 1 ? '' : 's'} instead of ${workers}: each trial needs ${describeEstimate(memory)}, and ${workers} of them would not fit in memory`);
    workers = fitting;
  }
  if (decision.backend === 'tensorflow' && workers > 1) {
    // One process-wide native TensorFlow owns the GPU; several threads loading it is unsafe (tfjs #8388).
    io.err(`backend tensorflow: using 1 worker instead of ${workers} (one GPU worker)`);
    workers = 1;
  }
  // Trials per pack: what was asked (or what pays on the backend), and no more than fit in memory beside the other workers' packs.
  const packSetting = flags.pack ?? spec.pack ?? 'auto';
  let pack = packSize(packSetting, decision.backend, spec);
  const packsFit = Math.max(1, Math.floor(fitting / workers));
  if (pack > packsFit) {
    io.err(`packing ${packsFit} trial${packsFit === 1 ? '' : 's'} per pack instead of ${pack}: each trial needs ${describeEstimate(memory)}, and ${workers} packs of ${pack} would not fit in memory`);
    pack = packsFit;
  }

  const store = await openSweepStore(dbPath, record, { liveness: defaultLiveness(), onWaiting: (message) => io.err(message) });
  let storeClosed = false;
  const closeStore = async () => {
    if (storeClosed) return;
    storeClosed = true;
    try {
      await store.close();
    } catch (error) {
      // The last flush failed (the disk filled up, the file went read-only): committed trials are intact.
      io.err(`error: could not write the last metrics to ${shown}: ${(error as Error).message}; every committed trial is intact`);
    }
  };
  const controller = new AbortController();
  // The live dashboard when stdout is a terminal (and no --no-tui); plain lines otherwise. Its q and
  // Ctrl-C (raw mode: the terminal sends no SIGINT) take the same path as the signals below.
  const dashboard =
    flags.tui && dashboardSupported(process.stdout)
      ? await startLiveDashboard({
          stdout: process.stdout,
          stdin: process.stdin,
          // The trials finished before this run (earlier runs, other agents) and the kept-model
          // marks come from the DB; a PostgreSQL database may hold several sweeps.
          dbPath,
          ...(remote ? { sweep: record.name } : {}),
          onInterrupt: () => onSignal('SIGINT'),
          print: io.out,
          parameters: spec.parameters,
        })
      : undefined;
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // Second signal: leave at once; WAL keeps the DB consistent, the running trials stay 'running'
      // and the next run puts them back in the queue.
      dashboard?.close();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = signal;
    if (dashboard) dashboard.stopping();
    else io.err(`${signal}: stopping — running trials stop at their next step and go back to the queue (press again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const result = await runSweep({
      spec,
      store,
      dbPath: shown,
      owner: defaultOwner(),
      workers,
      backend: decision.backend,
      pack,
      packCapacity: packCapacity(packSetting, decision.backend, spec),
      emit: dashboard?.emit ?? lineReporter(spec.metric.name, io.out),
      signal: controller.signal,
      ...(flags.table ? { table: flags.table } : {}),
      limits: {
        ...(flags.timeBudget !== undefined ? { timeBudgetSeconds: flags.timeBudget } : {}),
        ...(flags.maxFailures !== undefined ? { maxFailures: flags.maxFailures } : {}),
      },
    });
    // The run is over: give up the DB before the dashboard waits for q, so another run or a
    // `watch` sees the sweep as finished while this one is still on screen.
    await closeStore();
    // Waits for q when the sweep ran to its end, then restores the terminal and prints the summary.
    await dashboard?.finish();
    if (result.best) io.out(`see: npx sweepdeck best ${readArgs}   ·   npx sweepdeck show ${readArgs} ${result.best.number}`);
    if (result.stopped && result.stopReason?.kind !== 'signal') io.out(`continue with: npx sweepdeck ${remote ? 'agent' : 'resume'} ${readArgs}`);
    if (signalled) return signalled === 'SIGINT' ? 130 : 143;
    switch (result.stopReason?.kind) {
      case 'store-error':
        io.err(`error: ${describeStop(result.stopReason)}`);
        return EXIT_RUNTIME;
      case 'max-failures':
        io.err(`error: ${describeStop(result.stopReason)} (the reasons are above, and in the error column of ${shown}'s trials table)`);
        return EXIT_RUNTIME;
    }
    if (result.counts.complete === 0 && result.counts.failed > 0) {
      io.err(`every trial failed (the reasons are above, and in the error column of ${shown}'s trials table)`);
      return EXIT_RUNTIME;
    }
    return EXIT_OK;
  } finally {
    dashboard?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeStore();
  }
}
