// `sweepdeck importance` over a real results DB (the command function; the CLI wires it to exit codes).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importanceCommand } from '../../src/commands/importance.js';
import { bestCommand } from '../../src/commands/inspect.js';
import { UsageError } from '../../src/commands/errors.js';
import { StoreError, openWriteStore } from '../../src/store/index.js';
import type { Parameter } from '../../src/search/space.js';
import { sampleDistribution } from '../../src/search/sample.js';
import { Rng } from '../../src/rng.js';
import { sweepRecord, tempDbPath } from '../store/fixtures.js';

const PARAMETERS: Parameter[] = [
  { path: 'model.head', distribution: { type: 'categorical', choices: ['net', 'scale * (1 - exp(net))'] } },
  { path: 'training.lr', distribution: { type: 'float', low: 1e-4, high: 3e-2, log: true } },
  { path: 'model.width', distribution: { type: 'int', low: 8, high: 64, log: false, step: 8 } },
];

/** A DB with `complete` complete trials whose rel_l1 depends on the head only (10× apart), and one failed trial. */
async function sweepDb(complete: number): Promise<string> {
  const dbPath = tempDbPath();
  const store = await openWriteStore(dbPath, sweepRecord({ spec: { name: 'tiny', method: 'random', metric: { name: 'rel_l1', goal: 'minimize' }, parameters: PARAMETERS } }));
  const rng = new Rng(3);
  for (let number = 0; number < complete; number++) {
    const params = Object.fromEntries(PARAMETERS.map((p) => [p.path, sampleDistribution(p.distribution, rng)]));
    const id = await store.insertTrial({ number, params, config: null, steps: 10 });
    await store.markRunning(id, 1, 'wasm');
    const value = (params['model.head'] === 'net' ? 2 : 0.02) * (1 + 0.01 * rng.next());
    await store.finishTrial(id, { state: 'complete', value, step: 10 });
  }
  const failed = await store.insertTrial({ number: complete, params: { 'model.head': 'net', 'training.lr': 0.01, 'model.width': 8 }, config: null, steps: 10 });
  await store.finishTrial(failed, { state: 'failed', value: null, step: 3, error: 'NaN loss' });
  await store.close();
  return dbPath;
}

async function run(dbPath: string, json = false): Promise<string> {
  const lines: string[] = [];
  expect(await importanceCommand(dbPath, { json }, (t) => lines.push(t))).toBe(0);
  return lines.join('\n');
}

describe('sweepdeck importance', () => {
  it('prints a ranked table with bars, the method, and what it explained', async () => {
    const text = await run(await sweepDb(30));
    expect(text).toContain('sweep tiny: which parameters explain log10(rel_l1), from 30 complete trials');
    expect(text).toContain("fANOVA main effects on a random forest of 64 trees (as Optuna's FanovaImportanceEvaluator)");
    expect(text).toContain('rel_l1 spans more than a decade, so its log10 is explained');
    const rows = text.split('\n').filter((l) => /^(model|training)\./.test(l));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['model.head', expect.any(String), expect.any(String)]);
    expect(rows[0]).toMatch(/^model\.head\s+(0\.9\d\d|1\.000)\s+█{24}$/);
    expect(text).toMatch(/main effects explain \d+% of the variance/);
  });

  it('prints a JSON array with --json, most important first, summing to 1', async () => {
    const rows = JSON.parse(await run(await sweepDb(30), true)) as { parameter: string; importance: number; variance_fraction: number }[];
    expect(rows.map((r) => r.parameter)).toHaveLength(3);
    expect(rows[0]!.parameter).toBe('model.head');
    expect(rows[0]!.importance).toBeGreaterThan(0.9);
    expect(rows.reduce((a, r) => a + r.importance, 0)).toBeCloseTo(1, 9);
    expect(Object.keys(rows[0]!)).toEqual(['parameter', 'importance', 'variance_fraction']);
  });

  it('says how many complete trials it needs when there are too few', async () => {
    const dbPath = await sweepDb(6);
    await expect(run(dbPath)).rejects.toThrow(UsageError);
    await expect(run(dbPath)).rejects.toThrow(`${dbPath}: parameter importance needs at least 10 complete trials; there are 6`);
  });

  it('--include-pruned counts pruned trials at the value they were stopped with, and says so', async () => {
    // 6 complete trials (too few alone) and 14 pruned ones whose stopping value depends on model.width only.
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, sweepRecord({ spec: { name: 'tiny', method: 'random', metric: { name: 'rel_l1', goal: 'minimize' }, parameters: PARAMETERS, earlyTerminate: { type: 'asha', minSteps: 2, eta: 3 } } }));
    const rng = new Rng(5);
    for (let number = 0; number < 20; number++) {
      const params = Object.fromEntries(PARAMETERS.map((p) => [p.path, sampleDistribution(p.distribution, rng)]));
      const id = await store.insertTrial({ number, params, config: null, steps: 10 });
      await store.markRunning(id, 1, 'wasm');
      const value = (params['model.width'] as number) * (1 + 0.01 * rng.next());
      if (number < 6) await store.finishTrial(id, { state: 'complete', value, step: 10 });
      else await store.finishTrial(id, { state: 'pruned', value, step: 2, error: 'asha: …' });
    }
    await store.close();
    await expect(run(dbPath)).rejects.toThrow(
      `${dbPath}: parameter importance needs at least 10 complete trials; there are 6 (14 pruned trials are left out: --include-pruned counts them at the value they were stopped with)`,
    );
    const lines: string[] = [];
    expect(await importanceCommand(dbPath, { includePruned: true }, (t) => lines.push(t))).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('from 20 trials: 6 complete at their final value, 14 pruned at the value they were stopped with');
    expect(text.split('\n').find((l) => /^(model|training)\./.test(l))).toMatch(/^model\.width\s/);
  });

  it('refuses a file that is not a results DB exactly as best does', async () => {
    const dbPath = tempDbPath();
    fs.writeFileSync(dbPath, 'not sqlite');
    const errorOf = async (f: () => unknown) => {
      try {
        await f();
      } catch (error) {
        return error;
      }
      throw new Error('expected an error');
    };
    const ours = (await errorOf(() => run(dbPath))) as StoreError;
    const best = (await errorOf(() => bestCommand(dbPath, { top: 5 }, () => {}))) as StoreError;
    expect(ours).toBeInstanceOf(StoreError);
    expect(ours.message).toBe(best.message);
    expect(((await errorOf(() => run(`${dbPath}.missing`))) as StoreError).code).toBe('not_found');
  });
});
