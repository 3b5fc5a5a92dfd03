// `sweepdeck run FILE`: validate the sweep, open (or continue) its DB, run every trial, report.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { loadSweepFile } from '../spec/load.js';
import { checkWritable, openWriteStore, type SweepRecord } from '../store/index.js';
import { chooseBackend, type BackendChoice } from '../train/backend-choice.js';
import { runSweep } from '../run/orchestrator.js';
import { lineReporter } from '../run/line-reporter.js';
import { EXIT_OK, EXIT_RUNTIME, UsageError } from './errors.js';
import type { SweepSpec } from '../spec/types.js';

export interface RunFlags {
  db?: string;
  workers?: number;
  backend: BackendChoice;
  steps?: number;
  tui: boolean;
}

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

export function defaultDbPath(sweepName: string): string {
  return `results/${sweepName}.db`;
}

/** The DB's record of a sweep: the normalised spec, the file's text, and the hash that identifies it. */
export function sweepRecord(spec: SweepSpec, sourceText: string): SweepRecord {
  const specJson = JSON.stringify(spec);
  return {
    name: spec.name,
    method: spec.method,
    metricName: spec.metric.name,
    metricGoal: spec.metric.goal,
    specJson,
    specSource: sourceText,
    specHash: createHash('sha256').update(specJson).digest('hex'),
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
  const loaded = loadSweepFile(file, flags.steps !== undefined ? { stepsOverride: flags.steps } : {});
  const dbPath = flags.db ?? defaultDbPath(loaded.spec.name);
  const decision = await chooseBackend(flags.backend);
  if (decision.error) throw new UsageError(decision.error);
  // The default folder is ours to create, once the input is known to be good; an explicit --db folder is not.
  if (flags.db === undefined) createDefaultFolder(dirname(dbPath));
  const unwritable = checkWritable(dbPath);
  if (unwritable) throw new UsageError(`cannot write the results DB ${dbPath}: ${unwritable}`);

  if (decision.note) io.err(decision.note);
  let workers = flags.workers ?? availableParallelism();
  if (decision.backend === 'tensorflow' && workers > 1) {
    // One process-wide native TensorFlow owns the GPU; several threads loading it is unsafe (tfjs #8388).
    io.err(`backend tensorflow: using 1 worker instead of ${workers} (one GPU worker)`);
    workers = 1;
  }

  const store = openWriteStore(dbPath, sweepRecord(loaded.spec, loaded.source.text));
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // Second signal: leave at once; WAL keeps the DB consistent, the running trials stay 'running'.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = signal;
    io.err(`${signal}: stopping — running trials stop at their next step and go back to the queue (press again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const result = await runSweep({
      spec: loaded.spec,
      store,
      dbPath,
      workers,
      backend: decision.backend,
      emit: lineReporter(loaded.spec.metric.name, io.out),
      signal: controller.signal,
    });
    if (result.best) io.out(`see: npx sweepdeck best ${dbPath}   ·   npx sweepdeck show ${dbPath} ${result.best.number}`);
    if (signalled) return signalled === 'SIGINT' ? 130 : 143;
    if (result.counts.complete === 0 && result.counts.failed > 0) {
      io.err(`every trial failed (the reasons are above, and in the error column of ${dbPath}'s trials table)`);
      return EXIT_RUNTIME;
    }
    return EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    store.close();
  }
}

