// Trial packing through the real CLI: a packed sweep records exactly what the same sweep records
// unpacked; a pack killed with -9 keeps the trials that had already ended in it, and the run
// after it trains only the rest; bad `pack` settings are refused like any other bad input.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO, sweepdeck } from '../helpers/cli.js';
import { tempDir, writeSweep } from '../helpers/sweep-text.js';

const GRID = `name: packed
method: grid
metric: { name: rel_l1 }
parameters:
  training.lr: { values: [0.002, 0.005, 0.01, 0.02] }
  training.optimizer: { values: [adam, rmsprop] }
  training.seed: { values: [1, 2] }
problem:
  variables:
    a: { min: 1, max: 2 }
    b: { min: 1, max: 3 }
  target: a * b + a / b
  scale: a * b + a / b
  validation: { size: 400 }
features:
  raw: [a, b]
model: { depth: 1, width: 8, activation: tanh }
training: { batch_size: 64, steps: 200, eval_every: 50 }
`;

/** The export without what depends on timing or placement (durations, times, steps/s, worker). */
function results(db: string): unknown[] {
  const sql = new Database(db, { readonly: true });
  try {
    const trials = sql.prepare('SELECT number, state, value, params, step, error FROM trials ORDER BY number').all();
    const metrics = sql
      .prepare("SELECT t.number, m.step, m.name, m.value FROM metrics m JOIN trials t ON t.id = m.trial_id WHERE m.name != 'steps_per_s' ORDER BY t.number, m.step, m.name")
      .all();
    return [trials, metrics];
  } finally {
    sql.close();
  }
}

describe('sweeps with packing', () => {
  it('record exactly what the same sweep records unpacked, and say they pack', () => {
    const file = writeSweep(GRID);
    const dir = tempDir();
    const packed = sweepdeck(['run', file, '--no-tui', '--pack', '8', '--db', join(dir, 'packed.db')]);
    expect(packed.code).toBe(0);
    expect(packed.stdout).toMatch(/packs of up to 8 trials/);
    const alone = sweepdeck(['run', file, '--no-tui', '--pack', 'off', '--db', join(dir, 'alone.db')]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).not.toMatch(/packs of/);
    const [trials] = results(join(dir, 'packed.db')) as [{ state: string }[]];
    expect(trials).toHaveLength(16);
    expect(trials.every((t) => t.state === 'complete')).toBe(true);
    expect(results(join(dir, 'packed.db'))).toEqual(results(join(dir, 'alone.db')));
    // Models kept from packed trials predict like the unpacked ones.
    const input = join(dir, 'input.csv');
    writeFileSync(input, 'a,b\n1.5,2\n1.1,2.9\n');
    const predictOf = (db: string) => sweepdeck(['predict', join(dir, db), '--input', input]);
    expect(predictOf('packed.db').code).toBe(0);
    expect(predictOf('packed.db').stdout).toBe(predictOf('alone.db').stdout);
  });

  it('killed with -9 mid-pack: the trials that ended in the pack are kept, and the next run trains only the others', async () => {
    // One pack of 8 on one worker: 4 short trials (the even numbers: steps varies fastest) end early while 4 long ones go on.
    const file = writeSweep(
      GRID.replace('  training.optimizer: { values: [adam, rmsprop] }\n', '').replace('training.seed: { values: [1, 2] }', 'training.steps: { values: [100, 6000] }'),
    );
    const db = join(tempDir(), 'killed.db');
    const child = spawn(process.execPath, [CLI, 'run', file, '--no-tui', '--pack', '8', '--workers', '1', '--db', db], { cwd: REPO });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? 137 : code)));
    const completeNumbers = (): number[] => {
      if (!existsSync(db)) return [];
      const sql = new Database(db, { readonly: true, fileMustExist: true });
      try {
        if (!sql.prepare("SELECT 1 FROM sqlite_master WHERE name = 'trials'").get()) return [];
        return (sql.prepare("SELECT number FROM trials WHERE state = 'complete' ORDER BY number").all() as { number: number }[]).map((r) => r.number);
      } catch {
        return [];
      } finally {
        sql.close();
      }
    };
    const deadline = Date.now() + 60_000;
    while (completeNumbers().length < 4) {
      if (Date.now() > deadline) throw new Error('the short trials did not complete');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    expect(await exit).toBe(137);
    // The short trials (steps 100: the even numbers of the grid) ended inside the pack and are on disk; the long ones were still running.
    const kept = completeNumbers();
    expect(kept).toEqual([0, 2, 4, 6]);

    const again = sweepdeck(['run', file, '--no-tui', '--pack', '8', '--workers', '1', '--db', db], { timeoutMs: 240_000 });
    expect(again.code).toBe(0);
    const restarted = [...again.stdout.matchAll(/trial (\d+) started/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(restarted).toEqual([1, 3, 5, 7]);
    expect(completeNumbers()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a bad pack setting is refused with the place and what was expected, exit 2, nothing written', () => {
    const dir = tempDir();
    const file = writeSweep(GRID.replace('method: grid', 'method: grid\npack: 100'), 'bad.yaml', dir);
    const fromFile = sweepdeck(['run', file, '--no-tui', '--db', join(dir, 'a.db')]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toMatch(/bad\.yaml.*pack/s);
    expect(fromFile.stderr).toMatch(/bad\.yaml:\d+:\d+: pack: expected a number ≤ 64, got 100/);
    const word = writeSweep(GRID.replace('method: grid', 'method: grid\npack: sometimes'), 'word.yaml', dir);
    const fromWord = sweepdeck(['run', word, '--no-tui', '--db', join(dir, 'a.db')]);
    expect(fromWord.code).toBe(2);
    expect(fromWord.stderr).toMatch(/word\.yaml:\d+:\d+: pack: expected auto, off, or a whole number of trials per pack from 1 to 64/);
    const good = writeSweep(GRID, 'good.yaml', dir);
    const fromFlag = sweepdeck(['run', good, '--no-tui', '--pack', 'sometimes', '--db', join(dir, 'b.db')]);
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toMatch(/--pack expects auto, off or a whole number/);
    expect(existsSync(join(dir, 'a.db'))).toBe(false);
    expect(existsSync(join(dir, 'b.db'))).toBe(false);
  });
});
