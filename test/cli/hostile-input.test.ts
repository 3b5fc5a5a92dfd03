// Issue 15, one test (or a few) per class of hostile or careless input, through the real CLI:
// every input ends in a result or in one clear message with exit 2, never a stack trace, never
// exhausted memory, never a changed or lost file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CLI, sweepdeck } from '../helpers/cli.js';
import { VALID_SWEEP, tempDir } from '../helpers/sweep-text.js';
import { startDeadline } from '../../src/run/stop-rules.js';
import { estimateTrialMemory, workersThatFit } from '../../src/train/memory-estimate.js';
import { loadSweepText } from '../../src/spec/load.js';

const dir = tempDir('sweepdeck-hostile-');
const sweepFile = join(dir, 'tiny.yaml');
const db = join(dir, 'tiny.db');
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const write = (name: string, text: string | Buffer) => {
  const file = join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const variant = (name: string, from: string, to: string) => {
  expect(VALID_SWEEP).toContain(from);
  return write(name, VALID_SWEEP.replace(from, to));
};

/** Exit 2, one message line starting "error:", no stack trace. */
function expectRefused(result: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^error: /);
  expect(result.code).toBe(2);
}

beforeAll(() => {
  fs.writeFileSync(sweepFile, VALID_SWEEP);
  const result = sweepdeck(['run', sweepFile, '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui'], { timeoutMs: 240_000 });
  if (result.code !== 0) throw new Error(`the fixture sweep failed: ${result.stderr}`);
}, 240_000);

describe('1. output paths that would destroy inputs', { timeout: 60_000 }, () => {
  it('export --out the DB itself is refused and the DB stays byte for byte', () => {
    const before = sha(db);
    expectRefused(sweepdeck(['export', db, '--format', 'csv', '--out', db]), /--out .*tiny\.db is .*tiny\.db, which this command reads/);
    expectRefused(sweepdeck(['export', db, '--format', 'csv', '--out', db, '--force']), /which this command reads/);
    expect(sha(db)).toBe(before);
    expect(sweepdeck(['best', db]).code).toBe(0);
  });

  it('an existing file is replaced only with --force; a directory is refused (it was EISDIR with a stack)', () => {
    const out = write('trials.csv', 'keep me');
    expectRefused(sweepdeck(['export', db, '--format', 'csv', '--out', out]), /already exists; give a new path, or add --force/);
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me');
    expect(sweepdeck(['export', db, '--format', 'csv', '--out', out, '--force']).code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^number,state,value,/);
    expectRefused(sweepdeck(['export', db, '--format', 'json', '--out', tempDir()]), /is a directory; give the path of a file/);
  });

  it('export-model never replaces a directory holding the DB, and a non-empty one only with --force', () => {
    const before = sha(db);
    expectRefused(sweepdeck(['export-model', db, '--out', dir, '--force']), /holds .*tiny\.db, which this command reads/);
    expect(sha(db)).toBe(before);
    const out = join(tempDir(), 'model');
    expect(sweepdeck(['export-model', db, '--out', out]).code).toBe(0);
    expectRefused(sweepdeck(['export-model', db, '--out', out]), /is not empty .*add --force/);
    expect(sweepdeck(['export-model', db, '--out', out, '--force']).code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['model.json', 'sweepdeck.json', 'weights.bin']);
  });
});

describe('2. sizes that cannot fit', { timeout: 120_000 }, () => {
  it('a fixed training set of 2e8 samples is refused at load with the estimate', () => {
    const file = variant('huge-train.yaml', '  validation: { size: 128 }', '  train: { size: 200000000 }\n  validation: { size: 128 }');
    expectRefused(sweepdeck(['validate', file]), /problem\.train\.size: one trial would need about [\d.]+ GiB \(a fixed training set of 200000000 samples: [\d.]+ GiB.*\), more than the/);
  });

  it('a run_cap of 1e12 and a grid of 4e9 trials are plans, not arrays: both run', () => {
    const capped = variant('cap.yaml', 'method: grid', 'method: random\nrun_cap: 1000000000000');
    const result = sweepdeck(['run', capped, '--db', join(dir, 'cap.db'), '--workers', '1', '--no-tui', '--time-budget', '3s'], { timeoutMs: 60_000 });
    expect(result.stderr).not.toMatch(/Invalid array length|\n\s+at /);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/random, 1000000000000 trials/);
    const grid = variant('grid.yaml', '  training.lr: { values: [0.01, 0.1] }', '  training.lr: { values: [0.01, 0.1] }\n  training.seed: { min: 1, max: 10000 }\n  problem.train.seed: { min: 1, max: 10000 }\n  model.width: { min: 1, max: 10 }');
    const validated = sweepdeck(['validate', grid]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/grid search, 4000000000 trials/);
  });

  it('10 000 workers are capped at the cores, and it says so', () => {
    const result = sweepdeck(['run', sweepFile, '--db', join(dir, 'many-workers.db'), '--workers', '10000', '--no-tui'], { timeoutMs: 120_000 });
    expect(result.stderr).toMatch(/--workers 10000: using \d+, the number of cores/);
    expect(result.code).toBe(0);
  });

  it('/dev/zero, a binary file or a 2 MB file as a sweep file or CSV is refused after reading at most the limit', () => {
    expectRefused(sweepdeck(['validate', '/dev/zero']), /cannot read the sweep file: it holds NUL bytes/);
    const big = write('big.yaml', `${VALID_SWEEP}# ${'x'.repeat(2 << 20)}\n`);
    expectRefused(sweepdeck(['validate', big]), /cannot read the sweep file: it is larger than 1 MiB/);
    expectRefused(sweepdeck(['predict', db, '--input', '/dev/zero']), /cannot read --input \/dev\/zero: it holds NUL bytes/);
  });

  it('a values list of more than 10 000 values is refused at its line (a million took minutes and GBs)', () => {
    const file = variant('many-values.yaml', 'values: [0.01, 0.1]', `values: [${Array.from({ length: 10_001 }, (_, i) => 0.001 + i * 1e-6).join(', ')}]`);
    expectRefused(sweepdeck(['validate', file]), /many-values\.yaml:\d+:\d+: parameters\.training\.lr\.values: expected at most 10000 values; for more, give a range/);
  });

  it('the memory estimate grows with what a trial holds, and workers are limited to what fits', () => {
    const small = estimateTrialMemory(loadSweepText('s.yaml', VALID_SWEEP).spec);
    const wide = estimateTrialMemory(loadSweepText('w.yaml', VALID_SWEEP.replace('width: 4', 'width: 4096').replace('depth: 1', 'depth: 3')).spec);
    expect(wide.bytes).toBeGreaterThan(small.bytes + 100 * 2 ** 20);
    expect(workersThatFit(3 * 2 ** 30, 8 * 2 ** 30)).toBe(2);
    expect(workersThatFit(20 * 2 ** 30, 8 * 2 ** 30)).toBe(1);
  });
});

describe('3. damaged DBs', { timeout: 120_000 }, () => {
  /** A copy of the fixture DB with the cell pointers of the metrics table's root page overwritten. */
  function damagedCopy(): string {
    const copy = join(tempDir(), 'damaged.db');
    fs.copyFileSync(db, copy);
    const sql = new Database(copy, { readonly: true });
    const page = sql.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'metrics'").pluck().get() as number;
    const pageSize = sql.pragma('page_size', { simple: true }) as number;
    sql.close();
    const fd = fs.openSync(copy, 'r+');
    fs.writeSync(fd, Buffer.alloc(40, 0xff), 0, 40, (page - 1) * pageSize + 8);
    fs.closeSync(fd);
    return copy;
  }

  it('run refuses to write into a damaged DB and leaves it byte for byte', () => {
    const damaged = damagedCopy();
    const before = sha(damaged);
    expectRefused(sweepdeck(['run', sweepFile, '--db', damaged, '--no-tui']), /damaged\.db is damaged: SQLite's quick_check finds damage in table metrics .*nothing was written to it; to salvage .*\.recover/);
    expect(sha(damaged)).toBe(before);
    expect(fs.existsSync(`${damaged}-wal`)).toBe(false);
  });

  it('best and export still show the trials, then name the damaged table (exit 2)', () => {
    const damaged = damagedCopy();
    const best = sweepdeck(['best', damaged]);
    expect(best.stdout).toMatch(/sweep tiny: 4 complete/);
    expect(best.stdout).toMatch(/^1\s+\d+\s+[\d.]+/m);
    expectRefused(best, /is damaged: SQLite's quick_check finds damage in table metrics \(the metric curves\); what could be read is shown above/);
    const exported = sweepdeck(['export', damaged, '--format', 'csv']);
    expect(exported.stdout.split('\n').filter((line) => /^\d+,complete,/.test(line))).toHaveLength(4);
    expectRefused(exported, /table metrics/);
  });

  it('explain still explains the kept model, then names the damaged table (exit 2)', () => {
    const explained = sweepdeck(['explain', damagedCopy()]);
    expect(explained.stdout).toMatch(/^trial \d+ of sweep tiny/m);
    expectRefused(explained, /is damaged: SQLite's quick_check finds damage in table metrics/);
  });
});

describe('4. timers and numbers at their limits', { timeout: 120_000 }, () => {
  it('a deadline beyond the 32-bit timer fires when due, not at once', () => {
    vi.useFakeTimers();
    try {
      const expired = vi.fn();
      startDeadline(25 * 86400, expired);
      vi.advanceTimersByTime(1000);
      expect(expired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(24 * 86400 * 1000);
      expect(expired).not.toHaveBeenCalled();
      vi.advanceTimersByTime(86400 * 1000);
      expect(expired).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('--time-budget 25d runs the sweep to its end; beyond a year it is refused', () => {
    const result = sweepdeck(['run', sweepFile, '--db', join(dir, 'budget.db'), '--workers', '1', '--no-tui', '--time-budget', '25d'], { timeoutMs: 120_000 });
    expect(result.stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(result.stdout).toMatch(/done in .*: 4 complete/);
    expect(result.code).toBe(0);
    expectRefused(sweepdeck(['run', sweepFile, '--time-budget', '400d']), /--time-budget expects at most 8784h/);
  });

  it('.inf, .nan and 1e400 in a sweep file are refused where they stand', () => {
    expectRefused(sweepdeck(['validate', variant('inf.yaml', 'values: [0.01, 0.1]', 'values: [0.01, .inf]')]), /inf\.yaml:\d+:\d+: parameters\.training\.lr\.values\.1: expected a finite number, got infinity/);
    expectRefused(sweepdeck(['validate', variant('big-number.yaml', 'x1: { min: 1, max: 10 }', 'x1: { min: 1, max: 1e400 }')]), /problem\.variables\.x1\.max: expected a finite number/);
    expectRefused(sweepdeck(['validate', variant('nan.yaml', 'steps: 10', 'steps: .nan')]), /training\.steps: expected a finite number, got NaN/);
    expectRefused(sweepdeck(['validate', variant('huge-steps.yaml', 'steps: 10', 'steps: 1e20')]), /training\.steps: expected a number ≤ 9007199254740991/);
  });

  it('flag numbers beyond what SQLite or a timer takes are refused as usage errors', () => {
    expectRefused(sweepdeck(['best', db, '--top', '99999999999999999999']), /--top expects a whole number from 1 to 9007199254740991/);
    expectRefused(sweepdeck(['best', db, '--top', '0x10']), /--top expects a whole number ≥ 1, got "0x10"/);
    expectRefused(sweepdeck(['show', db, '1e20']), /trial number expects a whole number ≥ 0/);
    expectRefused(sweepdeck(['watch', db, '--interval', '1e10']), /--interval expects a whole number from 1 to 3600000/);
    expect(sweepdeck(['best', db, '--top', '1e12']).code).toBe(0);
  });
});

describe('5. raw library errors become one sentence', { timeout: 120_000 }, () => {
  it('a YAML alias bomb and YAML nested too deeply', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 6; i++) levels.push(`${'abcdef'[i]}: &${'abcdef'[i]} [${Array(9).fill(`*${'abcdef'[i - 1]}`).join(', ')}]`);
    expectRefused(sweepdeck(['validate', write('bomb.yaml', `${levels.join('\n')}\n`)]), /its aliases \(\*name\) expand into too many copies/);
    expectRefused(sweepdeck(['validate', write('deep.yaml', `a: ${'['.repeat(20000)}${']'.repeat(20000)}\n`)]), /bomb|deep\.yaml/);
  });

  it('/dev/null as the results DB', () => {
    expectRefused(sweepdeck(['run', sweepFile, '--db', '/dev/null', '--no-tui']), /cannot write the results DB \/dev\/null: it is not a plain file/);
    expectRefused(sweepdeck(['best', '/dev/null']), /not a sweepdeck results DB/);
  });

  it('predict on 200 000 rows prints them all (the table printer overflowed the stack beyond ~150 000)', () => {
    const lines = ['x1,x2'];
    for (let i = 0; i < 200_000; i++) lines.push(`${2 + (i % 7)},${1 + (i % 3) * 0.5}`);
    const csv = write('many.csv', `${lines.join('\n')}\n`);
    // The output is about 12 MB: more than spawnSync keeps by default.
    const child = spawnSync(process.execPath, [CLI, 'predict', db, '--input', csv], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
    const result = { code: child.status, stdout: child.stdout, stderr: child.stderr };
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^200000 rows from /m);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^200001\s/);
  }, 120_000);
});

describe('6. names that collide with the JavaScript object model', { timeout: 120_000 }, () => {
  it.each([
    ['a feature set named constructor', 'log: [log(x1), log(x2)]', 'log: [log(x1), log(x2)]\n  constructor: [x1, x2]', /features\.constructor: "constructor" cannot be used as a name here/],
    ['a feature set named __proto__', 'log: [log(x1), log(x2)]', 'log: [log(x1), log(x2)]\n  __proto__: [x1, x2]', /features\.__proto__: "__proto__" cannot be used as a name/],
    ['a metric named toString', '  validation: { size: 128 }', '  metrics: { toString: abs(pred - target) }\n  validation: { size: 128 }', /problem\.metrics\.toString: "toString" cannot be used/],
    ['a variable named valueOf', 'x2: { min: 1, max: x1 }', 'x2: { min: 1, max: x1 }\n    valueOf: { min: 1, max: 2 }', /problem\.variables\.valueOf: "valueOf" cannot be used/],
    ['the sweep metric named toString with no such metric', 'name: rel_l1', 'name: toString', /metric\.name: expected the name of a problem metric \(rel_l1\); got "toString"/],
  ])('%s is refused with a reason', (_what, from, to, message) => {
    expectRefused(sweepdeck(['validate', variant('names.yaml', from, to)]), message);
  });
});
