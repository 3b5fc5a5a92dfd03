// Several agents on one sweep in a real PostgreSQL server, through the real CLI: `run --db URL`
// plus `agent URL --sweep NAME` processes finish a sweep with every trial exactly once; an agent
// killed with -9 mid-trial has that trial taken back and completed elsewhere; a server restart
// mid-sweep loses nothing; the password is never printed. The server starts once for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { CLI, REPO, sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { PG_PASSWORD, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/** Random-search trials (8 unless told) of 160 steps: a few seconds of work to share out. */
const SWEEP = (name: string, trials = 8) => `name: ${name}
method: random
run_cap: ${trials}
metric: { name: rel_l1, goal: minimize }
seed: 5
parameters:
  features: { values: [raw, log] }
  training.lr: { distribution: log_uniform, min: 0.003, max: 0.1 }
problem:
  variables:
    x: { min: 1, max: 10 }
    z: { distribution: log_uniform, min: 0.1, max: 10 }
  target: x * z
  scale: x * z
  validation: { size: 128 }
features:
  raw: [x, z]
  log: [log(x), log(z)]
model: { depth: 1, width: 4, activation: tanh }
training: { batch_size: 32, steps: 160, eval_every: 40 }
`;
const EVAL_STEPS = [40, 80, 120, 160];
/** Fast liveness for the tests: heartbeat every 0.5 s, a silent trial is taken back after 3 s. */
const LIVENESS = { SWEEPDECK_HEARTBEAT_S: '0.5', SWEEPDECK_GRACE_S: '3' };

interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, ...LIVENESS, ...env } });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? 137 : code)));
  return { child, output: () => out, exit };
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface TrialRow {
  id: number;
  number: number;
  state: string;
  value: number | null;
  step: number | null;
  host: string | null;
  agent: string | null;
  retries: number;
}

async function sql<R>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as R[];
  } finally {
    await client.end();
  }
}

/** Every trial once, each complete with its whole curve, and nothing else in the sweep. */
async function expectEveryTrialOnce(url: string, sweep: string, trials: number): Promise<TrialRow[]> {
  const rows = await sql<TrialRow>(
    url,
    'SELECT t.id, t.number, t.state, t.value, t.step, t.host, t.agent, t.retries FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = $1 ORDER BY t.number',
    [sweep],
  );
  expect(rows.map((r) => r.number)).toEqual(Array.from({ length: trials }, (_, n) => n));
  for (const row of rows) {
    expect(row.state).toBe('complete');
    expect(row.step).toBe(160);
    const points = await sql<{ step: number; value: number }>(url, "SELECT step, value FROM metrics WHERE trial_id = $1 AND name = 'rel_l1' ORDER BY step", [row.id]);
    expect(points.map((p) => p.step)).toEqual(EVAL_STEPS);
    expect(points.at(-1)!.value).toBe(row.value);
  }
  return rows;
}

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('agents on one sweep in PostgreSQL', () => {
  it('3 agents and 1 run finish a sweep with every trial exactly once; the password is never printed', async () => {
    const url = await server.createDatabase('agents');
    const file = join(tempDir(), 'shared.yaml');
    // 24 short trials: enough that the agents, which take a second or two to start, join while the run works.
    writeFileSync(file, SWEEP('shared', 24));
    // Packs of 2: each process claims a few trials ahead, not the whole sweep.
    const run = start(['run', file, '--db', url, '--workers', '1', '--pack', '2', '--backend', 'wasm', '--no-tui']);
    await waitFor(() => /^sweep shared:/m.test(run.output()), 60_000, 'the run to create the sweep');
    const agents = [0, 1, 2].map(() => start(['agent', url, '--sweep', 'shared', '--workers', '1', '--pack', '2', '--backend', 'wasm', '--no-tui']));
    const codes = await Promise.all([run, ...agents].map((p) => p.exit));
    const outputs = [run, ...agents].map((p) => p.output());
    expect(codes, outputs.join('\n----\n')).toEqual([0, 0, 0, 0]);
    for (const output of outputs) expect(output).not.toContain(PG_PASSWORD);
    expect(outputs[0]).toMatch(/postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1/);
    // Each trial line says which machine and agent runs it.
    // The trials take a fraction of a second: an agent that starts last may find them all claimed.
    const ran = outputs.filter((output) => / trial \d+ started/.test(output));
    expect(ran.length, outputs.join('\n----\n')).toBeGreaterThanOrEqual(2);
    for (const output of ran) expect(output).toMatch(/ trial \d+ started on worker 1: .* \[\S+ agent [0-9a-f]{8}\]$/m);

    const rows = await expectEveryTrialOnce(url, 'shared', 24);
    // Shared out: more than one agent ran trials, each row says which.
    expect(new Set(rows.map((r) => r.agent)).size).toBeGreaterThan(1);
    for (const row of rows) expect(row.host).toBeTruthy();

    // The read commands take the URL; `sweeps` lists the sweep with its best.
    const sweeps = sweepdeck(['sweeps', url]);
    expect(sweeps.code).toBe(0);
    expect(sweeps.stdout).toMatch(/shared\s+random\s+idle\s+24 complete/);
    const best = sweepdeck(['best', url, '--json']);
    expect(best.code).toBe(0);
    expect((JSON.parse(best.stdout) as { value: number }[])[0]!.value).toBe(Math.min(...rows.map((r) => r.value!)));
    for (const output of [sweeps.stdout, sweeps.stderr, best.stdout, best.stderr]) expect(output).not.toContain(PG_PASSWORD);

    // The web view's report reads the same sweep from the URL (issue 13 over issue 12's store).
    const html = join(tempDir(), 'shared.html');
    const report = sweepdeck(['report', url, '--sweep', 'shared', '-o', html]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^wrote .*shared\.html: sweep shared, 24 trials/);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toContain(PG_PASSWORD);
    expect(page).toContain('postgresql://postgres:***@127.0.0.1');
  }, 240_000);

  it('an agent killed with -9 mid-trial: its trial is taken back after the grace period and completed elsewhere, nothing doubled', async () => {
    const url = await server.createDatabase('killed');
    const file = join(tempDir(), 'killed.yaml');
    writeFileSync(file, SWEEP('killed', 4));
    // The first process creates the sweep and is killed in its first trial (its pack), which hangs
    // at step 80 (after reporting step 40) so that it is surely still running when the kill comes, however fast the machine.
    const doomed = start(['run', file, '--db', url, '--workers', '1', '--backend', 'wasm', '--no-tui'], { SWEEPDECK_FAULTS: '0:hang@80' });
    await waitFor(
      async () => (await sql<{ n: number }>(url, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'metrics'"))[0]!.n > 0 &&
        (await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM metrics'))[0]!.n > 0,
      60_000,
      'the first trial to report',
    );
    doomed.child.kill('SIGKILL');
    expect(await doomed.exit).toBe(137);
    const orphan = (await sql<TrialRow>(url, "SELECT number, agent, retries FROM trials WHERE state = 'running'"))[0]!;
    expect(orphan).toBeDefined();

    const rescuer = start(['agent', url, '--sweep', 'killed', '--workers', '1', '--backend', 'wasm', '--no-tui']);
    expect(await rescuer.exit, rescuer.output()).toBe(0);
    const rows = await expectEveryTrialOnce(url, 'killed', 4);
    const retried = rows.find((r) => r.number === orphan.number)!;
    expect(retried.retries).toBe(1);
    expect(retried.agent).not.toBe(orphan.agent);
  }, 240_000);

  it('a server restart mid-sweep loses nothing: the agent waits, reconnects and finishes', async () => {
    const url = await server.createDatabase('restart');
    const file = join(tempDir(), 'restart.yaml');
    writeFileSync(file, SWEEP('restart', 6));
    // A grace period longer than the outage: the trial running across it is not taken back from itself.
    // Packs of 2, so that trials complete (and are written) before, during and after the outage.
    const run = start(['run', file, '--db', url, '--workers', '1', '--pack', '2', '--backend', 'wasm', '--no-tui'], { SWEEPDECK_GRACE_S: '60' });
    await waitFor(async () => (await sql<{ n: number }>(url, "SELECT count(*)::int AS n FROM trials WHERE state = 'complete'").catch(() => [{ n: 0 }]))[0]!.n >= 1, 90_000, 'a first complete trial');
    await server.halt();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await server.resume();
    expect(await run.exit, run.output()).toBe(0);
    expect(run.output()).toMatch(/waiting for PostgreSQL at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/restart/);
    expect(run.output()).not.toContain(PG_PASSWORD);
    await expectEveryTrialOnce(url, 'restart', 6);
  }, 240_000);

  it('copy: SQLite → PostgreSQL → SQLite gives the same export, kept models included', async () => {
    const dir = tempDir();
    const first = join(dir, 'first.db');
    const back = join(dir, 'back.db');
    expect(sweepdeck(['run', 'sweeps/smoke.yaml', '--db', first, '--workers', '2', '--backend', 'wasm', '--no-tui']).code).toBe(0);
    const url = await server.createDatabase('copied');
    const there = sweepdeck(['copy', first, url]);
    expect(there.code, there.stderr).toBe(0);
    expect(there.stdout).toMatch(/^copied sweep smoke: 4 trials, \d+ metric points, \d+ kept models → postgresql:\/\/postgres:\*\*\*@/);
    expect(there.stdout + there.stderr).not.toContain(PG_PASSWORD);
    const home = sweepdeck(['copy', url, back, '--sweep', 'smoke']);
    expect(home.code, home.stderr).toBe(0);
    const exported = (db: string) => sweepdeck(['export', db, '--format', 'csv']).stdout;
    expect(exported(back)).toBe(exported(first));
    expect(exported(url)).toBe(exported(first));
    expect(sweepdeck(['best', back, '--json']).stdout).toBe(sweepdeck(['best', first, '--json']).stdout);
    // The README's SQL surface on PostgreSQL: its SQLite examples (all but json_extract, which has
    // a PostgreSQL twin) and its PostgreSQL block, as psql would send them.
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const statements = (fence: RegExp) =>
      [...readme.matchAll(fence)].flatMap((m) => m[1]!.split(';')).map((q) => q.replace(/--.*$/gm, '').trim()).filter(Boolean);
    const portable = statements(/```sql\n([\s\S]*?)```/g).filter((q) => !q.includes('json_extract'));
    const postgres = statements(/```sql postgres\n([\s\S]*?)```/g);
    expect(portable.length).toBeGreaterThanOrEqual(4);
    expect(postgres.length).toBeGreaterThanOrEqual(2);
    const results: unknown[][] = [];
    for (const q of [...portable, ...postgres]) results.push(await sql(url, q));
    expect(results[0]).toHaveLength(4);
    expect(results[portable.length]).toHaveLength(2);

    // A copy never merges into a sweep that already has trials.
    const again = sweepdeck(['copy', first, url]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds trials of sweep "smoke"/);
  }, 240_000);
});
