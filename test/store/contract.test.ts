// One contract for every store (as Optuna runs one StorageTestCase over each storage): the same
// tests on the SQLite store and on a real PostgreSQL server. What only a shared server can show
// (several writers on one sweep: atomic claims under contention, taking back a silent agent's
// trial, a late result discarded) runs on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { exportRows, openReadStore, openSweepStore, type ClaimRequest, type SweepRecord, type SweepStore } from '../../src/store/index.js';
import { decodeModel } from '../../src/artifacts/index.js';
import { randomModel } from '../artifacts/fixtures.js';
import { sweepRecord, tempDbPath } from './fixtures.js';
import { PG_PASSWORD, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startPgProxy } from '../helpers/pg-proxy.js';

const LIVENESS = { heartbeatSeconds: 1, graceSeconds: 30 };
const OWNER = { host: 'test-host', agent: 'agent-a' };

/** A claim request over a plan of `total` trials whose parameters are { n: number }. */
function request(total: number, owner = OWNER, seen: number[] = []): ClaimRequest {
  return {
    owner,
    total,
    sync: (delta) => seen.push(...delta.trials.map((t) => t.number)),
    plan: (number, stored) => ({ params: stored ?? { n: number }, config: { n: number }, steps: 10 }),
  };
}

interface Backend {
  name: string;
  /** Where a fresh sweep lives: a new SQLite file, or a new database on the server. */
  location(): Promise<string>;
  /** Several processes can write one sweep at once. */
  shared: boolean;
}

let server: TestPostgres;
let databases = 0;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const backends: Backend[] = [
  { name: 'SQLite', location: async () => tempDbPath(), shared: false },
  { name: 'PostgreSQL', location: async () => server.createDatabase(`contract_${++databases}`), shared: true },
];

async function open(location: string, record: SweepRecord = sweepRecord(), liveness = LIVENESS): Promise<SweepStore> {
  return openSweepStore(location, record, { liveness });
}

async function runTrial(store: SweepStore, total: number, value: number, owner = OWNER) {
  const claimed = (await store.claimTrial(request(total, owner)))!;
  await store.markRunning(claimed.id, 1, 'wasm');
  await store.addMetrics(claimed.id, 5, { rel_l1: value * 2, train_loss: 1 });
  await store.addMetrics(claimed.id, 10, { rel_l1: value, train_loss: 0.5 });
  expect(await store.finishTrial(claimed.id, { state: 'complete', value, step: 10 }, randomModel([2, 3, 1], ['tanh'], claimed.number + 1))).toBe(true);
  return claimed;
}

describe.each(backends)('the store contract on $name', (backend) => {
  it('claims numbers in plan order, one each, and none past the plan', async () => {
    const store = await open(await backend.location());
    const numbers: number[] = [];
    for (let i = 0; i < 4; i++) numbers.push((await store.claimTrial(request(3)))?.number ?? -1);
    expect(numbers).toEqual([0, 1, 2, -1]);
    await store.close();
  });

  it('records metrics, the end and the owner; readers see them, the final metrics and the kept model', async () => {
    const location = await backend.location();
    const store = await open(location);
    const first = await runTrial(store, 5, 0.25);
    const second = (await store.claimTrial(request(5)))!;
    await store.markRunning(second.id, 2, 'wasm');
    await store.addMetrics(second.id, 5, { rel_l1: 0.9 });
    await store.finishTrial(second.id, { state: 'pruned', value: 0.9, step: 5, error: 'median: worse' });
    expect(await store.best()).toEqual({ number: 0, value: 0.25 });
    await store.close();

    const reader = await openReadStore(location);
    const trial = (await reader.trial(first.number))!;
    expect(trial).toMatchObject({ state: 'complete', value: 0.25, step: 10, worker: 1, backend: 'wasm', host: 'test-host', agent: 'agent-a', params: { n: 0 }, config: { n: 0 } });
    expect(trial.metrics).toEqual({ rel_l1: 0.25, train_loss: 0.5 });
    expect(await reader.curve(trial.id, 'rel_l1')).toEqual([
      { step: 5, name: 'rel_l1', value: 0.5 },
      { step: 10, name: 'rel_l1', value: 0.25 },
    ]);
    expect(await reader.counts()).toEqual({ queued: 0, running: 0, complete: 1, pruned: 1, failed: 0 });
    expect((await reader.trial(1))?.error).toBe('median: worse');
    expect((await reader.keptModels()).map((k) => k.number)).toEqual([0]);
    const blob = (await reader.modelBlob(0))!;
    expect(decodeModel(blob.data)).toEqual(randomModel([2, 3, 1], ['tanh'], 1));
    expect((await reader.trialListing()).map((t) => [t.number, t.state, t.host])).toEqual([
      [0, 'complete', 'test-host'],
      [1, 'pruned', 'test-host'],
    ]);
    await reader.close();
  });

  it('a requeued trial keeps its parameters, loses its metrics and comes back as retried', async () => {
    const location = await backend.location();
    const store = await open(location);
    const planned: (Record<string, unknown> | undefined)[] = [];
    const asking: ClaimRequest = { ...request(2), plan: (number, stored) => (planned.push(stored), { params: stored ?? { n: number, first: true }, config: null, steps: 10 }) };
    const claimed = (await store.claimTrial(asking))!;
    expect(claimed.retried).toBe(false);
    await store.addMetrics(claimed.id, 5, { rel_l1: 0.5 });
    await store.flush();
    await store.requeueTrial(claimed.id);
    const again = (await store.claimTrial(asking))!;
    expect(again).toMatchObject({ id: claimed.id, number: 0, retried: true, params: { n: 0, first: true } });
    expect(planned).toEqual([undefined, { n: 0, first: true }]);
    await store.finishTrial(again.id, { state: 'failed', value: null, step: 0, error: 'no' });
    await store.close();
    const reader = await openReadStore(location);
    expect(await reader.curve(claimed.id)).toEqual([]);
    expect((await reader.trial(0))?.retries).toBe(1);
    await reader.close();
  });

  it('changes() reports each changed trial once, with its sweep-metric curve', async () => {
    const store = await open(await backend.location());
    await store.trialRecords();
    await runTrial(store, 3, 0.5);
    const delta = await store.changes();
    expect(delta.trials.map((t) => [t.number, t.state, t.value])).toEqual([[0, 'complete', 0.5]]);
    expect(delta.points).toEqual([
      { number: 0, step: 5, value: 1 },
      { number: 0, step: 10, value: 0.5 },
    ]);
    // Nothing new: nothing reported (PostgreSQL may repeat rows of transactions at its horizon, never miss one).
    const quiet = await store.changes();
    expect(quiet.trials.filter((t) => t.number !== 0)).toEqual([]);
    await store.close();
  });

  it('refuses writes for a trial it does not hold', async () => {
    const store = await open(await backend.location());
    await expect(store.addMetrics(999, 1, { x: 1 })).rejects.toThrow(/did not (insert|claim)/);
    await expect(store.finishTrial(999, { state: 'failed', value: null, step: 0 })).rejects.toThrow(/no such queued or running trial/);
    await store.close();
  });

  it('export rows are the same on every store for the same trials', async () => {
    const location = await backend.location();
    const store = await open(location);
    await runTrial(store, 3, 0.125);
    await runTrial(store, 3, 0.5);
    await store.close();
    const reader = await openReadStore(location);
    const rows = await exportRows(reader);
    await reader.close();
    expect(rows.map((r) => [r.number, r.state, r.value, r['param.n'], r['metric.rel_l1'], r['metric.train_loss'], r.worker, r.backend])).toEqual([
      [0, 'complete', 0.125, 0, 0.125, 0.5, 1, 'wasm'],
      [1, 'complete', 0.5, 1, 0.5, 0.5, 1, 'wasm'],
    ]);
  });
});

describe('several writers on one sweep (PostgreSQL)', () => {
  it('4 agents claiming at once: every number once, none used twice, none skipped', async () => {
    const location = await server.createDatabase('claims');
    const record = sweepRecord();
    const agents = await Promise.all([0, 1, 2, 3].map(() => open(location, record)));
    const total = 40;
    const claims = await Promise.all(
      agents.map(async (store, a) => {
        const mine: number[] = [];
        for (;;) {
          const claimed = await store.claimTrial(request(total, { host: 'h', agent: `a${a}` }));
          if (!claimed) return mine;
          mine.push(claimed.number);
          await store.finishTrial(claimed.id, { state: 'complete', value: claimed.number, step: 1 });
        }
      }),
    );
    const all = claims.flat().sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: total }, (_, n) => n));
    // Each agent got some (they really asked at the same time).
    expect(claims.filter((c) => c.length > 0).length).toBeGreaterThan(1);
    await Promise.all(agents.map((s) => s.close()));
    const reader = await openReadStore(location);
    expect((await reader.counts()).complete).toBe(total);
    await reader.close();
  });

  it('the planner asked in a claim sees every trial claimed before it, on any agent (constant liar across machines)', async () => {
    const location = await server.createDatabase('liar');
    const record = sweepRecord();
    const a = await open(location, record);
    const b = await open(location, record);
    await a.trialRecords();
    await b.trialRecords();
    await a.claimTrial(request(5, { host: 'h1', agent: 'a' }));
    const seen: number[] = [];
    await b.claimTrial(request(5, { host: 'h2', agent: 'b' }, seen));
    expect(seen).toContain(0);
    await a.close();
    await b.close();
  });

  it("takes back a silent agent's trial after the grace period, and discards the agent's late result", async () => {
    const location = await server.createDatabase('stale');
    const record = sweepRecord();
    const silent = await open(location, record, { heartbeatSeconds: 1, graceSeconds: 1 });
    const alive = await open(location, record, { heartbeatSeconds: 1, graceSeconds: 1 });
    const lost = (await silent.claimTrial(request(1, { host: 'h1', agent: 'silent' })))!;
    await silent.addMetrics(lost.id, 5, { rel_l1: 0.75 });
    await silent.flush();
    expect(await alive.claimTrial(request(1, { host: 'h2', agent: 'alive' }))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const taken = (await alive.claimTrial(request(1, { host: 'h2', agent: 'alive' })))!;
    expect(taken).toMatchObject({ id: lost.id, number: 0, retried: true });
    // The silent agent comes back: its metrics and its result are refused, not doubled.
    await silent.addMetrics(lost.id, 10, { rel_l1: 0.5 });
    expect(await silent.finishTrial(lost.id, { state: 'complete', value: 0.5, step: 10 })).toBe(false);
    await alive.addMetrics(taken.id, 10, { rel_l1: 0.25 });
    expect(await alive.finishTrial(taken.id, { state: 'complete', value: 0.25, step: 10 })).toBe(true);
    await silent.close();
    await alive.close();
    const reader = await openReadStore(location);
    const trial = (await reader.trial(0))!;
    expect(trial).toMatchObject({ state: 'complete', value: 0.25, agent: 'alive', retries: 1 });
    expect(await reader.curve(trial.id, 'rel_l1')).toEqual([{ step: 10, name: 'rel_l1', value: 0.25 }]);
    await reader.close();
  });

  it('one database holds many sweeps; a reader picks one by name and says which there are', async () => {
    const location = await server.createDatabase('many');
    const one = await open(location, sweepRecord({ name: 'one' }));
    const two = await open(location, sweepRecord({ name: 'two' }));
    await runTrial(one, 2, 0.5);
    await runTrial(two, 2, 0.25);
    await one.close();
    await two.close();
    await expect(openReadStore(location)).rejects.toThrow(/holds 2 sweeps \(one, two\); choose one with --sweep NAME/);
    await expect(openReadStore(location, { sweep: 'tw' })).rejects.toThrow(/no sweep "tw" \(did you mean "two"\?\)/);
    const reader = await openReadStore(location, { sweep: 'two' });
    expect((await reader.best(5)).map((t) => t.value)).toEqual([0.25]);
    await reader.close();
    // A changed spec under the same name is refused, as for a SQLite file.
    await expect(open(location, sweepRecord({ name: 'one', goal: 'maximize' }))).rejects.toThrow(/the spec has changed since/);
  });

  it('never stores the password: not in any table', async () => {
    const location = await server.createDatabase('secret');
    const store = await open(location);
    await runTrial(store, 1, 0.5);
    expect(store.location).not.toContain(PG_PASSWORD);
    await store.close();
    const client = new pg.Client({ connectionString: location });
    await client.connect();
    const dump = await client.query("SELECT string_agg(t::text, ' ') AS all FROM (SELECT * FROM sweeps) t UNION ALL SELECT string_agg(t::text, ' ') FROM (SELECT * FROM trials) t UNION ALL SELECT string_agg(t::text, ' ') FROM meta t");
    await client.end();
    expect(JSON.stringify(dump.rows)).not.toContain(PG_PASSWORD);
  });
});

describe('a COMMIT whose reply is lost (PostgreSQL)', () => {
  it('finishTrial, retried on a new connection, recognises its own committed result: true, recorded once, the model kept once', async () => {
    const location = await server.createDatabase('lost_reply');
    // The store talks to the server through a proxy that cuts the connection at COMMIT's reply.
    const proxy = await startPgProxy(server.port);
    try {
      const waiting: string[] = [];
      const store = await openSweepStore(proxy.urlOf(location), sweepRecord(), { liveness: LIVENESS, onWaiting: (m) => waiting.push(m) });
      const claimed = (await store.claimTrial(request(2)))!;
      await store.markRunning(claimed.id, 1, 'wasm');
      await store.addMetrics(claimed.id, 5, { rel_l1: 0.5 });
      await store.addMetrics(claimed.id, 10, { rel_l1: 0.25 });
      proxy.loseNextCommitReply();
      const model = randomModel([2, 3, 1], ['tanh'], 7);
      expect(await store.finishTrial(claimed.id, { state: 'complete', value: 0.25, step: 10 }, model)).toBe(true);
      // The reply really was lost, and the store reconnected to retry.
      expect(proxy.lost).toBe(1);
      expect(waiting.join('\n')).toMatch(/waiting for PostgreSQL/);
      // The same store goes on with the next trial on its new connection.
      const next = (await store.claimTrial(request(2)))!;
      expect(next.number).toBe(1);
      expect(await store.finishTrial(next.id, { state: 'pruned', value: 0.75, step: 5, error: 'asha: worse' })).toBe(true);
      await store.close();

      const reader = await openReadStore(location);
      expect(await reader.counts()).toEqual({ queued: 0, running: 0, complete: 1, pruned: 1, failed: 0 });
      const trial = (await reader.trial(0))!;
      expect(trial).toMatchObject({ state: 'complete', value: 0.25, step: 10, retries: 0 });
      expect(await reader.curve(trial.id, 'rel_l1')).toEqual([
        { step: 5, name: 'rel_l1', value: 0.5 },
        { step: 10, name: 'rel_l1', value: 0.25 },
      ]);
      expect((await reader.keptModels()).map((k) => k.number)).toEqual([0]);
      expect(decodeModel((await reader.modelBlob(0))!.data)).toEqual(model);
      await reader.close();
    } finally {
      await proxy.close();
    }
  });

  it("a lost reply to a finish whose claim was taken back meanwhile still reports it discarded (the other agent's result stands)", async () => {
    const location = await server.createDatabase('lost_reply_taken');
    const proxy = await startPgProxy(server.port);
    try {
      const liveness = { heartbeatSeconds: 1, graceSeconds: 1 };
      const silent = await openSweepStore(proxy.urlOf(location), sweepRecord(), { liveness });
      const alive = await openSweepStore(location, sweepRecord(), { liveness });
      const lost = (await silent.claimTrial(request(1, { host: 'h1', agent: 'silent' })))!;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const taken = (await alive.claimTrial(request(1, { host: 'h2', agent: 'alive' })))!;
      expect(await alive.finishTrial(taken.id, { state: 'complete', value: 0.25, step: 10 })).toBe(true);
      // The silent agent's finish changes nothing (its claim is gone), and its COMMIT's reply is lost:
      // the retry must not take the other agent's equal result for its own.
      proxy.loseNextCommitReply();
      expect(await silent.finishTrial(lost.id, { state: 'complete', value: 0.25, step: 10 })).toBe(false);
      expect(proxy.lost).toBe(1);
      await silent.close();
      await alive.close();
      const reader = await openReadStore(location);
      expect(await reader.trial(0)).toMatchObject({ state: 'complete', value: 0.25, agent: 'alive', retries: 1 });
      await reader.close();
    } finally {
      await proxy.close();
    }
  });
});
