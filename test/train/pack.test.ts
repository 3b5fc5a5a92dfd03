// Packed trials against the same trials trained alone: every member's curve, outcome and kept
// model must be its solo run's (bit for bit with the lockstep engine, to float32 tolerance with the
// stacked one), whatever the other members do: diverge, get pruned, or stop.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSweepText } from '../../src/spec/load.js';
import { resolveTrial } from '../../src/spec/resolve.js';
import { loadBackend, type LoadedBackend } from '../../src/train/backend.js';
import { ProblemData } from '../../src/train/data.js';
import { trainTrial, type MetricValues, type TrainHooks, type TrialOutcome } from '../../src/train/trainer.js';
import { trainPack, type PackEngineName } from '../../src/train/pack.js';
import type { SweepSpec, TrialConfig } from '../../src/spec/types.js';

const SPEC = `name: pack
method: grid
metric: { name: rel_l1 }
problem:
  variables:
    a: { min: 1, max: 2 }
    b: { min: 1, max: 3 }
  target: a * b + a / b
  scale: a * b + a / b
  validation: { size: 600 }
features:
  raw: [a, b]
model: { depth: 2, width: 8, activation: [tanh, elu] }
training: { lr: 0.01, batch_size: 100, steps: 240, eval_every: 40 }
`;

/**
 * The members: every optimiser, two heads and losses, two seeds, a clip and a schedule. (Adam at
 * lr 0.01 on this problem turns a 1e-8 rounding difference into a few percent by step 160, as any
 * other summation order would, the cpu backend's against wasm's included: too chaotic to compare.)
 */
const MEMBERS: Record<string, unknown>[] = [
  { 'training.optimizer': 'adam', 'training.lr': 0.003 },
  { 'training.optimizer': 'rmsprop', 'training.lr': 0.003, 'training.seed': 7 },
  { 'training.optimizer': 'sgd', 'training.lr': 0.05, 'model.head': 'scale * (1 + net)', 'training.loss': '((pred - target) / scale)^2' },
  { 'training.optimizer': 'momentum', 'training.lr': 0.01, 'training.grad_clip': 0.5, 'training.schedule': 'cosine' },
];

type Curve = [number, MetricValues][];

function configOf(spec: SweepSpec, number: number, params: Record<string, unknown>): TrialConfig {
  const resolved = resolveTrial(spec, number, params);
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.config;
}

/** Hooks that record the curve; `pruneAt` / `stopAfter` end the trial there. */
function recorder(pruneAt = Infinity, stopAfter = Infinity): { hooks: TrainHooks; curve: Curve } {
  const curve: Curve = [];
  let polls = 0;
  return {
    curve,
    hooks: {
      onEval: (step, metrics) => {
        curve.push([step, metrics]);
        return step >= pruneAt ? 'prune' : 'continue';
      },
      shouldStop: () => ++polls > stopAfter,
    },
  };
}

/** The metrics that must agree (steps_per_s is a timing). */
const compared = (curve: Curve) => curve.map(([step, m]) => [step, { ...m, steps_per_s: 0 }] as const);

function expectClose(packed: Curve, solo: Curve, exact: boolean) {
  expect(packed.map(([s]) => s)).toEqual(solo.map(([s]) => s));
  if (exact) {
    expect(compared(packed)).toEqual(compared(solo));
    return;
  }
  packed.forEach(([, m], i) => {
    const alone = solo[i]![1];
    for (const key of Object.keys(alone)) {
      if (key === 'steps_per_s') continue;
      const a = m[key]!;
      const b = alone[key]!;
      // float32 tolerance, after a few hundred steps of training.
      expect(Math.abs(a - b), `member curve ${key} at step ${packed[i]![0]}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(b)));
    }
  });
}

function expectSameModel(packed: TrialOutcome, solo: TrialOutcome, exact: boolean) {
  expect(packed.model!.layerSizes).toEqual(solo.model!.layerSizes);
  expect(packed.model!.norm).toEqual(solo.model!.norm);
  packed.model!.kernels.forEach((kernel, layer) => {
    const alone = solo.model!.kernels[layer]!;
    if (exact) expect([...kernel]).toEqual([...alone]);
    else kernel.forEach((w, i) => expect(Math.abs(w - alone[i]!)).toBeLessThan(1e-3));
  });
}

describe.each([
  ['cpu', 'lockstep'],
  ['cpu', 'stacked'],
  ['wasm', 'lockstep'],
  ['wasm', 'stacked'],
] as const)('trainPack on %s, %s', (backendName, engine: PackEngineName) => {
  let backend: LoadedBackend;
  let spec: SweepSpec;
  let data: ProblemData;
  const exact = engine === 'lockstep';
  const solo = new Map<number, { outcome: TrialOutcome; curve: Curve }>();
  beforeAll(async () => {
    backend = await loadBackend(backendName);
    spec = loadSweepText('pack.yaml', SPEC).spec;
    data = new ProblemData(spec);
    MEMBERS.forEach((params, i) => {
      const { hooks, curve } = recorder();
      solo.set(i, { outcome: trainTrial(backend, spec, data, configOf(spec, i, params), hooks), curve });
    });
  });

  it("trains every member as it trains alone: the same curve, outcome and kept model", () => {
    const recorders = MEMBERS.map(() => recorder());
    const endedOrder: number[] = [];
    const outcomes = trainPack(
      backend,
      spec,
      data,
      MEMBERS.map((params, i) => configOf(spec, i, params)),
      recorders.map((r) => r.hooks),
      { engine, ended: (member) => endedOrder.push(member) },
    );
    expect(endedOrder.sort()).toEqual([0, 1, 2, 3]);
    outcomes.forEach((outcome, i) => {
      const alone = solo.get(i)!;
      expect(outcome.state).toBe('complete');
      expect(alone.outcome.state).toBe('complete');
      expectClose(recorders[i]!.curve, alone.curve, exact);
      expectSameModel(outcome, alone.outcome, exact);
    });
    // The members did learn, differently: the pack is not one trial copied four times.
    const finals = outcomes.map((o) => o.value!);
    expect(new Set(finals).size).toBe(4);
    expect(Math.min(...finals)).toBeLessThan(0.05);
  });

  it('a member that diverges fails alone, one pruned leaves at its step, one stopped leaves; the rest are unchanged', () => {
    const members = [
      ...MEMBERS,
      { 'training.optimizer': 'sgd', 'training.lr': 1e30 }, // diverges at once
    ];
    const recorders = members.map((_, i) => (i === 1 ? recorder(80) : i === 2 ? recorder(Infinity, 100) : recorder()));
    const ended: [number, string, number][] = [];
    const outcomes = trainPack(
      backend,
      spec,
      data,
      members.map((params, i) => configOf(spec, i, params)),
      recorders.map((r) => r.hooks),
      { engine, ended: (member, outcome) => ended.push([member, outcome.state, outcome.step]) },
    );
    expect(outcomes[4]!.state).toBe('failed');
    expect(outcomes[4]!.error).toMatch(/diverged/);
    expect(outcomes[1]!.state).toBe('pruned');
    expect(outcomes[1]!.step).toBe(80);
    expect(outcomes[2]!.state).toBe('stopped');
    expect(outcomes[2]!.step).toBe(100);
    // Each left the pack as it ended, the diverged one first.
    expect(ended[0]![0]).toBe(4);
    expect(ended.find(([m]) => m === 1)).toEqual([1, 'pruned', 80]);
    for (const i of [0, 3]) {
      expect(outcomes[i]!.state).toBe('complete');
      expectClose(recorders[i]!.curve, solo.get(i)!.curve, exact);
      expectSameModel(outcomes[i]!, solo.get(i)!.outcome, exact);
    }
    // The pruned and stopped members' curves up to where they left are their solo runs' too.
    expectClose(recorders[1]!.curve, solo.get(1)!.curve.slice(0, 2), exact);
    expectClose(recorders[2]!.curve, solo.get(2)!.curve.slice(0, 2), exact);
  });

  it('frees every tensor it made', () => {
    const before = backend.tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      trainPack(backend, spec, data, MEMBERS.map((params, i) => configOf(spec, i, { ...params, 'training.steps': 40 })), MEMBERS.map(() => recorder().hooks), { engine });
    }
    expect(backend.tf.memory().numTensors).toBe(before);
  });
});
