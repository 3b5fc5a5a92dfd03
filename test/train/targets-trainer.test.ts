// Training several targets in one trial: one network with an output per target (model.shared,
// the default) or one network per target, stored as one block-diagonal network whose outputs
// reproduce what the trial recorded. And one named target trains exactly as the shorthand does.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSweepText } from '../../src/spec/load.js';
import { resolveTrial } from '../../src/spec/resolve.js';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { ProblemData } from '../../src/train/data.js';
import { trainTrial, type MetricValues } from '../../src/train/trainer.js';
import { forwardOutputs } from '../../src/artifacts/forward.js';
import { packFeatures, featureColumns } from '../../src/problem/dataset.js';
import { summarize } from '../../src/problem/summary.js';
import { TWO_TARGET_SWEEP } from '../helpers/two-targets.js';
import type { SweepSpec, TrialConfig } from '../../src/spec/types.js';

function trialOf(spec: SweepSpec, params: Record<string, unknown> = {}): TrialConfig {
  const resolved = resolveTrial(spec, 0, params);
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.config;
}

function train(backend: LoadedBackend, spec: SweepSpec, config: TrialConfig) {
  const data = new ProblemData(spec);
  const evals: MetricValues[] = [];
  const outcome = trainTrial(backend, spec, data, config, { onEval: (_step, metrics) => void evals.push(metrics), shouldStop: () => false });
  return { outcome, evals, data };
}

const ONE = `name: one
method: grid
metric: { name: rel_l1 }
problem:
  variables:
    a: { min: 1, max: 2 }
    b: { min: 1, max: 2 }
  target: 3*a + 2*b + 1
  scale: 3*a + 2*b + 1
  validation: { size: 512 }
features:
  raw: [a, b]
model: { depth: 1, width: 4, activation: tanh }
training: { lr: 0.05, batch_size: 64, steps: 100, eval_every: 50 }
`;

describe('several targets: training', () => {
  let backend: LoadedBackend;
  beforeAll(async () => {
    backend = await loadBackend('cpu');
  });

  it('one named target trains bit for bit as the target: shorthand does', () => {
    const named = ONE.replace('  target: 3*a + 2*b + 1\n', '  targets: { y: 3*a + 2*b + 1 }\n').replace('metric: { name: rel_l1 }', 'metric: { name: rel_l1.y }');
    const a = loadSweepText('one.yaml', ONE).spec;
    const b = loadSweepText('named.yaml', named).spec;
    const first = train(backend, a, trialOf(a));
    const second = train(backend, b, trialOf(b));
    expect(first.outcome.state).toBe('complete');
    expect(second.outcome.value).toBe(first.outcome.value);
    for (const [i, metrics] of first.evals.entries()) {
      for (const key of ['rel_l1', 'rel_l1.median', 'rel_l1.p90', 'rel_l1.max', 'train_loss']) {
        expect(second.evals[i]![key === 'train_loss' ? key : key.replace('rel_l1', 'rel_l1.y')]).toBe(metrics[key]);
      }
    }
    expect(Buffer.from(second.outcome.model!.kernels[1]!.buffer)).toEqual(Buffer.from(first.outcome.model!.kernels[1]!.buffer));
    expect(second.outcome.model!.outputs).toEqual(['y']);
    expect(first.outcome.model!.outputs).toBeUndefined();
  });

  it.each([true, false])('shared: %s learns both targets, records each one’s metrics and the aggregate, and stores outputs that reproduce them', (shared) => {
    const text = TWO_TARGET_SWEEP.replace('  depth: 0', '  depth: 1\n  width: 3\n  activation: linear');
    const { spec } = loadSweepText('two.yaml', text);
    const { outcome, data } = train(backend, spec, trialOf(spec, { 'model.shared': shared }));
    expect(outcome.state).toBe('complete');
    const m = outcome.metrics;
    expect(m['rel_l1.prod']).toBeLessThan(0.05);
    expect(m['rel_l1.ratio']).toBeLessThan(0.05);
    expect(m.worst).toBe(Math.max(m['rel_l1.prod']!, m['rel_l1.ratio']!));
    for (const key of ['rel_l1.prod.median', 'rel_l1.prod.p90', 'rel_l1.prod.max', 'rel_l1.ratio.median', 'rel_l1.ratio.p90', 'rel_l1.ratio.max']) {
      expect(Number.isFinite(m[key])).toBe(true);
    }
    expect(outcome.value).toBe(m.worst);
    const model = outcome.model!;
    expect(model.outputs).toEqual(['prod', 'ratio']);
    // Separate networks are stored as one block-diagonal network: twice the width, two outputs.
    expect(model.layerSizes).toEqual(shared ? [2, 3, 2] : [2, 6, 2]);
    if (!shared) {
      // Network 0's hidden units feed only output 0; network 1's only output 1.
      const k = model.kernels[1]!;
      for (let r = 0; r < 6; r++) expect(k[r * 2 + (r < 3 ? 1 : 0)]).toBe(0);
    }
    const n = data.validation.n;
    const features = packFeatures(featureColumns(data.problem, 'log', data.validation.columns, n), model.norm, n);
    const nets = forwardOutputs(backend, model, features, n);
    (['prod', 'ratio'] as const).forEach((name, j) => {
      const target = data.validation.columns.get(`target.${name}`)!;
      const scale = data.validation.columns.get(`scale.${name}`)!;
      const rel = Float64Array.from(nets[j]!, (v, i) => Math.abs(Math.exp(v) - target[i]!) / scale[i]!);
      expect(summarize(rel).mean).toBeCloseTo(m[`rel_l1.${name}`]!, 6);
    });
  });
});
