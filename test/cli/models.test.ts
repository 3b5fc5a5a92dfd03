// Kept models end to end through the real CLI: sweeps trained with `run`, then predict, explain,
// export-model, show and best on their DBs, with nothing but the DB (the sweep files are not read).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { sweepdeck, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { ProblemData } from '../../src/train/data.js';
import { LOGLINEAR_SWEEP } from '../artifacts/fixtures.js';
import type { SweepSpec } from '../../src/spec/types.js';

const dir = tempDir('sweepdeck-models-');
const smokeDb = join(dir, 'smoke.db');
const loglinearDb = join(dir, 'loglinear.db');
const keepTwoDb = join(dir, 'keep-two.db');
// Every CLI call that runs a model loads tfjs (about a second on a busy machine).

function run(sweepFile: string, db: string): void {
  const result = sweepdeck(['run', sweepFile, '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui'], { timeoutMs: 240_000 });
  if (result.code !== 0) throw new Error(`run ${sweepFile} failed (${result.code}): ${result.stderr}`);
}

/** The sweep's held-out set as a CSV of its variables (full float64 precision), rebuilt from the DB alone. */
function heldOutCsv(db: string): string {
  const sql = new Database(db, { readonly: true });
  const spec = JSON.parse(sql.prepare('SELECT spec_json FROM sweep').pluck().get() as string) as SweepSpec;
  sql.close();
  const { n, columns } = new ProblemData(spec).validation;
  const names = Object.keys(spec.problem.variables);
  const lines = [names.join(',')];
  for (let i = 0; i < n; i++) lines.push(names.map((name) => String(columns.get(name)![i])).join(','));
  const file = join(dir, `${spec.name}-held-out.csv`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function writeFile(name: string, text: string): string {
  const file = join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function json<T>(result: { code: number | null; stdout: string; stderr: string }): T {
  if (result.stdout.trim() === '') throw new Error(`no output (exit ${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface PredictJson {
  trial: number;
  metric: { name: string; recorded: number };
  flagged: number;
  rows: { line: number; net: number; pred: number; in_range: boolean; flags: string[]; target?: number; metrics?: Record<string, number> }[];
  check?: Record<string, { rows: number; mean: number }>;
}

beforeAll(() => {
  run('sweeps/smoke.yaml', smokeDb);
  run(LOGLINEAR_SWEEP, loglinearDb);
  const keepTwo = fs.readFileSync(join(REPO, 'sweeps/smoke.yaml'), 'utf8').replace('seed: 7\n', 'seed: 7\nkeep_models: 2\n');
  run(writeFile('keep-two.yaml', keepTwo), keepTwoDb);
}, 300_000);

describe('sweepdeck predict', { timeout: 120_000 }, () => {
  it('--check on the held-out set reproduces the recorded metric of every kept smoke trial exactly', () => {
    const csv = heldOutCsv(smokeDb);
    for (const trial of [0, 1, 2, 3]) {
      const result = sweepdeck(['predict', smokeDb, '--trial', String(trial), '--input', csv, '--check', '--json']);
      expect(result.code).toBe(0);
      const report = json<PredictJson>(result);
      expect(report.rows).toHaveLength(256);
      expect(report.flagged).toBe(0);
      expect(report.check!.rel_l1!.rows).toBe(256);
      expect(report.check!.rel_l1!.mean).toBe(report.metric.recorded);
    }
  });

  it('uses the best trial by default and prints a table with the target, the metric and the summary', () => {
    const best = json<{ number: number; value: number; model_kept: boolean }[]>(sweepdeck(['best', smokeDb, '--json']))[0]!;
    expect(best.model_kept).toBe(true);
    const result = sweepdeck(['predict', smokeDb, '--input', heldOutCsv(smokeDb), '--check']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^trial ${best.number} of sweep smoke \\(rel_l1 [\\d.]+ on its held-out set\\): features \\w+, head net$`));
    expect(lines[3]).toMatch(/^line\s+x\s+z\s+pred\s+target\s+rel_l1\s+note$/);
    expect(result.stdout).toMatch(/\nrel_l1 over 256 rows: mean [\d.]+, median [\d.]+, p90 [\d.]+, max [\d.]+\n/);
    expect(result.stdout).toMatch(/recorded for trial \d on the sweep's held-out set \(256 points\): [\d.]+\n$/);
  });

  it('flags rows outside the trained ranges, never silently, and exits 3', () => {
    const csv = writeFile('outside.csv', 'x,z\n2,3\n11,3\n2,0.05\n');
    const result = sweepdeck(['predict', smokeDb, '--input', csv, '--json']);
    expect(result.code).toBe(3);
    const report = json<PredictJson>(result);
    expect(report.flagged).toBe(2);
    expect(report.rows.map((r) => [r.line, r.in_range, r.flags])).toEqual([
      [2, true, []],
      [3, false, ['x = 11 is above its max 10']],
      [4, false, ['z = 0.05 is below its min 0.1']],
    ]);
    expect(report.rows.every((r) => Number.isFinite(r.pred))).toBe(true);
    const text = sweepdeck(['predict', smokeDb, '--input', csv]);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/OUTSIDE: x = 11 is above its max 10/);
    expect(text.stdout).toMatch(/2 of 3 rows lie outside the ranges the model was trained on \(marked OUTSIDE\): their predictions are extrapolations \(exit code 3\)/);
  });

  it('reads stdin with --input -', () => {
    const result = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'predict', smokeDb, '--input', '-', '--json'], { input: 'x,z\n2,3\n', encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as PredictJson).rows).toHaveLength(1);
  });

  it('refuses bad input with a clear message and exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['--input', writeFile('missing.csv', 'x,y\n1,2\n')], /^error: .*missing\.csv:1: no column "z"; expected a header with the problem's variables: x, z \(got: x, y\)\n$/],
      [['--input', writeFile('text.csv', 'x,z\n1,2\n3,four\n')], /^error: .*text\.csv:3: column "z": "four" is not a number \(expected a finite decimal number such as 12\.5 or 1e-3\)\n$/],
      [['--input', join(dir, 'nope.csv')], /^error: cannot read --input .*nope\.csv: no such file\n$/],
      [['--trial', '9', '--input', writeFile('ok.csv', 'x,z\n1,2\n')], /^error: .*smoke\.db has no trial 9 \(it holds 4 trials, numbered from 0\); kept: trials \d, \d, \d, \d\n$/],
      [['--trial', 'two', '--input', join(dir, 'ok.csv')], /^error: --trial expects a whole number ≥ 0, got "two"\n$/],
    ];
    for (const [args, message] of cases) {
      const result = sweepdeck(['predict', smokeDb, ...args]);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    }
  });

  it('refuses a trial whose model is not kept (keep_models: 2), naming the kept ones', () => {
    const kept = json<{ number: number; model_kept: boolean }[]>(sweepdeck(['best', keepTwoDb, '--json']));
    expect(kept.map((t) => t.model_kept)).toEqual([true, true, false, false]);
    const dropped = kept[3]!.number;
    const result = sweepdeck(['predict', keepTwoDb, '--trial', String(dropped), '--input', join(dir, 'ok.csv')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: trial ${dropped}'s model is not kept (the sweep keeps the models of its best 2 complete trials); kept: trials ${kept[0]!.number}, ${kept[1]!.number}\n`,
    );
    expect(sweepdeck(['show', keepTwoDb, String(dropped)]).stdout).toMatch(/\nmodel: not kept \(/);
    expect(sweepdeck(['show', keepTwoDb, String(kept[0]!.number)]).stdout).toMatch(/\nmodel: kept in the DB \(\d+ bytes\): sweepdeck predict\|explain\|export-model /);
  });
});

describe('sweepdeck explain', { timeout: 120_000 }, () => {
  interface ExplainJson {
    trial: number;
    closed_form: boolean;
    reason?: string;
    terms: { feature: string; exponent: number; rounded_exponent: string | null }[];
    pred: { learned: string; rounded: string };
    held_out: { recorded: number; network: number; learned: number; rounded: number };
  }

  it('recovers the exponents of y = 3·a²/b from trained affine networks (depth 0 and two linear layers)', () => {
    for (const trial of [0, 1]) {
      const result = sweepdeck(['explain', loglinearDb, '--trial', String(trial), '--json']);
      expect(result.code).toBe(0);
      const report = json<ExplainJson>(result);
      expect(report.closed_form).toBe(true);
      expect(report.terms.map((t) => [t.feature, t.rounded_exponent])).toEqual([
        ['log(a)', '2'],
        ['log(b)', '-1'],
        ['log(c)', '0'],
      ]);
      report.terms.forEach((t, i) => expect(Math.abs(t.exponent - [2, -1, 0][i]!)).toBeLessThan(1e-3));
      expect(report.pred.rounded).toBe('3*a^2/b');
      expect(report.held_out.network).toBe(report.held_out.recorded);
      expect(report.held_out.rounded).toBeLessThanOrEqual(report.held_out.network);
    }
  });

  it('prints the learned formula next to the held-out metrics', () => {
    const result = sweepdeck(['explain', loglinearDb]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^trial \d of sweep loglinear \(rel_l1 \S+ on its held-out set\): features log, head exp\(net\)\n/);
    expect(result.stdout).toMatch(/\nexp\(net\) = .*\n {8}≈ 3\*a\^2\/b\n\(rounded: 3 of 3 exponents and the constant factor, each within 0\.001 of a simple rational p\/q, q ≤ 12\)\n/);
    expect(result.stdout).toMatch(/\nrounded formula: pred = 3\*a\^2\/b\n/);
    expect(result.stdout).toMatch(/\nheld-out rel_l1 \(2048 points\): network \S+ \(recorded \S+\), learned formula as printed \S+, rounded formula \S+\n$/);
  });

  it('says why there is no closed form for a nonlinear network', () => {
    const result = sweepdeck(['explain', smokeDb, '--trial', '0']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nno closed form: hidden layer 1 of 1 uses tanh; a nonlinear activation makes net a nonlinear function of the features/);
  });
});

describe('sweepdeck export-model', { timeout: 120_000 }, () => {
  it('writes a tfjs layers model that tf.loadLayersModel loads, computing the net that predict computes', async () => {
    const out = join(dir, 'exported');
    const result = sweepdeck(['export-model', loglinearDb, '--trial', '1', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^trial 1 of sweep loglinear \(rel_l1 \S+\): layers 3 → 4 → 4 \(linear, linear\) → 1\nwrote .*model\.json, .*weights\.bin, .*sweepdeck\.json\n/);
    expect(fs.readdirSync(out).sort()).toEqual(['model.json', 'sweepdeck.json', 'weights.bin']);

    const side = JSON.parse(fs.readFileSync(join(out, 'sweepdeck.json'), 'utf8')) as { normalization: { mean: number[]; std: number[] }; features: { formulas: string[] } };
    const points = writeFile('points.csv', 'a,b,c\n2,3,4\n0.7,1.5,90\n15,20,2\n');
    const predicted = json<PredictJson>(sweepdeck(['predict', loglinearDb, '--trial', '1', '--input', points, '--json']));
    const raw = [[2, 3, 4], [0.7, 1.5, 90], [15, 20, 2]];
    const standardised = raw.map((row) => row.map((v, j) => (Math.log(v) - side.normalization.mean[j]!) / side.normalization.std[j]!));

    const server = http.createServer((request, response) => response.writeHead(200).end(fs.readFileSync(join(out, new URL(request.url!, 'http://x').pathname))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const model = await tf.loadLayersModel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/model.json`);
      const net = (model.predict(tf.tensor2d(standardised)) as tf.Tensor).dataSync();
      predicted.rows.forEach((row, i) => expect(Math.abs(net[i]! - row.net)).toBeLessThan(1e-5));
      predicted.rows.forEach((row, i) => expect(Math.exp(net[i]!) / row.pred).toBeCloseTo(1, 4));
    } finally {
      server.close();
    }
  });

  it('refuses a trial without a kept model, exit 2, writing nothing', () => {
    const out = join(dir, 'not-written');
    const result = sweepdeck(['export-model', smokeDb, '--trial', '7', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*smoke\.db has no trial 7/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
