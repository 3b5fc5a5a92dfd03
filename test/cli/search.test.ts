// Search through the real CLI: pruning records pruned trials and spends fewer steps than the
// same sweep without it; metric.target stops dispatching once reached; a 1-worker TPE sweep is
// reproducible, interrupted or not.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';

/** 16 trials whose learning rate spans three decades: some learn y = x·z well, many do not. */
const SWEEP = `name: prune
method: random
run_cap: 16
metric: { name: rel_l1, goal: minimize }
seed: 11
parameters:
  training.lr: { distribution: log_uniform, min: 0.0001, max: 0.1 }
  features: { values: [raw, log] }
problem:
  variables:
    x: { min: 1, max: 10 }
    z: { distribution: log_uniform, min: 0.1, max: 10 }
  target: x * z
  scale: x * z
  validation: { size: 256 }
features:
  raw: [x, z]
  log: [log(x), log(z)]
model: { depth: 1, width: 8, activation: tanh }
training: { batch_size: 64, steps: 360, eval_every: 40 }
`;

interface Row {
  number: number;
  state: string;
  value: number | null;
  step: number;
  params: string;
}

function trials(db: string): Row[] {
  const sql = new Database(db, { readonly: true });
  try {
    return sql.prepare('SELECT number, state, value, step, params FROM trials ORDER BY number').all() as Row[];
  } finally {
    sql.close();
  }
}

function run(text: string, name: string, args: string[] = []): { db: string; stdout: string; rows: Row[] } {
  const dir = tempDir();
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  const db = join(dir, `${name}.db`);
  const result = sweepdeck(['run', file, '--db', db, '--backend', 'wasm', '--no-tui', '--workers', '2', ...args], { timeoutMs: 180_000 });
  expect(result.code, result.stderr).toBe(0);
  return { db, stdout: result.stdout, rows: trials(db) };
}

describe('early_terminate through the CLI', () => {
  it('records pruned trials with their step and value, and spends fewer steps than the same sweep without pruning', () => {
    const plain = run(SWEEP, 'plain');
    const pruned = run(SWEEP.replace('seed: 11', 'seed: 11\nearly_terminate: { type: asha, min_steps: 40, eta: 3 }'), 'asha');
    expect(plain.rows.every((r) => r.state === 'complete')).toBe(true);
    const prunedRows = pruned.rows.filter((r) => r.state === 'pruned');
    expect(prunedRows.length).toBeGreaterThanOrEqual(3);
    for (const r of prunedRows) {
      // ASHA's rungs for 360 steps: 40 and 120
      expect([40, 120]).toContain(r.step);
      expect(typeof r.value).toBe('number');
    }
    expect(pruned.stdout).toMatch(/trial \d+ pruned at step (40|120) in .*: asha: [\d.e+-]+ at step (40|120) is not in the top \d+ of \d+ there \(needed [\d.e+-]+ or better\)/);
    const steps = (rows: Row[]) => rows.reduce((sum, r) => sum + r.step, 0);
    expect(steps(pruned.rows)).toBeLessThan(steps(plain.rows) * 0.8);
    // The same parameters were tried (random search does not depend on results)...
    expect(pruned.rows.map((r) => r.params)).toEqual(plain.rows.map((r) => r.params));
    // ...and the best trial survives pruning: a trial that ends best is never behind at a rung here.
    const best = (rows: Row[]) => Math.min(...rows.filter((r) => r.state === 'complete').map((r) => r.value!));
    expect(best(pruned.rows)).toBeLessThanOrEqual(best(plain.rows) * 1.5);
  }, 240_000);
});

describe('metric.target', () => {
  it('stops starting trials once a complete trial reaches it; the ones running finish', () => {
    const result = run(SWEEP.replace('metric: { name: rel_l1, goal: minimize }', 'metric: { name: rel_l1, goal: minimize, target: 0.5 }'), 'target', ['--workers', '1', '--pack', 'off']);
    const complete = result.rows.filter((r) => r.state === 'complete');
    expect(result.stdout).toMatch(/trial \d+ reached the target \([\d.e-]+, target 0\.5\): no new trials; running trials finish/);
    const reachedAt = complete.findIndex((r) => r.value! <= 0.5);
    expect(reachedAt).toBeGreaterThanOrEqual(0);
    // With one worker, trials alone, nothing else was running: the sweep ends with the trial that reached it.
    expect(result.rows).toHaveLength(reachedAt + 1);
    expect(result.rows.length).toBeLessThan(16);
    // The goal is met: the sweep is done, with nothing to resume.
    expect(result.stdout).toMatch(/^done in /m);
    expect(result.stdout).not.toMatch(/continue with/);
  }, 240_000);
});

describe('a 1-worker TPE sweep', () => {
  it('is reproducible, also when it is stopped by a time budget and resumed', () => {
    const tpe = SWEEP.replace('method: random', 'method: tpe\ntpe: { startup_trials: 4 }').replace('run_cap: 16', 'run_cap: 10');
    const started = Date.now();
    const whole = run(tpe, 'whole', ['--workers', '1']);
    // Half the uninterrupted run's wall time: stops part-way on a fast machine and on a slow one.
    const budget = `${(((Date.now() - started) / 1000) * 0.5).toFixed(2)}s`;
    const dir = tempDir();
    const file = join(dir, 'parts.yaml');
    writeFileSync(file, tpe);
    const db = join(dir, 'parts.db');
    const first = sweepdeck(['run', file, '--db', db, '--backend', 'wasm', '--no-tui', '--workers', '1', '--time-budget', budget]);
    expect(first.code).toBe(0);
    expect(trials(db).filter((r) => r.state === 'complete').length).toBeLessThan(10);
    const rest = sweepdeck(['resume', db, '--backend', 'wasm', '--no-tui', '--workers', '1']);
    expect(rest.code).toBe(0);
    const parts = trials(db);
    expect(parts.map((r) => [r.number, r.state, r.params, r.value])).toEqual(whole.rows.map((r) => [r.number, r.state, r.params, r.value]));
  }, 240_000);
});
