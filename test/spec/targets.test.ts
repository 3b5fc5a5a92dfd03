// Several targets in the sweep file: problem.targets, per-target heads, losses and loss weights,
// cross-target names, per-target metrics and aggregates, and the errors for each (field path,
// line, did-you-mean). And the one-target shorthand: every shipped sweep file loads to exactly
// the spec it did before targets existed (same hash, so existing DBs continue).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSweepFile, loadSweepText } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/errors.js';
import { resolveTrial, trialTargets } from '../../src/spec/resolve.js';
import { compileProblem } from '../../src/problem/compile.js';
import { dataColumns } from '../../src/problem/dataset.js';
import { Rng } from '../../src/rng.js';
import { TWO_TARGET_SWEEP } from '../helpers/two-targets.js';
import type { TrialConfig } from '../../src/spec/types.js';

function errorOf(text: string): SpecError {
  try {
    loadSweepText('sweep.yaml', text);
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

function configOf(text: string, params: Record<string, unknown> = {}): TrialConfig {
  const { spec } = loadSweepText('sweep.yaml', text);
  const result = resolveTrial(spec, 0, params);
  if (!result.ok) throw new Error(result.message);
  return result.config;
}

describe('several targets: the spec', () => {
  it('reads targets (a formula, or a formula with its own scale), per-target losses and aggregates', () => {
    const { spec } = loadSweepText('sweep.yaml', TWO_TARGET_SWEEP);
    expect(Object.keys(spec.problem.targets!)).toEqual(['prod', 'ratio']);
    expect(spec.problem.metrics).toEqual({ rel_l1: 'abs(pred - target) / scale' });
    // `{max: rel_l1}` means rel_l1 over every target.
    expect(spec.problem.aggregates).toEqual({ worst: { op: 'max', of: ['rel_l1.prod', 'rel_l1.ratio'] } });
    const config = configOf(TWO_TARGET_SWEEP, { 'model.shared': false });
    const targets = trialTargets(spec, config);
    expect(targets.map((t) => [t.name, t.head, t.definition.scale, t.columns.target, t.weight])).toEqual([
      ['prod', 'exp(net)', 'x * z', 'target.prod', 1],
      ['ratio', 'exp(net)', 'x / z', 'target.ratio', 1],
    ]);
    expect(targets[1]!.loss).toContain('pred.prod');
  });

  it('computes each target and its own scale into named columns', () => {
    const { spec } = loadSweepText('sweep.yaml', TWO_TARGET_SWEEP);
    const problem = compileProblem(spec);
    const variables = problem.sampleVariables(5, new Rng(1));
    const columns = dataColumns(problem, variables, 5);
    for (let i = 0; i < 5; i++) {
      const x = variables.get('x')![i]!;
      const z = variables.get('z')![i]!;
      expect(columns.get('target.prod')![i]).toBe(x * z);
      expect(columns.get('target.ratio')![i]).toBe(x / z);
      expect(columns.get('scale.prod')![i]).toBe(x * z);
      expect(columns.get('scale.ratio')![i]).toBe(x / z);
    }
    expect(columns.has('target')).toBe(false);
  });

  it('sweeps a head, a loss and a loss weight per target, and model.shared', () => {
    const text = TWO_TARGET_SWEEP.replace(
      '  model.shared: { values: [true, false] }',
      '  model.shared: { values: [true, false] }\n  model.head.ratio: { values: [net, exp(net)] }\n  training.loss_weights.ratio: { values: [1, 0.5] }',
    );
    const { spec } = loadSweepText('sweep.yaml', text);
    expect(spec.parameters.map((p) => p.path)).toEqual(['model.shared', 'model.head.ratio', 'training.loss_weights.ratio']);
    const config = configOf(text, { 'model.shared': false, 'model.head.ratio': 'net', 'training.loss_weights.ratio': 0.5 });
    // The head given as one formula became a map, and only ratio's entry changed.
    expect(config.model.head).toEqual({ prod: 'exp(net)', ratio: 'net' });
    expect(config.model.shared).toBe(false);
    expect(trialTargets(spec, config).map((t) => t.weight)).toEqual([1, 0.5]);
  });

  it('a head map that names an unknown target: the field path, its line, and a did-you-mean', () => {
    const error = errorOf(TWO_TARGET_SWEEP.replace('  head: exp(net)', '  head:\n    prod: exp(net)\n    raito: exp(net)'));
    expect(error.message).toMatch(/^sweep\.yaml:\d+:\d+: model\.head\.raito: "raito" is not a target \(did you mean "ratio"\?\); the targets: prod, ratio$/);
    expect(error.location?.line).toBe(26); // the line of "raito:"
  });

  it('a loss map, a loss weight or a swept path that names an unknown target is refused the same way', () => {
    expect(errorOf(TWO_TARGET_SWEEP.replace('    prod: abs(log(pred)', '    prd: abs(log(pred)')).message).toMatch(
      /training\.loss\.prd: "prd" is not a target \(did you mean "prod"\?\)/,
    );
    expect(errorOf(TWO_TARGET_SWEEP.replace('  eval_every: 100', '  eval_every: 100\n  loss_weights: { rato: 2 }')).message).toMatch(
      /training\.loss_weights\.rato: "rato" is not a target \(did you mean "ratio"\?\)/,
    );
    expect(errorOf(TWO_TARGET_SWEEP.replace('  model.shared:', '  model.head.raio: { values: [net] }\n  model.shared:')).message).toMatch(
      /parameters\.model\.head\.raio: "model\.head\.raio" is not a field that can be swept \(did you mean "model\.head\.ratio"\?\)/,
    );
  });

  it('cross-target names: pred.NAME and target.NAME resolve, a misspelt one gets a did-you-mean', () => {
    expect(() => loadSweepText('sweep.yaml', TWO_TARGET_SWEEP.replace('log(pred * pred.prod)', 'log(pred * pred.prod * target.ratio / target.ratio)'))).not.toThrow();
    const error = errorOf(TWO_TARGET_SWEEP.replace('log(pred * pred.prod)', 'log(pred * pred.prd)'));
    expect(error.message).toMatch(/training\.loss\.ratio: unknown name "pred\.prd" \(did you mean "pred\.prod"\?\).*\(for target ratio\)$/);
    // A head has no cross-target names: it maps one output to one prediction.
    expect(errorOf(TWO_TARGET_SWEEP.replace('  head: exp(net)', '  head: { prod: exp(net), ratio: exp(net) * pred.prod }')).message).toMatch(
      /model\.head\.ratio: unknown name "pred\.prod"/,
    );
  });

  it('a metric that uses scale for a target without one says which target', () => {
    const text = TWO_TARGET_SWEEP.replace('  scale: x * z\n', '');
    const error = errorOf(text);
    expect(error.message).toMatch(/problem\.metrics\.rel_l1: formula "abs\(pred - target\) \/ scale": unknown name "scale".*\(for target prod, which has no scale\)/);
  });

  it('metric.name names a per-target metric or an aggregate; anything else lists them', () => {
    expect(loadSweepText('sweep.yaml', TWO_TARGET_SWEEP.replace('name: worst', 'name: rel_l1.ratio')).spec.metric.name).toBe('rel_l1.ratio');
    expect(loadSweepText('sweep.yaml', TWO_TARGET_SWEEP.replace('name: worst', 'name: rel_l1.prod.p90')).spec.metric.name).toBe('rel_l1.prod.p90');
    const error = errorOf(TWO_TARGET_SWEEP.replace('name: worst,', 'name: rel_l1,'));
    expect(error.fieldPath).toBe('metric.name');
    expect(error.message).toMatch(/a recorded metric \(rel_l1\.prod, rel_l1\.ratio, worst, or one of their \.median, \.p90, \.max\)/);
    expect(errorOf(TWO_TARGET_SWEEP.replace('name: worst,', 'name: wrost,')).message).toMatch(/\(did you mean "worst"\?\)/);
  });

  it('an aggregate of an unknown metric, or named like a recorded one, is refused', () => {
    expect(errorOf(TWO_TARGET_SWEEP.replace('worst: { max: rel_l1 }', 'worst: { mean: [rel_l1.prod, rel_l1.rato] }')).message).toMatch(
      /problem\.metrics\.worst\.mean\.1: "rel_l1\.rato" is not a recorded metric \(did you mean "rel_l1\.ratio"\?\)/,
    );
    expect(errorOf(TWO_TARGET_SWEEP.replace('worst: { max: rel_l1 }', 'worst: { median: rel_l1 }')).message).toMatch(
      /problem\.metrics\.worst: expected a per-sample formula, or an aggregate \{max: \[names\]\} or \{mean: \[names\]\}/,
    );
  });

  it('target and targets together, neither, or a bad target name', () => {
    expect(errorOf(TWO_TARGET_SWEEP.replace('  targets:', '  target: x\n  targets:')).message).toMatch(/problem\.targets: give either target .* not both/);
    expect(errorOf(TWO_TARGET_SWEEP.replace('    prod: x * z\n', '    2prod: x * z\n')).message).toMatch(/problem\.targets\.2prod: "2prod" is not a usable target name/);
    expect(errorOf(TWO_TARGET_SWEEP.replace('    ratio: { formula: x / z, scale: x / z }', '    ratio: { formula: x / w }')).message).toMatch(
      /problem\.targets\.ratio\.formula: formula "x \/ w": unknown name "w"/,
    );
  });

  it('a target named __proto__ or constructor is refused at its first use, by name, not silently dropped', () => {
    expect(errorOf(TWO_TARGET_SWEEP.replace(/prod/g, '__proto__')).message).toMatch(/^sweep\.yaml:12:5: problem\.targets\.__proto__: "__proto__" cannot be used as a name here/);
    expect(errorOf(TWO_TARGET_SWEEP.replace(/prod/g, 'constructor')).message).toMatch(/^sweep\.yaml:12:5: problem\.targets\.constructor: "constructor" cannot be used as a name here/);
  });

  it('a head map, loss map or model.shared with the one-target shorthand is refused', () => {
    const one = TWO_TARGET_SWEEP.replace(/  targets:\n    prod: x \* z\n    ratio: \{ formula: x \/ z, scale: x \/ z \}\n/, '  target: x * z\n')
      .replace('    worst: { max: rel_l1 }\n', '')
      .replace('name: worst,', 'name: rel_l1,')
      .replace(/  loss:\n.*\n.*\n$/, '');
    expect(errorOf(one).message).toMatch(/parameters\.model\.shared|model\.shared: model\.shared chooses one network/);
    const noShared = one.replace('  model.shared: { values: [true, false] }\n', '  training.lr: { values: [0.05] }\n');
    expect(() => loadSweepText('sweep.yaml', noShared)).not.toThrow();
    expect(errorOf(noShared.replace('  head: exp(net)', '  head: { target: exp(net) }')).message).toMatch(/model\.head: a map of heads \(one per target\) needs problem\.targets/);
  });
});

describe('the one-target shorthand is unchanged', () => {
  // The hashes of the shipped sweep files' normalised specs, as the build before several targets computed them
  // (commit 79170d7): a DB made by that build is continued, not refused as "a different sweep".
  it.each([
    ['seed-equation', 'd97f22cb050ea8c9a2b0ace061ccffbda1a2d55e1ee002e8d1ad8ecdf21c041f'],
    ['seed-baseline', '1cd383611de955cef93b26643bacaeb2ca4a49c0638a8eedd2d5f7d9f1e4b323'],
    ['seed-known-form', '8afb8869e7711ef4bc33dfb0d2b62ac7c05fbd0594506fcae22e37385af00270'],
    ['smoke', 'b6a65a5772cae7687e173d76f0c9edecf897570e74938499124b97eb994e0840'],
  ])('sweeps/%s.yaml has the spec hash it had', async (name, hash) => {
    const { spec } = await loadSweepFile(`sweeps/${name}.yaml`);
    expect(createHash('sha256').update(JSON.stringify(spec)).digest('hex')).toBe(hash);
    expect(spec.problem.targets).toBeUndefined();
    expect(trialTargets(spec, resolveOk(spec)).map((t) => [t.name, t.columns])).toEqual([['target', { target: 'target', scale: 'scale', pred: 'pred' }]]);
  });
});

function resolveOk(spec: Parameters<typeof resolveTrial>[0]): TrialConfig {
  const params = Object.fromEntries(spec.parameters.map((p) => [p.path, p.distribution.type === 'categorical' ? p.distribution.choices[0] : p.distribution.low]));
  const result = resolveTrial(spec, 0, params);
  if (!result.ok) throw new Error(result.message);
  return result.config;
}
