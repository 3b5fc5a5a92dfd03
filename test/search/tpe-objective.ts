// A synthetic search problem with a known optimum, shaped like sweepdeck's own spaces: categorical
// head × loss with an interaction, a log-scale learning rate whose best value depends on the head,
// an int log-scale width whose best value depends on the loss, a small int depth, and one
// categorical parameter that does not matter. The optimum is 0, at head=scaled, loss=log,
// lr=10^-1.5, width=64, depth=2 (any schedule).
import type { Parameter, Params } from '../../src/search/space.js';
import { makePlanner, type TrialRecord } from '../../src/search/planner.js';
import type { TpeOptions } from '../../src/search/tpe.js';

export const SPACE: Parameter[] = [
  { path: 'model.head', distribution: { type: 'categorical', choices: ['net', 'exp', 'scaled', 'affine'] } },
  { path: 'training.loss', distribution: { type: 'categorical', choices: ['rel', 'log'] } },
  { path: 'training.lr', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true } },
  { path: 'model.width', distribution: { type: 'int', low: 4, high: 256, log: true, step: 1 } },
  { path: 'model.depth', distribution: { type: 'int', low: 0, high: 4, log: false, step: 1 } },
  { path: 'training.schedule', distribution: { type: 'categorical', choices: ['none', 'cosine'] } },
];

const LR_OPT: Record<string, number> = { net: -3, exp: -2, scaled: -1.5, affine: -4 };

export function objective(p: Params): number {
  const head = p['model.head'] as string;
  const loss = p['training.loss'] as string;
  const base = head === 'scaled' ? (loss === 'log' ? 0 : 2) : head === 'exp' && loss === 'log' ? 1 : 3;
  const lr = Math.log10(p['training.lr'] as number) - LR_OPT[head]!;
  const width = Math.log2(p['model.width'] as number) - (loss === 'log' ? 6 : 3);
  const depth = (p['model.depth'] as number) - 2;
  return base + 0.5 * lr * lr + 0.15 * width * width + 0.3 * depth * depth;
}

/**
 * Runs a simulated sweep of `trials` trials on `workers` workers: each trial takes 1–3 time units
 * (fixed by its number), so trials finish out of order, and each ask sees the finished trials and
 * the running ones, as the orchestrator's history does. Returns the best value found.
 */
export function simulate(options: {
  method: 'random' | 'tpe';
  seed: number;
  trials: number;
  workers?: number;
  tpe?: TpeOptions;
  goal?: 'minimize' | 'maximize';
  f?: (p: Params) => number;
}): { best: number; history: TrialRecord[] } {
  const f = options.f ?? objective;
  const goal = options.goal ?? 'minimize';
  const planner = makePlanner({
    method: options.method,
    parameters: SPACE,
    trialCount: options.trials,
    seed: options.seed,
    ...(options.tpe ? { tpe: options.tpe } : {}),
    metric: { goal },
  });
  const workers = options.workers ?? 1;
  const history: TrialRecord[] = [];
  const running: { record: TrialRecord; done: number; value: number }[] = [];
  let time = 0;
  let next = 0;
  while (next < options.trials || running.length) {
    while (running.length < workers && next < options.trials) {
      const number = next++;
      const params = planner.ask(number, history);
      const record: TrialRecord = { number, params, state: 'running', value: null, step: null };
      history.push(record);
      running.push({ record, done: time + 1 + (number * 7919) % 3, value: f(params) });
    }
    running.sort((a, b) => a.done - b.done || a.record.number - b.record.number);
    const finished = running.shift()!;
    time = finished.done;
    finished.record.state = 'complete';
    finished.record.value = finished.value;
    finished.record.step = 100;
  }
  const values = history.map((t) => t.value!);
  return { best: goal === 'minimize' ? Math.min(...values) : Math.max(...values), history };
}
