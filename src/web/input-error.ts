// Where the best model fails: its per-sample error on the sweep's validation set against each
// input variable (what `predict --check` computes, over the held-out points). The web view shows a
// sample of the points and the median error in quantile bins of each variable.
import type { ReadStore } from '../store/index.js';
import { backendFor, loadArtifact, makePredictor, predictRows } from '../artifacts/index.js';
import { problemData } from '../data/reload.js';
import type { InputErrorView } from './view-model.js';

/** Points per variable sent to the browser: enough to see the shape, few enough for a small report. */
const SAMPLE_POINTS = 1500;
const BINS = 24;

export async function inputError(store: ReadStore, dbPath: string, trialNumber: number): Promise<InputErrorView> {
  try {
    const artifact = await loadArtifact(store, dbPath, trialNumber);
    const predictor = makePredictor(artifact);
    const { backend } = await backendFor(artifact.trial.backend);
    // A data problem's held-out rows are read again from its recorded files.
    const validation = (await problemData(artifact.spec, `the web view of ${dbPath}`)).validation;
    const result = predictRows(backend, predictor, validation.columns, validation.n, { check: true });
    // The per-sample metric the sweep metric summarises (predictRows puts it first): with several
    // targets and an aggregate sweep metric such as max of rel_l1, its first member's (rel_l1.y1).
    const [metric, error] = [...result.metrics!][0]!;
    const every = Math.max(1, Math.ceil(validation.n / SAMPLE_POINTS));
    // The inputs that vary: a sampled problem's non-constant variables, or a data problem's input columns.
    const inputs = artifact.spec.problem.data
      ? artifact.spec.problem.data.inputs.map((name) => ({ name, log: false }))
      : Object.entries(artifact.spec.problem.variables)
          .filter(([, v]) => v.value === undefined)
          .map(([name, v]) => ({ name, log: v.distribution === 'log_uniform' }));
    const variables = inputs
      .map(({ name, log }) => {
        const x = validation.columns.get(name)!;
        const sampleX: number[] = [];
        const sampleError: number[] = [];
        for (let i = 0; i < validation.n; i += every) {
          if (!Number.isFinite(error[i]!)) continue;
          sampleX.push(x[i]!);
          sampleError.push(error[i]!);
        }
        return { name, log, x: sampleX, error: sampleError, bins: quantileBins(x, error, validation.n) };
      });
    return { ok: true, trial: trialNumber, metric, points: validation.n, variables };
  } catch (failure) {
    return { ok: false, reason: `the error of trial ${trialNumber}'s model could not be computed: ${(failure as Error).message}` };
  }
}

/** The median error within each of BINS equal-count bins of x, at the bin's median x. */
function quantileBins(x: Float64Array, error: Float64Array, n: number): { x: number; median: number }[] {
  const order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => Number.isFinite(error[i]!) && Number.isFinite(x[i]!))
    .sort((a, b) => x[a]! - x[b]!);
  const bins: { x: number; median: number }[] = [];
  const size = Math.max(1, Math.floor(order.length / BINS));
  for (let start = 0; start + size <= order.length; start += size) {
    const slice = order.slice(start, start + size);
    const errors = slice.map((i) => error[i]!).sort((a, b) => a - b);
    bins.push({ x: x[slice[Math.floor(slice.length / 2)]!]!, median: errors[Math.floor(errors.length / 2)]! });
  }
  return bins;
}
