// `sweepdeck explain DB [--trial N] [--json]`: the formula a kept model learned, when its network is
// affine in its features (depth 0 or linear activations), with the held-out metric of the network,
// of the learned formula and of the formula with rounded exponents. Other networks: why not.
import { openReadStore, type ReadStore } from '../store/index.js';
import { ProblemData } from '../train/data.js';
import {
  backendFor,
  collapseAffine,
  compareOnHeldOut,
  decodeModel,
  explainModel,
  loadArtifact,
  makePredictor,
  roundedText,
  MAX_DENOMINATOR,
  ROUND_TOLERANCE,
  type ClosedForm,
  type HeldOutComparison,
  type TrialArtifact,
} from '../artifacts/index.js';
import { formatMetric } from '../format.js';
import { renderTable } from './table.js';
import { EXIT_OK } from './errors.js';

type Print = (text: string) => void;

export async function explainCommand(location: string, options: { trial?: number; json?: boolean; sweep?: string }, print: Print, note: Print = () => {}): Promise<number> {
  const store = await openReadStore(location, options.sweep !== undefined ? { sweep: options.sweep } : {});
  const dbPath = store.location;
  let artifact: TrialArtifact;
  let alternative: { number: number; value: number } | undefined;
  try {
    artifact = await loadArtifact(store, dbPath, options.trial);
    alternative = await bestClosedForm(store, artifact.trial.number);
  } finally {
    await store.close();
  }
  const explanation = explainModel(artifact);
  if (!explanation.closedForm) {
    if (options.json) {
      print(JSON.stringify({ ...identity(artifact), closed_form: false, reason: explanation.reason, best_closed_form_trial: alternative?.number ?? null }, null, 2));
    } else {
      const lines = [header(artifact), `network: ${describeNetwork(artifact)}`, '', `no closed form: ${explanation.reason}`];
      if (alternative) {
        lines.push(`the best kept trial with a closed form is trial ${alternative.number} (${artifact.spec.metric.name} ${formatMetric(alternative.value)}): sweepdeck explain ${dbPath} --trial ${alternative.number}`);
      }
      print(lines.join('\n'));
    }
    return EXIT_OK;
  }

  const { backend, note: backendNote } = await backendFor(artifact.trial.backend);
  if (backendNote) note(`note: ${backendNote}`);
  const heldOut = new ProblemData(artifact.spec).validation;
  const comparison = compareOnHeldOut(backend, makePredictor(artifact), explanation, heldOut);
  print(options.json ? JSON.stringify(jsonReport(artifact, explanation, comparison), null, 2) : textReport(artifact, explanation, comparison));
  return EXIT_OK;
}

/** Among kept models other than `except`, the best whose network collapses to an affine map. */
async function bestClosedForm(store: ReadStore, except: number): Promise<{ number: number; value: number } | undefined> {
  for (const kept of await store.keptModels()) {
    if (kept.number === except) continue;
    const blob = await store.modelBlob(kept.number);
    try {
      if (blob && collapseAffine(decodeModel(blob.data)).ok) return { number: kept.number, value: kept.value };
    } catch {
      // An unreadable blob is reported when that trial is asked for; here it is simply no candidate.
    }
  }
  return undefined;
}

function identity(artifact: TrialArtifact) {
  return {
    db: artifact.dbPath,
    sweep: artifact.sweep.name,
    trial: artifact.trial.number,
    metric: { name: artifact.spec.metric.name, goal: artifact.spec.metric.goal, recorded: artifact.trial.value },
    features: { set: artifact.config.features, formulas: artifact.config.featureFormulas },
    head: artifact.config.model.head,
    network: { layer_sizes: artifact.model.layerSizes, activations: artifact.model.activations },
  };
}

function header(artifact: TrialArtifact): string {
  const { trial, spec, config } = artifact;
  return `trial ${trial.number} of sweep ${artifact.sweep.name} (${spec.metric.name} ${formatMetric(trial.value)} on its held-out set): features ${config.features}, head ${config.model.head}`;
}

function describeNetwork(artifact: TrialArtifact): string {
  const { layerSizes, activations } = artifact.model;
  const depth = layerSizes.length - 2;
  const shape = `${layerSizes[0]} features → ${layerSizes.slice(1, -1).map(String).concat('1').join(' → ')}`;
  return depth === 0 ? `${shape} (depth 0: an affine map)` : `${shape} (hidden activations: ${activations.join(', ')})`;
}

const sig = (value: number) => String(Number(value.toPrecision(6)));

function textReport(artifact: TrialArtifact, explanation: ClosedForm, comparison: HeldOutComparison): string {
  const depth = artifact.model.layerSizes.length - 2;
  const collapse = depth === 0 ? 'net is affine in the features' : `its ${depth === 1 ? 'linear hidden layer collapses' : `${depth} linear hidden layers collapse`} to one affine map of the features`;
  const r = explanation.rounding;
  const rounding = (what: string, constant: string) =>
    `rounded: ${r.rounded} of ${r.of} ${what}${r.constant ? ` and the ${constant}` : ''}, each within ${ROUND_TOLERANCE} of a simple rational p/q, q ≤ ${MAX_DENOMINATOR}`;
  const lines = [header(artifact), `network: ${describeNetwork(artifact)}: ${collapse}`, '', `net = ${explanation.net.learned}`, ''];
  const powers = explanation.expNet !== undefined;
  lines.push(
    renderTable(
      ['feature', 'coefficient', ...(powers ? ['power of', 'exponent'] : []), 'rounded'],
      explanation.terms.map((t) => [
        t.formula,
        sig(t.coefficient),
        ...(powers ? [t.power?.base ?? '(not a log)', t.power ? sig(t.power.exponent) : ''] : []),
        powers && t.power ? roundedText(t.power.rounded) : roundedText(t.roundedCoefficient),
      ]),
    ),
    '',
  );
  if (explanation.expNet) {
    lines.push(`exp(net) = ${explanation.expNet.learned}`, `        ≈ ${explanation.expNet.rounded}`, `(${rounding('exponents', 'constant factor')})`, '');
  } else {
    lines.push(`the head has no exp(net): the affine net itself is the formula (${rounding('coefficients', 'intercept')})`, '');
  }
  if (explanation.form === 'mixed') lines.push('(the head uses net both inside and outside exp(net); each is replaced by its formula)', '');
  lines.push(`learned formula: pred = ${explanation.pred.learned}`, `rounded formula: pred = ${explanation.pred.rounded}`, '');
  const m = comparison.metric;
  lines.push(
    `held-out ${m} (${comparison.n} points): network ${formatMetric(comparison.network)} (recorded ${formatMetric(comparison.recorded)}), learned formula as printed ${formatMetric(comparison.learned)}, rounded formula ${formatMetric(comparison.rounded)}`,
  );
  return lines.join('\n');
}

function jsonReport(artifact: TrialArtifact, explanation: ClosedForm, comparison: HeldOutComparison) {
  const rational = (r: { p: number; q: number } | undefined) => (r ? roundedText(r) : null);
  return {
    ...identity(artifact),
    closed_form: true,
    form: explanation.form,
    intercept: explanation.intercept,
    terms: explanation.terms.map((t) => ({
      feature: t.formula,
      coefficient: t.coefficient,
      rounded_coefficient: rational(t.roundedCoefficient),
      ...(t.power ? { base: t.power.base, exponent: t.power.exponent, rounded_exponent: rational(t.power.rounded) } : {}),
    })),
    net: explanation.net,
    ...(explanation.expNet ? { exp_net: explanation.expNet } : {}),
    pred: explanation.pred,
    rounding: explanation.rounding,
    held_out: { points: comparison.n, metric: comparison.metric, recorded: comparison.recorded, network: comparison.network, learned: comparison.learned, rounded: comparison.rounded },
  };
}
