// `npm run bench:search`: on the showcase problem (sweeps/seed-equation.yaml), compares random
// search and TPE, each with and without ASHA pruning, under the same wall-clock budget and the
// same workers: the best metric reached, the time to reach a target, and the trials and training
// steps spent. Not a test: it asserts nothing, it reports.
//
//   npm run bench:search -- [--budget 3m] [--seeds 1] [--workers 2] [--target 0.01] [--methods tpe+asha,random] [--agents N] [--pack K] [--json FILE]
//
// Every run trains each trial alone (pack off), as before packing existed; --pack K: each variant
// also runs with packs of up to K trials, beside it, on the same seeds.
// --agents N: each variant also runs as N agents of one worker each on one PostgreSQL sweep
// ($SWEEPDECK_BENCH_PG, or a server started here), beside the N-worker SQLite run: the same
// budget, so the time to target shows whether N agents search as well as N workers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import Database from 'better-sqlite3';
import { loadSweepText } from '../spec/load.js';
import { openReadStore, openSweepStore, openWriteStore } from '../store/index.js';
import { benchPostgres } from './store.js';
import { runSweep } from '../run/orchestrator.js';
import { parseDuration, formatBudget } from '../run/stop-rules.js';
import { sweepRecord } from '../commands/run.js';
import { formatDuration, formatMetric } from '../format.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const budgetSeconds = parseDuration(flag('--budget', '3m'));
if (budgetSeconds === undefined) throw new Error(`--budget: expected a duration like 90s or 3m, got ${flag('--budget', '')}`);
const seeds = Number(flag('--seeds', '1'));
const workers = Number(flag('--workers', String(availableParallelism())));
const target = Number(flag('--target', '0.01'));
const agents = Number(flag('--agents', '0'));
const pack = args.includes('--pack') ? Number(flag('--pack', '8')) : 0;
if (args.includes('--pack') && !(Number.isInteger(pack) && pack >= 2)) throw new Error(`--pack: expected a whole number of trials per pack, 2 or more, got ${flag('--pack', '')}`);
const jsonOut = args.includes('--json') ? flag('--json', 'results/bench-search.json') : undefined;

interface Method {
  label: string;
  method: 'random' | 'tpe';
  asha: boolean;
}
const ALL_METHODS: Method[] = [
  { label: 'random', method: 'random', asha: false },
  { label: 'random + ASHA', method: 'random', asha: true },
  { label: 'tpe', method: 'tpe', asha: false },
  { label: 'tpe + ASHA', method: 'tpe', asha: true },
];

/** `--methods tpe+asha,random`: a subset, by label without spaces (random, random+asha, tpe, tpe+asha). */
const chosen = args.includes('--methods') ? flag('--methods', '').split(',').map((m) => m.trim().toLowerCase()) : undefined;
const METHODS = chosen ? ALL_METHODS.filter((m) => chosen.includes(m.label.replace(/ /g, '').toLowerCase())) : ALL_METHODS;
if (METHODS.length === 0) throw new Error(`--methods: expected some of random, random+asha, tpe, tpe+asha, got ${flag('--methods', '')}`);

const showcase = readFileSync(new URL('../../sweeps/seed-equation.yaml', import.meta.url), 'utf8');

/** The showcase with another method and pruner, more trials than the budget allows, no target, and a seed. */
function variant(m: Method, seed: number): string {
  const doc = parseDocument(showcase);
  doc.set('method', m.method);
  doc.set('run_cap', 100_000);
  doc.set('seed', seed);
  // Every variant runs for the whole budget: the showcase's own target would end some early.
  doc.deleteIn(['metric', 'target']);
  if (!m.asha) doc.delete('early_terminate');
  if (m.method !== 'tpe') doc.delete('tpe');
  return doc.toString();
}

/** Seconds into a run at which the best value so far is reported (those within the budget). */
const CHECKPOINTS = [30, 60, 120, 300, 600];

interface Outcome {
  best: number | null;
  /** The best complete value finished by each checkpoint (seconds → value; null: none yet). */
  bestBy: Record<number, number | null>;
  /** Seconds from the start to the first complete trial at or below the target; null if never. */
  toTarget: number | null;
  trials: number;
  complete: number;
  pruned: number;
  steps: number;
}

interface TrialRow {
  state: string;
  value: number | null;
  step: number | null;
  finished_at: string;
}

function outcomeOf(rows: TrialRow[], started: number): Outcome {
  const complete = rows.filter((r) => r.state === 'complete' && r.value !== null);
  const reached = complete.filter((r) => r.value! <= target).map((r) => (Date.parse(r.finished_at) - started) / 1000);
  const finishedBy = (seconds: number) => complete.filter((r) => (Date.parse(r.finished_at) - started) / 1000 <= seconds).map((r) => r.value!);
  const bestBy: Record<number, number | null> = {};
  for (const at of CHECKPOINTS.filter((c) => c < budgetSeconds!)) {
    const values = finishedBy(at);
    bestBy[at] = values.length ? Math.min(...values) : null;
  }
  return {
    best: complete.length ? Math.min(...complete.map((r) => r.value!)) : null,
    bestBy,
    toTarget: reached.length ? Math.min(...reached) : null,
    trials: rows.length,
    complete: complete.length,
    pruned: rows.filter((r) => r.state === 'pruned').length,
    steps: rows.reduce((sum, r) => sum + (r.step ?? 0), 0),
  };
}

/** The variant as `agents` agents of one worker each, in this process, on one PostgreSQL sweep. */
async function measureAgents(m: Method, seed: number, url: string): Promise<Outcome> {
  const doc = parseDocument(variant(m, seed));
  // One database holds every variant: each is its own named sweep.
  doc.set('name', `seed-equation-${m.label.replace(/[^a-z]+/gi, '-')}-${seed}-${Date.now()}`);
  const text = doc.toString();
  const { spec } = loadSweepText(`seed-equation (${m.label}, ${agents} agents)`, text);
  const record = sweepRecord(spec, text);
  const liveness = { heartbeatSeconds: 5, graceSeconds: 30 };
  const stores = [];
  for (let a = 0; a < agents; a++) stores.push(await openSweepStore(url, record, { liveness }));
  const started = Date.now();
  try {
    await Promise.all(
      stores.map((store, a) =>
        runSweep({ spec, store, dbPath: store.location, workers: 1, backend: 'wasm', owner: { host: 'bench', agent: `agent-${a}` }, liveness, emit: () => {}, limits: { timeBudgetSeconds: budgetSeconds } }),
      ),
    );
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
  const reader = await openReadStore(url, { sweep: spec.name });
  try {
    const rows = (await reader.trials({ states: ['complete', 'pruned', 'failed'] })).map((t) => ({ state: t.state, value: t.value, step: t.step, finished_at: t.finishedAt ?? '' }));
    return outcomeOf(rows, started);
  } finally {
    await reader.close();
  }
}

async function measure(m: Method, seed: number, packSize = 1): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-search-'));
  const dbPath = join(dir, 'bench.db');
  try {
    const text = variant(m, seed);
    const { spec } = loadSweepText(`seed-equation (${m.label})`, text);
    const store = await openWriteStore(dbPath, sweepRecord(spec, text));
    const started = Date.now();
    try {
      await runSweep({ spec, store, dbPath, workers, backend: 'wasm', pack: packSize, emit: () => {}, limits: { timeBudgetSeconds: budgetSeconds } });
    } finally {
      await store.close();
    }
    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db.prepare("SELECT state, value, step, finished_at FROM trials WHERE state IN ('complete', 'pruned', 'failed')").all() as TrialRow[];
      return outcomeOf(rows, started);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  console.log(
    `sweepdeck bench:search: sweeps/seed-equation.yaml, ${formatBudget(budgetSeconds!)} per run, ${workers} workers (wasm), ` +
      `seed${seeds === 1 ? '' : 's'} 1${seeds > 1 ? `..${seeds}` : ''}; target rel_l1 ≤ ${target}\n`,
  );
  const results: Record<string, Outcome[]> = {};
  const server = agents > 0 ? await benchPostgres() : undefined;
  const packedLabel = (m: Method) => `${m.label}, packs of ${pack}`;
  const labels = METHODS.flatMap((m) => [m.label, ...(server ? [`${m.label}, ${agents} agents`] : []), ...(pack ? [packedLabel(m)] : [])]);
  // Interleaved by seed, so that a machine that gets slower over the run penalises every method alike.
  for (let seed = 1; seed <= seeds; seed++) {
    for (const m of METHODS) {
      const outcome = await measure(m, seed);
      (results[m.label] ??= []).push(outcome);
      console.log(`  seed ${seed} ${m.label.padEnd(14)} best ${formatMetric(outcome.best).padStart(9)}  target ${outcome.toTarget === null ? 'not reached' : `at ${formatDuration(outcome.toTarget)}`}`);
      if (pack) {
        const packed = await measure(m, seed, pack);
        (results[packedLabel(m)] ??= []).push(packed);
        console.log(`  seed ${seed} ${packedLabel(m).padEnd(14)} best ${formatMetric(packed.best).padStart(9)}  target ${packed.toTarget === null ? 'not reached' : `at ${formatDuration(packed.toTarget)}`}`);
      }
      if (server) {
        const label = `${m.label}, ${agents} agents`;
        const shared = await measureAgents(m, seed, server.url);
        (results[label] ??= []).push(shared);
        console.log(`  seed ${seed} ${label.padEnd(14)} best ${formatMetric(shared.best).padStart(9)}  target ${shared.toTarget === null ? 'not reached' : `at ${formatDuration(shared.toTarget)}`}  (PostgreSQL)`);
      }
    }
  }
  await server?.stop();
  const checkpoints = CHECKPOINTS.filter((c) => c < budgetSeconds!);
  console.log(
    `\nmethod         ${checkpoints.map((c) => `best by ${formatDuration(c)}`.padStart(14)).join('')}  best (median)  reached target  time to target (median)  trials  pruned  steps (M)`,
  );
  for (const label of labels) {
    const m = { label };
    const runs = results[m.label]!;
    const bests = runs.map((r) => r.best ?? Infinity);
    const reached = runs.filter((r) => r.toTarget !== null);
    const by = checkpoints.map((c) => formatMetric(median(runs.map((r) => r.bestBy[c] ?? Infinity))).padStart(14)).join('');
    console.log(
      `${m.label.padEnd(14)} ${by}  ${formatMetric(median(bests)).padStart(13)}  ${`${reached.length}/${runs.length}`.padStart(14)}  ` +
        `${(reached.length ? formatDuration(median(reached.map((r) => r.toTarget!))) : '-').padStart(23)}  ` +
        `${String(Math.round(median(runs.map((r) => r.trials)))).padStart(6)}  ${String(Math.round(median(runs.map((r) => r.pruned)))).padStart(6)}  ` +
        `${(median(runs.map((r) => r.steps)) / 1e6).toFixed(2).padStart(9)}`,
    );
  }
  if (jsonOut) {
    writeFileSync(jsonOut, `${JSON.stringify({ budgetSeconds, workers, target, seeds, pack, agents, results, date: new Date().toISOString() }, null, 2)}\n`);
    console.log(`\nnumbers written to ${jsonOut}`);
  }
}

await main();
