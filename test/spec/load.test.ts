import { describe, expect, it } from 'vitest';
import { loadSweepText } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/errors.js';
import { resolveTrial } from '../../src/spec/resolve.js';
import { VALID_SWEEP } from '../helpers/sweep-text.js';
import { readFileSync } from 'node:fs';

function errorOf(text: string): SpecError {
  try {
    loadSweepText('sweep.yaml', text);
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('the README', () => {
  it('shows a sweep file that is valid as written', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const { spec } = loadSweepText('README.md', example);
    expect(spec.name).toBe('seed-equation');
    expect(spec.parameters.map((p) => p.path)).toEqual(['features', 'model.depth', 'model.head', 'training.lr']);
  });
});

describe('loadSweepText', () => {
  it('accepts a valid sweep and fills in defaults', () => {
    const { spec } = loadSweepText('sweep.yaml', VALID_SWEEP);
    expect(spec.name).toBe('tiny');
    expect(spec.trialCount).toBe(4);
    expect(spec.parameters.map((p) => p.path)).toEqual(['features', 'training.lr']);
    expect(spec.problem.metrics).toEqual({ rel_l1: 'abs(pred - target) / scale' });
    expect(spec.problem.train).toEqual({ seed: 1, size: 'stream' });
  });

  it('reads JSON sweep files too', () => {
    const json = JSON.stringify({
      name: 'j',
      method: 'random',
      run_cap: 3,
      metric: { name: 'l1' },
      problem: { variables: { a: { min: 0, max: 1 } }, target: '2*a' },
      features: { raw: ['a'] },
    });
    const { spec } = loadSweepText('sweep.json', json);
    expect(spec.trialCount).toBe(3);
    expect(spec.metric.goal).toBe('minimize');
  });

  it('reports YAML syntax errors with line and column', () => {
    const error = errorOf('name: x\nmethod: [grid\n');
    expect(error.message).toMatch(/^sweep\.yaml:\d+:\d+: this is not valid YAML/);
  });

  it('names unknown keys, where they are, and suggests the closest', () => {
    const error = errorOf(VALID_SWEEP.replace('  width: 4', '  widht: 4'));
    expect(error.message).toBe(
      'sweep.yaml:19:3: model.widht: unknown key "widht" (did you mean "width"?); expected one of: depth, width, activation, initializer, head, input_norm, shared',
    );
  });

  it('rejects wrong types with the field path', () => {
    const error = errorOf(VALID_SWEEP.replace('  depth: 1', '  depth: deep'));
    expect(error.message).toBe('sweep.yaml:18:10: model.depth: expected a number, got "deep"');
  });

  it('suggests enum values', () => {
    const error = errorOf(VALID_SWEEP.replace('method: grid', 'method: gird'));
    expect(error.message).toContain('sweep.yaml:2:9: method: expected one of grid, random, tpe, bayes; got "gird" (did you mean "grid"?)');
  });

  it('rejects min >= max in a parameter distribution', () => {
    const text = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  training.lr: { distribution: uniform, min: 0.1, max: 0.01 }').replace('method: grid', 'method: random\nrun_cap: 2');
    const error = errorOf(text);
    expect(error.message).toMatch(/parameters\.training\.lr\.min: expected min < max, got min 0\.1 and max 0\.01/);
  });

  it('rejects log_uniform with min <= 0', () => {
    const text = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  training.lr: { distribution: log_uniform, min: 0, max: 0.1 }').replace('method: grid', 'method: random\nrun_cap: 2');
    expect(errorOf(text).message).toMatch(/parameters\.training\.lr\.min: a log-scale distribution needs min > 0, got 0/);
  });

  it('rejects a continuous distribution in a grid', () => {
    const text = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  training.lr: { distribution: uniform, min: 0.01, max: 0.1 }');
    expect(errorOf(text).message).toMatch(/parameters\.training\.lr: method grid: a continuous distribution has no grid/);
  });

  it('rejects unknown parameter paths with a suggestion', () => {
    const text = VALID_SWEEP.replace('training.lr:', 'training.lrr:');
    expect(errorOf(text).message).toMatch(/sweep\.yaml:6:3: parameters\.training\.lrr: "training\.lrr" is not a field that can be swept \(did you mean "training\.lr"\?\)/);
  });

  it('points at formula syntax errors inside the line', () => {
    const error = errorOf(VALID_SWEEP.replace('target: x1 * x2', 'target: x1 * * x2'));
    expect(error.fieldPath).toBe('problem.target');
    expect(error.location?.line).toBe(11);
    expect(error.location?.col).toBeGreaterThan(13);
  });

  it('refuses unknown names in formulas, including code-looking ones, and never runs them', () => {
    const attempts = ['process.exit(3)', 'import("fs")', 'constructor', 'x3', 'globalThis'];
    for (const attempt of attempts) {
      const error = errorOf(VALID_SWEEP.replace('target: x1 * x2', `target: '${attempt}'`));
      expect(error.fieldPath).toBe('problem.target');
    }
    expect(errorOf(VALID_SWEEP.replace('target: x1 * x2', 'target: x3 * x2')).message).toBe(
      'sweep.yaml:11:11: problem.target: formula "x3 * x2": unknown name "x3" (did you mean "x2"?); known names: x1, x2',
    );
  });

  it('says which feature is NaN/Inf on sampled data, and why', () => {
    const error = errorOf(VALID_SWEEP.replace('log: [log(x1), log(x2)]', 'log: [log(x1), log(x2 - x1)]'));
    expect(error.fieldPath).toBe('features.log.1');
    expect(error.location?.line).toBe(16);
    expect(error.message).toMatch(/feature 2 of set "log" \(log\(x2 - x1\)\) is (NaN|-Infinity) on sampled data at x1=[\d.]+, x2=[\d.]+: log\(x2 - x1\) is log of/);
  });

  it('rejects a bound that makes a variable range empty on sampled data', () => {
    const error = errorOf(VALID_SWEEP.replace('x2: { min: 1, max: x1 }', 'x2: { min: x1 + 1, max: x1 }'));
    expect(error.fieldPath).toBe('problem.variables.x2');
    expect(error.message).toMatch(/the range is empty/);
  });

  it('needs run_cap for random search', () => {
    const error = errorOf(VALID_SWEEP.replace('method: grid', 'method: random'));
    expect(error.message).toMatch(/run_cap: method random needs run_cap/);
  });

  it('validates each parameter value as a trial field', () => {
    const error = errorOf(VALID_SWEEP.replace('features: { values: [raw, log] }', 'features: { values: [raw, logg] }'));
    expect(error.message).toMatch(/sweep\.yaml:5:\d+: parameters\.features\.values\.1: expected the name of a feature set \(raw, log\), got "logg"/);
  });

  it('checks formulas given as parameter values with the right names', () => {
    const text = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  model.head: { values: [net, exp(net) * x9] }');
    expect(errorOf(text).message).toMatch(/parameters\.model\.head\.values\.1: unknown name "x9"/);
  });

  it('accepts values that are valid only together with another parameter, and refuses values valid with none', () => {
    const together = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  model.depth: { values: [1, 2] }\n  model.activation: { values: [tanh, [tanh, relu]] }');
    expect(loadSweepText('sweep.yaml', together).spec.trialCount).toBe(8);
    const never = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  model.depth: { values: [1, 2] }\n  model.activation: { values: [tanh, [tanh, relu, elu]] }');
    expect(errorOf(never).message).toMatch(/parameters\.model\.activation\.values\.1: expected one activation or one per hidden layer \(1\), got 3/);
  });

  it("accepts W&B's nested parameter groups as dotted paths", () => {
    const nested = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  training:\n    parameters:\n      lr: { values: [0.01, 0.1] }');
    const flat = loadSweepText('sweep.yaml', VALID_SWEEP).spec;
    expect(loadSweepText('sweep.yaml', nested).spec.parameters).toEqual(flat.parameters);
  });

  it('locates mistakes inside nested parameter groups', () => {
    const typo = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  training:\n    parameters:\n      lr: { valuess: [0.01, 0.1] }');
    expect(errorOf(typo).message).toMatch(/^sweep\.yaml:8:13: parameters\.training\.parameters\.lr\.valuess: unknown key "valuess" \(did you mean "values"\?\); expected one of: value, values, distribution, min, max, q, parameters$/);
    const badValue = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  training:\n    parameters:\n      lr: { values: [0.01, -1] }');
    expect(errorOf(badValue).message).toMatch(/^sweep\.yaml:8:\d+: parameters\.training\.parameters\.lr\.values\.1: expected a number > 0, got -1$/);
    const twice = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  training.lr: { values: [0.01] }\n  training:\n    parameters:\n      lr: { values: [0.1] }');
    expect(errorOf(twice).message).toMatch(/"training\.lr" is swept twice/);
  });

  it('sweeps the training data, and checks its values', () => {
    const text = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  problem.train.size: { values: [stream, 200] }');
    const { spec } = loadSweepText('sweep.yaml', text);
    const trial = resolveTrial(spec, 1, { features: 'raw', 'problem.train.size': 200 });
    expect(trial.ok && trial.config.train).toEqual({ seed: 1, size: 200 });
    const bad = VALID_SWEEP.replace('  training.lr: { values: [0.01, 0.1] }', '  problem.train.size: { values: [stream, lots] }');
    expect(errorOf(bad).message).toMatch(/parameters\.problem\.train\.size\.values\.1: expected "stream" or a positive whole number of samples/);
  });

  it('rejects a metric name that the problem does not define', () => {
    const error = errorOf(VALID_SWEEP.replace('name: rel_l1', 'name: rel_l2'));
    expect(error.message).toMatch(/metric\.name: .*got "rel_l2" \(did you mean "rel_l1"\?\)/);
  });

  it('rejects reserved variable names', () => {
    const error = errorOf(VALID_SWEEP.replace('x1: { min: 1, max: 10 }', 'net: { min: 1, max: 10 }'));
    expect(error.message).toMatch(/"net" is reserved/);
  });
});
