// Which trials pack together, and how many per pack: the shape key, and `pack: auto | off | K`.
import { describe, expect, it } from 'vitest';
import { loadSweepText } from '../../src/spec/load.js';
import { resolveTrial } from '../../src/spec/resolve.js';
import { packCapacity, packKey, packSize } from '../../src/run/pack-plan.js';
import type { SweepSpec, TrialConfig } from '../../src/spec/types.js';
import { TWO_TARGET_SWEEP } from '../helpers/two-targets.js';

const SPEC = `name: shapes
method: grid
metric: { name: rel_l1 }
parameters:
  training.lr: { values: [0.01] }
problem:
  variables:
    a: { min: 1, max: 2 }
  target: 3 * a
  scale: 3 * a
  validation: { size: 64 }
features:
  raw: [a]
  log: [log(a)]
model: { depth: 2, width: 16, activation: [tanh, elu] }
training: { batch_size: 64, steps: 100, eval_every: 20 }
`;

function configOf(spec: SweepSpec, params: Record<string, unknown>): TrialConfig {
  const resolved = resolveTrial(spec, 0, { 'training.lr': 0.01, ...params });
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.config;
}

describe('packKey', () => {
  const spec = loadSweepText('shapes.yaml', SPEC).spec;
  const key = (params: Record<string, unknown>) => packKey(spec, configOf(spec, params));

  it("is the same for trials that differ only in what is each member's own", () => {
    const base = key({});
    for (const own of [
      { 'training.lr': 0.3 },
      { 'training.optimizer': 'sgd' },
      { 'training.schedule': 'cosine' },
      { 'training.grad_clip': 1 },
      { 'training.steps': 400 },
      { 'training.seed': 9 },
      { 'model.initializer': 'he_normal' },
      { 'model.head': 'scale * (1 + net)' },
      { 'training.loss': '((pred - target) / scale)^2' },
    ]) {
      expect(key(own), JSON.stringify(own)).toBe(base);
    }
  });

  it('differs for a different shape or training data', () => {
    const base = key({});
    for (const other of [
      { features: 'log' },
      { 'model.width': 32 },
      { 'model.depth': 1, 'model.activation': 'tanh' },
      { 'model.activation': 'relu' },
      { 'model.input_norm': 'none' },
      { 'training.batch_size': 32 },
      { 'training.eval_every': 50 },
      { 'problem.train.seed': 3 },
      { 'problem.train.size': 512 },
    ]) {
      expect(key(other), JSON.stringify(other)).not.toBe(base);
    }
  });

  it('takes the seed in for a finite training set (shuffled with it), not for a stream', () => {
    expect(key({ 'training.seed': 1 })).toBe(key({ 'training.seed': 2 }));
    expect(key({ 'problem.train.size': 512, 'training.seed': 1 })).not.toBe(key({ 'problem.train.size': 512, 'training.seed': 2 }));
  });

  it('is null for one network per target, which is always trained alone', () => {
    const two = loadSweepText('two.yaml', TWO_TARGET_SWEEP).spec;
    expect(packKey(two, configOf(two, { 'model.shared': false }))).toBeNull();
    expect(packKey(two, configOf(two, { 'model.shared': true }))).not.toBeNull();
  });
});

describe('packSize and packCapacity', () => {
  const spec = loadSweepText('shapes.yaml', SPEC).spec;
  const tpe = loadSweepText('tpe.yaml', SPEC.replace('method: grid', 'method: tpe\nrun_cap: 10').replace('training.lr: { values: [0.01] }', 'training.lr: { distribution: log_uniform, min: 0.001, max: 0.1 }')).spec;
  const width = (w: number, depth = 2) => configOf(spec, { 'model.width': w, 'model.depth': depth, ...(depth === 2 ? {} : { 'model.activation': 'tanh' }) });

  it('off is 1, K is K (at most 64), auto is what pays on the backend', () => {
    expect(packSize('off', 'wasm', spec)).toBe(1);
    expect(packSize(5, 'cpu', spec)).toBe(5);
    expect(packSize(500, 'wasm', spec)).toBe(64);
    expect(packSize('auto', 'wasm', spec)).toBe(8);
    expect(packSize('auto', 'tensorflow', spec)).toBe(8);
    expect(packSize('auto', 'cpu', spec)).toBe(1);
    // TPE proposes with less history when packs are claimed ahead: packed only when asked.
    expect(packSize('auto', 'wasm', tpe)).toBe(1);
    expect(packSize(4, 'wasm', tpe)).toBe(4);
  });

  it('auto on wasm packs by width: 8 up to 16 (and affine networks), 4 up to 32, none wider; an explicit K for every shape', () => {
    const auto = packCapacity('auto', 'wasm', spec);
    expect(auto(width(16))).toBe(8);
    expect(auto(width(64, 0))).toBe(8);
    expect(auto(width(32))).toBe(4);
    expect(auto(width(64))).toBe(1);
    expect(packCapacity(6, 'wasm', spec)(width(256))).toBe(6);
    expect(packCapacity('auto', 'tensorflow', spec)(width(256))).toBe(8);
  });
});
