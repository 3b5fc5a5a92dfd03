// End to end through the real CLI: the smoke sweep with 2 workers, then the read commands on its DB.
import { beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { sweepdeck, CLI, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { tensorflowInstalled } from '../../src/train/backend-choice.js';

describe('sweepdeck run sweeps/smoke.yaml --workers 2', () => {
  const dir = tempDir();
  const db = join(dir, 'smoke.db');
  let run: ReturnType<typeof sweepdeck>;

  beforeAll(() => {
    run = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui']);
  }, 180_000);

  it('exits 0 and prints one line per trial event', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^sweep smoke: grid, 4 trials, 2 workers \(packs of up to 2 trials\), backend wasm → /);
    expect(lines.filter((l) => / trial \d+ started on worker \d+: /.test(l))).toHaveLength(4);
    expect(lines.filter((l) => / trial \d+ complete at step 60 in /.test(l))).toHaveLength(4);
    expect(lines.at(-2)).toMatch(/^done in .*: 4 complete, 0 pruned, 0 failed; best: trial \d, rel_l1=/);
    expect(lines.at(-1)).toMatch(/^see: npx sweepdeck best .*smoke\.db   ·   npx sweepdeck show .*smoke\.db \d$/);
  });

  it('keeps every trial and metric in SQLite', () => {
    const sql = new Database(db, { readonly: true });
    try {
      expect(sql.pragma('integrity_check', { simple: true })).toBe('ok');
      const trials = sql.prepare('SELECT * FROM trials ORDER BY number').all() as Record<string, unknown>[];
      expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3]);
      for (const t of trials) {
        expect(t.state).toBe('complete');
        expect(t.backend).toBe('wasm');
        expect(typeof t.value).toBe('number');
        expect(t.step).toBe(60);
        expect(t.started_at).toBeTruthy();
        expect(t.finished_at).toBeTruthy();
      }
      expect(new Set(trials.map((t) => t.worker)).size).toBe(2);
      expect(JSON.parse(trials[0]!.params as string)).toEqual({ features: 'raw', 'training.lr': 0.01 });
      expect(JSON.parse(trials[3]!.params as string)).toEqual({ features: 'log', 'training.lr': 0.05 });
      // evals at 20, 40, 60 for every trial, each with the sweep metric and its summaries
      const evalSteps = sql.prepare("SELECT trial_id, group_concat(step) AS steps FROM metrics WHERE name = 'rel_l1' GROUP BY trial_id").all() as { steps: string }[];
      expect(evalSteps.map((r) => r.steps.split(',').map(Number).sort((a, b) => a - b))).toEqual(Array(4).fill([20, 40, 60]));
      const names = (sql.prepare('SELECT DISTINCT name FROM metrics ORDER BY name').all() as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(['lr', 'rel_l1', 'rel_l1.max', 'rel_l1.median', 'rel_l1.p90', 'steps_per_s', 'train_loss']);
      // the trial's value is its last recorded sweep metric
      const mismatch = sql
        .prepare("SELECT count(*) AS n FROM trials t JOIN final_metrics f ON f.trial_id = t.id AND f.name = 'rel_l1' WHERE f.value != t.value")
        .get() as { n: number };
      expect(mismatch.n).toBe(0);
      const sweep = sql.prepare('SELECT name, method, metric_name, spec_source FROM sweep').get() as Record<string, string>;
      expect(sweep).toMatchObject({ name: 'smoke', method: 'grid', metric_name: 'rel_l1' });
      expect(sweep.spec_source).toBe(readFileSync(join(REPO, 'sweeps/smoke.yaml'), 'utf8'));
    } finally {
      sql.close();
    }
  });

  it("runs the README's SQL examples against the results DB", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const statements = blocks.flatMap((b) => b.split(';')).map((q) => q.replace(/--.*$/gm, '').trim()).filter(Boolean);
    expect(statements.length).toBeGreaterThanOrEqual(4);
    const sql = new Database(db, { readonly: true });
    try {
      const results = statements.map((q) => sql.prepare(q).all());
      // the 5 best trials, and the best per feature set (raw and log) hold rows on the smoke DB
      expect(results[0]).toHaveLength(4);
      expect(results[1]).toHaveLength(2);
    } finally {
      sql.close();
    }
  });

  it('best --json lists complete trials best first', () => {
    const best = sweepdeck(['best', db, '--json']);
    expect(best.code).toBe(0);
    const trials = JSON.parse(best.stdout) as { number: number; state: string; value: number; params: object; metrics: Record<string, number> }[];
    expect(trials).toHaveLength(4);
    const values = trials.map((t) => t.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(trials[0]!.metrics.rel_l1).toBe(trials[0]!.value);
    expect(trials[0]!.params).toHaveProperty('features');
    const top = JSON.parse(sweepdeck(['best', db, '--json', '--top', '2']).stdout) as unknown[];
    expect(top).toHaveLength(2);
  });

  it('best prints a table, show prints a trial with its curve', () => {
    const table = sweepdeck(['best', db]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/sweep smoke: 4 complete; minimize rel_l1/);
    expect(table.stdout).toMatch(/trial\s+rel_l1/);
    const show = sweepdeck(['show', db, '1']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^trial 1: complete, rel_l1 = /);
    expect(show.stdout).toMatch(/validation curve \(rel_l1\): /);
    const json = JSON.parse(sweepdeck(['show', db, '1', '--json']).stdout) as { number: number; curve: { step: number; name: string }[] };
    expect(json.number).toBe(1);
    expect(json.curve.filter((p) => p.name === 'rel_l1').map((p) => p.step)).toEqual([20, 40, 60]);
    const missing = sweepdeck(['show', db, '99']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/has no trial 99/);
  });

  it('export writes csv and json with flattened params and final metrics', () => {
    const csv = sweepdeck(['export', db, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const [header, ...rows] = csv.stdout.trim().split('\n');
    expect(header).toContain('param.features');
    expect(header).toContain('metric.rel_l1');
    expect(rows).toHaveLength(4);
    const json = JSON.parse(sweepdeck(['export', db, '--format', 'json']).stdout) as Record<string, unknown>[];
    expect(json).toHaveLength(4);
    expect(json[0]).toHaveProperty('param.training.lr');
  });

  it('running the same sweep again on its DB does no trial twice', () => {
    const again = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '2', '--backend', 'wasm']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/4 trials \(4 already done\)/);
    expect(again.stdout).toMatch(/^done in .*: nothing left to run \(every planned trial is done\); best: trial \d/m);
    const sql = new Database(db, { readonly: true });
    expect((sql.prepare('SELECT count(*) AS n FROM trials').get() as { n: number }).n).toBe(4);
    sql.close();
  }, 120_000);

  it('refuses a different sweep on the same DB, leaving it untouched', () => {
    const before = readFileSync(db);
    const other = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--steps', '5', '--backend', 'wasm']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^error: /);
    expect(readFileSync(db).equals(before)).toBe(true);
  });
});

describe('trials that fail', () => {
  it('are recorded with their reason and step while the sweep goes on', () => {
    const dir = tempDir();
    const db = join(dir, 'fail.db');
    // lr 1000 with an exp(exp()) head diverges; [tanh, relu] is valid for depth 2 only
    const smoke = readFileSync(join(REPO, 'sweeps/smoke.yaml'), 'utf8');
    const text = smoke
      .slice(0, smoke.indexOf('parameters:'))
      .concat('parameters:\n  training.lr: { values: [0.01, 1000] }\n  model.depth: { values: [1, 2] }\n  model.activation: { values: [tanh, [tanh, relu]] }\n\n')
      .concat(smoke.slice(smoke.indexOf('problem:')))
      .replace('  activation: tanh\n', '  head: exp(exp(net))\n');
    const file = join(dir, 'fail.yaml');
    writeFileSync(file, text);
    const result = sweepdeck(['run', file, '--db', db, '--workers', '2', '--backend', 'wasm']);
    const sql = new Database(db, { readonly: true });
    const rows = sql.prepare('SELECT number, state, step, error, value FROM trials ORDER BY number').all() as { number: number; state: string; step: number; error: string | null; value: number | null }[];
    sql.close();
    expect(rows).toHaveLength(8);
    const invalid = rows.filter((r) => r.error?.startsWith('invalid trial configuration'));
    expect(invalid.map((r) => r.number)).toEqual([1, 5]);
    expect(invalid[0]!.error).toBe('invalid trial configuration: model.activation: expected one activation or one per hidden layer (1), got 2');
    const diverged = rows.filter((r) => r.error?.startsWith('diverged'));
    expect(diverged.length).toBeGreaterThanOrEqual(1);
    for (const r of diverged) {
      expect(r.state).toBe('failed');
      expect(r.value).toBeNull();
      expect(r.error).toMatch(new RegExp(`^diverged: (training loss|validation rel_l1) is (NaN|Infinity) at step ${r.step}$`));
    }
    expect(rows.some((r) => r.state === 'complete')).toBe(true);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/trial 1 failed at step 0 in .*: invalid trial configuration/);
    const best = sweepdeck(['best', db]);
    expect(best.stdout).toMatch(/failed:\n  trial 1: invalid trial configuration/);
  });
});

describe('a second run on a DB that is being written', () => {
  it('is refused with the writing process named, while readers keep working', async () => {
    const dir = tempDir();
    const db = join(dir, 'busy.db');
    // The showcase without its target, so that it cannot end by itself while the test looks.
    const file = join(dir, 'seed-equation.yaml');
    writeFileSync(file, readFileSync(join(REPO, 'sweeps/seed-equation.yaml'), 'utf8').replace(/, target: [^ }]+/, ''));
    const first = spawn(process.execPath, [CLI, 'run', file, '--db', db, '--steps', '300', '--backend', 'wasm'], { cwd: REPO });
    await new Promise<void>((resolve) => first.stdout.on('data', (chunk: Buffer) => /started on worker/.test(chunk.toString()) && resolve()));
    const second = sweepdeck(['run', file, '--db', db, '--steps', '300', '--backend', 'wasm']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`is being written by another sweepdeck process \\(pid ${first.pid} `));
    const reader = sweepdeck(['best', db]);
    expect(reader.code).toBe(0);
    expect(reader.stdout).toMatch(/^sweep seed-equation: .*running/);
    first.kill('SIGINT');
    expect(await new Promise((resolve) => first.on('exit', resolve))).toBe(130);
  }, 120_000);
});

describe('a closed output pipe', () => {
  it('(sweepdeck run … | head -1) does not stop the sweep', async () => {
    const db = join(tempDir(), 'pipe.db');
    const child = spawn(process.execPath, [CLI, 'run', 'sweeps/smoke.yaml', '--db', db, '--backend', 'wasm'], { cwd: REPO });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const sql = new Database(db, { readonly: true });
    expect((sql.prepare("SELECT count(*) AS n FROM trials WHERE state = 'complete'").get() as { n: number }).n).toBe(4);
    sql.close();
  }, 120_000);
});

describe('Ctrl-C during a run', () => {
  it('stops dispatching, puts running trials back in the queue, exits 130; running again finishes the sweep', async () => {
    const dir = tempDir();
    const db = join(dir, 'int.db');
    // The showcase, shortened: 24 trials of 300 steps, without its target (so all 24 run).
    const file = join(dir, 'seed-equation.yaml');
    writeFileSync(file, readFileSync(join(REPO, 'sweeps/seed-equation.yaml'), 'utf8').replace(/run_cap: \d+/, 'run_cap: 24').replace(/, target: [^ }]+/, ''));
    const child = spawn(process.execPath, [CLI, 'run', file, '--db', db, '--steps', '300', '--backend', 'wasm'], { cwd: REPO });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // interrupt once the first trial has finished and others are running
      if (/\] trial \d+ (complete|pruned)/.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stdout).toMatch(/interrupted at step \d+; it goes back to the queue/);
    expect(stdout).toMatch(/^stopped in /m);
    const sql = new Database(db, { readonly: true });
    const states = sql.prepare('SELECT state, count(*) AS n FROM trials GROUP BY state').all() as { state: string; n: number }[];
    expect(sql.pragma('integrity_check', { simple: true })).toBe('ok');
    sql.close();
    expect(states.find((s) => s.state === 'running')).toBeUndefined();
    expect(states.find((s) => s.state === 'queued')?.n).toBeGreaterThanOrEqual(1);
    // complete, pruned (ASHA stops trials at step 200) and failed trials are all done
    const done = states.filter((s) => ['complete', 'pruned', 'failed'].includes(s.state)).reduce((n, s) => n + s.n, 0);
    expect(done).toBeGreaterThanOrEqual(1);

    const again = sweepdeck(['run', file, '--db', db, '--steps', '300', '--backend', 'wasm'], { timeoutMs: 300_000 });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`(${done} already done)`);
    const after = new Database(db, { readonly: true });
    const numbers = (after.prepare("SELECT number FROM trials WHERE state IN ('complete', 'pruned', 'failed') ORDER BY number").all() as { number: number }[]).map((r) => r.number);
    after.close();
    expect(numbers).toEqual(Array.from({ length: 24 }, (_, i) => i));
  }, 400_000);
});

describe('the tensorflow backend path', () => {
  // A stand-in @tensorflow/tfjs-node-gpu (tfjs's cpu kernels registered as "tensorflow") on NODE_PATH:
  // the real package cannot be installed here, but everything sweepdeck does around it runs.
  const env = { NODE_PATH: [join(REPO, 'test/fixtures/tfjs-node-stub'), join(REPO, 'node_modules')].join(':') };

  it('auto picks tensorflow when it loads, trains on one worker, and records the backend', () => {
    const db = join(tempDir(), 'tf.db');
    const result = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '2'], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/backend tensorflow: using 1 worker instead of 2/);
    expect(result.stdout).toMatch(/^sweep smoke: grid, 4 trials, 1 worker \(packs of up to 4 trials\), backend tensorflow/);
    const sql = new Database(db, { readonly: true });
    const rows = sql.prepare('SELECT DISTINCT backend, state FROM trials').all();
    sql.close();
    expect(rows).toEqual([{ backend: 'tensorflow', state: 'complete' }]);
  });

  it.runIf(!tensorflowInstalled())('without the package, auto quietly uses wasm', () => {
    const db = join(tempDir(), 'auto.db');
    const result = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '1', '--steps', '5']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/backend wasm/);
  });

  it.runIf(!tensorflowInstalled())('without the package, --backend tensorflow is refused and nothing is written', () => {
    const db = join(tempDir(), 'x.db');
    const refused = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--backend', 'tensorflow']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/backend tensorflow is not available: @tensorflow\/tfjs-node-gpu is not installed/);
    expect(existsSync(db)).toBe(false);
    // with the default DB path, not even the results folder is created
    const elsewhere = tempDir();
    expect(sweepdeck(['run', join(REPO, 'sweeps/smoke.yaml'), '--backend', 'tensorflow'], { cwd: elsewhere }).code).toBe(2);
    expect(existsSync(join(elsewhere, 'results'))).toBe(false);
  });
});

describe('bad input through the CLI', () => {
  it('a sweep file mistake: one message, exit 2, no DB written', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    const db = join(dir, 'bad.db');
    const text = readFileSync(join(REPO, 'sweeps/smoke.yaml'), 'utf8').replace('  width: 8', '  widht: 8');
    writeFileSync(file, text);
    const result = sweepdeck(['run', file, '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/bad\.yaml:\d+:3: model\.widht: unknown key "widht" \(did you mean "width"\?\)/);
    expect(existsSync(db)).toBe(false);
    expect(existsSync(join(REPO, 'results/smoke.db-wal'))).toBe(false);
  });

  it('a DB path that cannot be written: exit 2, nothing created', () => {
    const dir = tempDir();
    const result = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', join(dir, 'no/such/dir/x.db')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot write the results DB/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('bad flags: exit 2', () => {
    expect(sweepdeck(['run', 'sweeps/smoke.yaml', '--workers', '0']).code).toBe(2);
    expect(sweepdeck(['run', 'sweeps/smoke.yaml', '--backend', 'gpu']).code).toBe(2);
    expect(sweepdeck(['frobnicate']).code).toBe(2);
    expect(sweepdeck(['best', join(tempDir(), 'missing.db')]).code).toBe(2);
  });

  it('validate --json prints the plan', () => {
    const result = sweepdeck(['validate', 'sweeps/seed-equation.yaml', '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { trials: number; method: string };
    expect(plan.method).toBe('tpe');
    expect(plan.trials).toBe(600);
    expect(JSON.parse(sweepdeck(['validate', 'sweeps/smoke.yaml', '--json']).stdout).trials).toBe(4);
  });
});
