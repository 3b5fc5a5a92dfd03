// A two-target sweep end to end through the real CLI (dist/): every target's metrics in the DB,
// `best --json` and `export` with both, `predict` with a column per target, `explain` per target,
// `export-model` keeping the output names, and a bad per-target head refused with exit 2.
import fs from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { TWO_TARGET_SWEEP } from '../helpers/two-targets.js';
import { openReadStore } from '../../src/store/index.js';
import { WatchLoader } from '../../src/tui/watch-loader.js';

const dir = tempDir('sweepdeck-targets-');
const sweepFile = join(dir, 'two.yaml');
const db = join(dir, 'two.db');
const PER_TARGET = ['rel_l1.prod', 'rel_l1.prod.median', 'rel_l1.prod.p90', 'rel_l1.prod.max', 'rel_l1.ratio', 'rel_l1.ratio.median', 'rel_l1.ratio.p90', 'rel_l1.ratio.max'];

function json<T>(result: { code: number | null; stdout: string; stderr: string }): T {
  if (result.stdout.trim() === '') throw new Error(`no output (exit ${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(() => {
  fs.writeFileSync(sweepFile, TWO_TARGET_SWEEP);
  const result = sweepdeck(['run', sweepFile, '--db', db, '--workers', '2', '--backend', 'wasm', '--no-tui'], { timeoutMs: 240_000 });
  if (result.code !== 0) throw new Error(`run failed (${result.code}): ${result.stderr}`);
}, 300_000);

describe('a two-target sweep through the CLI', { timeout: 120_000 }, () => {
  it('records every target’s metrics and the aggregate sweep metric in the DB', () => {
    const sql = new Database(db, { readonly: true });
    const names = sql.prepare('SELECT DISTINCT name FROM final_metrics ORDER BY name').pluck().all() as string[];
    const trials = sql.prepare("SELECT number, value FROM trials WHERE state = 'complete' ORDER BY number").all() as { number: number; value: number }[];
    const worst = sql.prepare("SELECT f.value FROM final_metrics f JOIN trials t ON t.id = f.trial_id WHERE t.number = ? AND f.name = ?").pluck();
    expect(trials).toHaveLength(2);
    for (const name of [...PER_TARGET, 'worst']) expect(names).toContain(name);
    for (const { number, value } of trials) {
      expect(value).toBe(worst.get(number, 'worst'));
      expect(value).toBe(Math.max(worst.get(number, 'rel_l1.prod') as number, worst.get(number, 'rel_l1.ratio') as number));
      expect(value).toBeLessThan(0.05);
    }
    sql.close();
  });

  it('best --json and export carry both targets’ metrics; best’s table shows a column per target', () => {
    const best = json<{ number: number; metrics: Record<string, number> }[]>(sweepdeck(['best', db, '--json']));
    for (const name of PER_TARGET) expect(Number.isFinite(best[0]!.metrics[name])).toBe(true);
    const csv = sweepdeck(['export', db, '--format', 'csv']).stdout.split('\n')[0]!.split(',');
    for (const name of [...PER_TARGET, 'worst']) expect(csv).toContain(`metric.${name}`);
    const table = sweepdeck(['best', db]).stdout;
    expect(table).toMatch(/#\s+trial\s+worst\s+rel_l1\.prod\s+rel_l1\.ratio\s+model\.shared/);
    expect(sweepdeck(['show', db, String(best[0]!.number)]).stdout).toMatch(/step\s+worst\s+rel_l1\.prod\s+rel_l1\.ratio\s+train_loss/);
  });

  it('the watch dashboard reads every target’s metrics from the DB for the trial panel', async () => {
    const store = await openReadStore(db);
    try {
      const state = await new WatchLoader(store, db).load({ now: Date.now() });
      const sql = new Database(db, { readonly: true });
      const prod = sql.prepare("SELECT f.value FROM final_metrics f JOIN trials t ON t.id = f.trial_id WHERE t.number = 0 AND f.name = 'rel_l1.prod'").pluck().get();
      sql.close();
      expect(state.trials.get(0)!.targetValues).toEqual({ 'rel_l1.prod': prod, 'rel_l1.ratio': expect.any(Number) });
    } finally {
      await store.close();
    }
  });

  it('predict returns a column per target, and --check each target’s metric as recorded', () => {
    const input = join(dir, 'points.csv');
    fs.writeFileSync(input, 'x,z\n2,3\n5,0.5\n');
    const result = json<{ rows: { pred: Record<string, number>; target: Record<string, number>; metrics: Record<string, number> }[] }>(
      sweepdeck(['predict', db, '--input', input, '--check', '--json']),
    );
    expect(Object.keys(result.rows[0]!.pred)).toEqual(['prod', 'ratio']);
    expect(result.rows[0]!.target).toEqual({ prod: 6, ratio: 2 / 3 });
    expect(result.rows[1]!.pred.prod).toBeCloseTo(2.5, 1);
    expect(result.rows[1]!.pred.ratio).toBeCloseTo(10, 0);
    expect(Object.keys(result.rows[0]!.metrics)).toEqual(['rel_l1.prod', 'rel_l1.ratio']);
    const text = sweepdeck(['predict', db, '--input', input, '--check']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/line\s+x\s+z\s+pred\.prod\s+target\.prod\s+rel_l1\.prod\s+pred\.ratio\s+target\.ratio\s+rel_l1\.ratio/);
    expect(text.stdout).toMatch(/rel_l1\.ratio over 2 rows: mean/);
  });

  it('explain reads each output back and says per target that it recovered a closed form', () => {
    const result = json<{ closed_form: boolean; targets: { target: string; closed_form: boolean; pred: { rounded: string }; held_out: { metric: string; network: number; recorded: number } }[] }>(
      sweepdeck(['explain', db, '--json']),
    );
    expect(result.closed_form).toBe(true);
    expect(result.targets.map((t) => [t.target, t.closed_form, t.held_out.metric])).toEqual([
      ['prod', true, 'rel_l1.prod'],
      ['ratio', true, 'rel_l1.ratio'],
    ]);
    for (const t of result.targets) expect(t.held_out.network).toBeCloseTo(t.held_out.recorded, 9);
    // exp of an affine map of log(x), log(z): x·z and x/z with exponents near ±1.
    expect(result.targets[0]!.pred.rounded).toMatch(/x.*z/);
    const text = sweepdeck(['explain', db]).stdout;
    expect(text).toMatch(/── target prod \(head exp\(net\)\) ──/);
    expect(text).toMatch(/closed form recovered for 2 of 2 targets: prod, ratio/);
  });

  it('export-model keeps the output names', () => {
    const out = join(dir, 'exported');
    const result = sweepdeck(['export-model', db, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/→ 2 outputs \(prod, ratio\)/);
    const side = JSON.parse(fs.readFileSync(join(out, 'sweepdeck.json'), 'utf8')) as { format: string; outputs: string[]; targets: Record<string, { head: string; output: number }> };
    expect(side.format).toBe('sweepdeck-export/2');
    expect(side.outputs).toEqual(['prod', 'ratio']);
    expect(side.targets.ratio).toMatchObject({ head: 'exp(net)', output: 1 });
    const model = JSON.parse(fs.readFileSync(join(out, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { config: { units: number } }[] } } };
    expect(model.modelTopology.config.layers.at(-1)!.config.units).toBe(2);
  });

  it('a head map naming an unknown target: validate and run exit 2 with the field path and line, and write no DB', () => {
    const bad = join(dir, 'bad.yaml');
    fs.writeFileSync(bad, TWO_TARGET_SWEEP.replace('  head: exp(net)', '  head:\n    prod: exp(net)\n    raito: exp(net)'));
    for (const args of [['validate', bad], ['run', bad, '--db', join(dir, 'bad.db'), '--no-tui']]) {
      const result = sweepdeck(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/bad\.yaml:26:\d+: model\.head\.raito: "raito" is not a target \(did you mean "ratio"\?\)/);
    }
    expect(fs.existsSync(join(dir, 'bad.db'))).toBe(false);
  });
});
