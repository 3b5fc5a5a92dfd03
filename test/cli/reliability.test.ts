// Fault injection through the real CLI: kill -9 at random moments then resume, trials that throw,
// crash their worker or run out of memory, --max-failures, Ctrl-C twice, a time budget, a disk
// that fills up and a DB that turns read-only while a sweep writes it.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO, sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { Rng } from '../../src/rng.js';

/** 10 random-search trials of 240 steps each: a sweep that takes a few seconds, long enough to be killed mid-way. */
const KILL_SWEEP = `name: kill
method: random
run_cap: 10
metric: { name: rel_l1, goal: minimize }
seed: 3
parameters:
  features: { values: [raw, log] }
  training.lr: { distribution: log_uniform, min: 0.003, max: 0.1 }
  model.width: { values: [4, 8] }
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
model: { depth: 1, activation: tanh }
training: { batch_size: 64, steps: 240, eval_every: 40 }
`;
const EVAL_STEPS = [40, 80, 120, 160, 200, 240];

interface Running {
  child: ChildProcess;
  stdout: () => string;
  exit: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal === 'SIGKILL' ? 137 : code)));
  return { child, stdout: () => out, exit };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface TrialRow {
  id: number;
  number: number;
  state: string;
  value: number | null;
  params: string;
  step: number | null;
}

function readTrials(db: string): TrialRow[] {
  const sql = new Database(db, { readonly: true });
  try {
    return sql.prepare('SELECT id, number, state, value, params, step FROM trials ORDER BY number').all() as TrialRow[];
  } finally {
    sql.close();
  }
}

/** The invariants that must hold after any crash: a sound file, each trial once, every complete trial whole. */
function checkConsistent(db: string): TrialRow[] {
  const sql = new Database(db, { readonly: true });
  try {
    expect(sql.pragma('integrity_check', { simple: true })).toBe('ok');
    // Killed between creating the file and committing the schema: an empty file, which the next run takes as new.
    if (!sql.prepare("SELECT 1 FROM sqlite_master WHERE name = 'trials'").get()) return [];
    const trials = sql.prepare('SELECT id, number, state, value, params, step FROM trials ORDER BY number').all() as TrialRow[];
    expect(new Set(trials.map((t) => t.number)).size).toBe(trials.length);
    const curve = sql.prepare("SELECT step, value FROM metrics WHERE trial_id = ? AND name = 'rel_l1' ORDER BY step");
    for (const t of trials.filter((t) => t.state === 'complete')) {
      const points = curve.all(t.id) as { step: number; value: number }[];
      expect(points.map((p) => p.step)).toEqual(EVAL_STEPS);
      expect(points.at(-1)!.value).toBe(t.value);
      expect(t.step).toBe(240);
    }
    return trials;
  } finally {
    sql.close();
  }
}

describe('kill -9 at random moments, then running the sweep again', () => {
  it('never corrupts the DB or loses a completed trial, and ends with the same trials as an uninterrupted run', async () => {
    const dir = tempDir();
    const file = join(dir, 'kill.yaml');
    writeFileSync(file, KILL_SWEEP);
    const referenceStarted = performance.now();
    const reference = sweepdeck(['run', file, '--db', join(dir, 'reference.db'), '--workers', '2', '--backend', 'wasm', '--no-tui']);
    expect(reference.code).toBe(0);
    // The kill window grows with the rounds in steps of a tenth of the uninterrupted run's wall time,
    // so on a slow or busy machine late rounds still live long enough to finish.
    const referenceMs = performance.now() - referenceStarted;
    const expected = readTrials(join(dir, 'reference.db'));

    const db = join(dir, 'killed.db');
    const rng = new Rng(20261125);
    let kills = 0;
    let finished = false;
    for (let round = 0; round < 40 && !finished; round++) {
      const run = start(['run', file, '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui']);
      // Early rounds die while starting up or mid-trial; a run that lives long enough finishes.
      const delay = rng.uniform(150, 250 + Math.max(150, referenceMs / 10) * round);
      const timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
      const code = await run.exit;
      clearTimeout(timer);
      if (code === 137) kills++;
      else {
        expect(code, run.stdout()).toBe(0);
        finished = true;
      }
      // A run killed while starting up may not have created the DB yet.
      if (existsSync(db)) checkConsistent(db);
    }
    expect(finished).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(3);

    const trials = checkConsistent(db);
    expect(trials.map((t) => t.number)).toEqual(expected.map((t) => t.number));
    // Same parameters and, training being deterministic per seed, the same results.
    expect(trials.map((t) => [t.state, t.params, t.value])).toEqual(expected.map((t) => [t.state, t.params, t.value]));
  }, 300_000);
});

describe('trials that throw, crash their worker, or run out of memory', () => {
  it('are recorded failed with their reason while the sweep goes on, on replaced worker threads', () => {
    const db = join(tempDir(), 'faults.db');
    const run = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui'], {
      env: { SWEEPDECK_FAULTS: '1:throw@20,2:crash@40' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/trial 1 failed at step 20 in .*: trial threw: injected fault at step 20/);
    expect(run.stdout).toMatch(/trial 2 failed at step 20 in .*: worker crashed: /);
    expect(run.stdout).toMatch(/^done in .*: 2 complete, 0 pruned, 2 failed/m);
    const trials = checkConsistentSmoke(db);
    expect(trials.map((t) => t.state)).toEqual(['complete', 'failed', 'failed', 'complete']);
    const show = sweepdeck(['show', db, '2']);
    expect(show.stdout).toMatch(/worker crashed/);
  }, 120_000);

  it('a trial that exhausts the backend memory fails with the reason; the trials after it still train', () => {
    const db = join(tempDir(), 'oom.db');
    const run = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui'], {
      env: { SWEEPDECK_FAULTS: '1:oom@20' },
      timeoutMs: 120_000,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/trial 1 failed at step 20 in .*: trial threw: .*(memory|bounds|Aborted)/i);
    expect(readTrials(db).map((t) => t.state)).toEqual(['complete', 'failed', 'complete', 'complete']);
  }, 150_000);

  it('--max-failures ends the sweep cleanly; resume runs the rest without the failed ones', () => {
    const db = join(tempDir(), 'maxfail.db');
    const run = sweepdeck(['run', 'sweeps/smoke.yaml', '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui', '--max-failures', '1'], {
      env: { SWEEPDECK_FAULTS: '0:throw@20' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/1 trials failed \(--max-failures 1\): the sweep ends/);
    expect(run.stdout).toMatch(/continue with: npx sweepdeck resume /);
    // The failed trial; its pack-mates that had not started went back to the queue as planned.
    expect(readTrials(db).map((t) => t.state).filter((state) => state !== 'queued')).toEqual(['failed']);
    const resumed = sweepdeck(['resume', db, '--workers', '1', '--backend', 'wasm', '--no-tui']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/4 trials \(1 already done\)/);
    expect(readTrials(db).map((t) => t.state)).toEqual(['failed', 'complete', 'complete', 'complete']);
  }, 120_000);
});

function checkConsistentSmoke(db: string): TrialRow[] {
  const sql = new Database(db, { readonly: true });
  try {
    expect(sql.pragma('integrity_check', { simple: true })).toBe('ok');
    return sql.prepare('SELECT id, number, state, value, params, step FROM trials ORDER BY number').all() as TrialRow[];
  } finally {
    sql.close();
  }
}

describe('Ctrl-C twice', () => {
  it('the second one exits at once, even with a trial that never stops; the DB is sound and resume re-runs what was running', async () => {
    const dir = tempDir();
    const file = join(dir, 'kill.yaml');
    writeFileSync(file, KILL_SWEEP);
    const db = join(dir, 'twice.db');
    // Trial 1 blocks at its first evaluation, so the first Ctrl-C can never finish stopping it.
    const run = start(['run', file, '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui'], { SWEEPDECK_FAULTS: '1:hang@40' });
    await waitFor(() => /injected fault: trial 1 hangs at step 40/.test(run.stdout()), 60_000);
    run.child.kill('SIGINT');
    await waitFor(() => /SIGINT: stopping/.test(run.stdout()), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.stdout()).not.toMatch(/^stopped in /m);
    const left = checkConsistent(db);
    expect(left.find((t) => t.number === 1)?.state).toBe('running');

    const resumed = sweepdeck(['resume', db, '--workers', '2', '--backend', 'wasm', '--no-tui']);
    expect(resumed.code).toBe(0);
    const trials = checkConsistent(db);
    expect(trials.map((t) => t.number)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(trials.every((t) => t.state === 'complete')).toBe(true);
  }, 120_000);
});

describe('--time-budget', () => {
  it('stops dispatching when the time is up and puts running trials back in the queue; a bad duration is refused', () => {
    const dir = tempDir();
    const file = join(dir, 'kill.yaml');
    // Far more trials than fit in the budget, even on a fast machine.
    writeFileSync(file, KILL_SWEEP.replace('run_cap: 10', 'run_cap: 2000'));
    const db = join(dir, 'budget.db');
    const started = Date.now();
    const run = sweepdeck(['run', file, '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui', '--time-budget', '3s']);
    const seconds = (Date.now() - started) / 1000;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/time budget of 3s used up: no new trials; running trials stop and go back to the queue/);
    expect(run.stdout).toMatch(/^stopped in /m);
    expect(seconds).toBeLessThan(15);
    const states = checkConsistent(db).map((t) => t.state);
    expect(states.filter((s) => s === 'complete').length).toBeLessThan(2000);
    expect(states).not.toContain('running');

    const bad = sweepdeck(['run', file, '--db', db, '--time-budget', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--time-budget expects a duration like 90s, 10m or 1h30m, got "soon"/);
  }, 120_000);
});

describe('resume', () => {
  it('refuses what is not a sweepdeck DB, with exit 2, without touching it', () => {
    const dir = tempDir();
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'not a database, just text that is long enough to not be an empty file\n'.repeat(20));
    const before = readFileSync(file);
    const run = sweepdeck(['resume', file, '--no-tui']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not a sweepdeck results DB/);
    expect(readFileSync(file).equals(before)).toBe(true);
    const missing = sweepdeck(['resume', join(dir, 'nope.db')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});

// These need privileges the development machine and CI have (root with CAP_SYS_ADMIN and
// CAP_LINUX_IMMUTABLE): a small tmpfs to fill up, and the immutable attribute, which even root
// cannot write through. Each is probed first; where the machine cannot do it, the test is skipped.
function privileged(probe: (dir: string) => void): boolean {
  const dir = tempDir();
  try {
    probe(dir);
    return true;
  } catch {
    return false;
  }
}
const canMountTmpfs = privileged((dir) => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  execFileSync('umount', [dir], { stdio: 'ignore' });
});
const canMakeImmutable = privileged((dir) => {
  const file = join(dir, 'probe');
  writeFileSync(file, '');
  execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
  execFileSync('chattr', ['-i', file], { stdio: 'ignore' });
});

describe('disk and DB trouble at run time', () => {
  it.skipIf(!canMountTmpfs)('a disk that fills up stops the sweep with a clear message and a sound DB; resume finishes once there is room', async () => {
    const mount = join(tempDir(), 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    try {
      const file = join(mount, 'kill.yaml');
      writeFileSync(file, KILL_SWEEP.replace('run_cap: 10', 'run_cap: 30'));
      const db = join(mount, 'full.db');
      const run = start(['run', file, '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui']);
      await waitFor(() => /trial \d+ complete/.test(run.stdout()), 60_000);
      // Fill what is left of the disk.
      const filler = join(mount, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd ends with "No space left on device": that is the point.
      }
      const code = await run.exit;
      expect(code, run.stdout()).toBe(1);
      expect(run.stdout()).toMatch(/the results DB cannot be written \(.*(full|disk|space).*\): the sweep ends; what was committed is intact/i);
      rmSync(filler);
      checkConsistent(db);
      const resumed = sweepdeck(['resume', db, '--workers', '2', '--backend', 'wasm', '--no-tui']);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(checkConsistent(db).filter((t) => t.state === 'complete')).toHaveLength(30);
    } finally {
      execFileSync('umount', [mount]);
    }
  }, 180_000);

  it.skipIf(!canMakeImmutable)('a DB made read-only (immutable) during a run stops the sweep with a clear message; the file stays sound', async () => {
    const dir = tempDir();
    const file = join(dir, 'kill.yaml');
    writeFileSync(file, KILL_SWEEP.replace('run_cap: 10', 'run_cap: 30'));
    const db = join(dir, 'ro.db');
    const run = start(['run', file, '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui']);
    await waitFor(() => /trial \d+ complete/.test(run.stdout()), 60_000);
    // Not the -shm file: SQLite maps it into memory, and an unwritable mapping kills the process (SIGBUS).
    const files = [db, `${db}-wal`];
    execFileSync('chattr', ['+i', ...files]);
    try {
      const code = await run.exit;
      expect(code, run.stdout()).toBe(1);
      expect(run.stdout()).toMatch(/the results DB cannot be written \(.*\): the sweep ends; what was committed is intact/);
    } finally {
      execFileSync('chattr', ['-i', ...files]);
    }
    checkConsistent(db);
    const resumed = sweepdeck(['resume', db, '--workers', '2', '--backend', 'wasm', '--no-tui']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(checkConsistent(db).filter((t) => t.state === 'complete')).toHaveLength(30);
  }, 180_000);
});
