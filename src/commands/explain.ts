// `sweepdeck explain DB [--trial N] [--json]`: the formula a kept model learned, when its network is
// affine in its features (depth 0 or linear activations), with the held-out metric of the network,
// of the learned formula and of the formula with rounded exponents. Other networks: why not.
import { useReadStore, type ReadStore } from '../store/index.js';
import { problemData } from '../data/reload.js';
import {
  backendFor,
  collapseAffine,
  compareOnHeldOut,
  decodeModel,
  explainModel,
  explainTargets,
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
import { describeHeads } from './predict.js';
import { hasNamedTargets } from '../problem/targets.js';
import { EXIT_OK } from './errors.js';

type Print = (text: string) => void;

export async function explainCommand(location: string, options: { trial?: number; json?: boolean; sweep?: string }, print: Print, note: Print = () => {}): Promise<number> {
  // Through useReadStore, like the other read commands: on a damaged DB what could be read is
  // explained first, then the damage is named (exit 2).
  return useReadStore(location, (store) => explainFrom(store, options, print, note), options.sweep !== undefined ? { sweep: options.sweep } : {});
}

async function explainFrom(store: ReadStore, options: { trial?: number; json?: boolean }, print: Print, note: Print): Promise<number> {
  const dbPath = store.location;
  const artifact: TrialArtifact = await loadArtifact(store, dbPath, options.trial);
  const alternative = await bestClosedForm(store, artifact.trial.number);
  if (hasNamedTargets(artifact.spec.problem)) return explainSeveral(artifact, alternative, options, print, note);
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
  const heldOut = (await problemData(artifact.spec, `explain ${dbPath}`)).validation;
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
  return `trial ${trial.number} of sweep ${artifact.sweep.name} (${spec.metric.name} ${formatMetric(trial.value)} on its held-out set): features ${config.features}, ${describeHeads(config.model.head)}`;
}

function describeNetwork(artifact: TrialArtifact): string {
  const { layerSizes, activations } = artifact.model;
  const depth = layerSizes.length - 2;
  const outputs = artifact.model.outputs;
  const shape = `${layerSizes[0]} features → ${layerSizes.slice(1, -1).map(String).concat(outputs ? `${outputs.length} (${outputs.join(', ')})` : '1').join(' → ')}`;
  const separate = artifact.config.model.shared === false && outputs && outputs.length > 1 ? `, one network per target stored as one block-diagonal network` : '';
  if (separate) return depth === 0 ? `${shape} (depth 0: an affine map${separate})` : `${shape} (hidden activations: ${activations.join(', ')}${separate})`;
  return depth === 0 ? `${shape} (depth 0: an affine map)` : `${shape} (hidden activations: ${activations.join(', ')})`;
}

const sig = (value: number) => String(Number(value.toPrecision(6)));

function collapseWords(artifact: TrialArtifact): string {
  const depth = artifact.model.layerSizes.length - 2;
  return depth === 0 ? 'net is affine in the features' : `its ${depth === 1 ? 'linear hidden layer collapses' : `${depth} linear hidden layers collapse`} to one affine map of the features`;
}

function textReport(artifact: TrialArtifact, explanation: ClosedForm, comparison: HeldOutComparison): string {
  const collapse = collapseWords(artifact);
  return [header(artifact), `network: ${describeNetwork(artifact)}: ${collapse}`, '', ...closedFormLines(explanation, comparison)].join('\n');
}

/** The closed form of one output: net, its terms, exp(net), the learned and rounded formulas and their held-out metric. */
function closedFormLines(explanation: ClosedForm, comparison: HeldOutComparison): string[] {
  const r = explanation.rounding;
  const rounding = (what: string, constant: string) =>
    `rounded: ${r.rounded} of ${r.of} ${what}${r.constant ? ` and the ${constant}` : ''}, each within ${ROUND_TOLERANCE} of a simple rational p/q, q ≤ ${MAX_DENOMINATOR}`;
  const lines = [`net = ${explanation.net.learned}`, ''];
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
  return lines;
}

/**
 * Several targets: each output read back through its own head. An output may have a closed form
 * while another does not (a nonlinear hidden layer rules out every output of a shared network; with
 * one network per target stored block-diagonally, the same).
 */
async function explainSeveral(
  artifact: TrialArtifact,
  alternative: { number: number; value: number } | undefined,
  options: { json?: boolean },
  print: Print,
  note: Print,
): Promise<number> {
  const results = explainTargets(artifact);
  const anyClosed = results.some((r) => r.explanation.closedForm);
  let backend: Awaited<ReturnType<typeof backendFor>>['backend'] | undefined;
  let heldOut: { n: number; columns: Map<string, Float64Array> } | undefined;
  if (anyClosed) {
    const chosen = await backendFor(artifact.trial.backend);
    if (chosen.note) note(`note: ${chosen.note}`);
    backend = chosen.backend;
    heldOut = (await problemData(artifact.spec, `explain ${artifact.dbPath}`)).validation;
  }
  const predictor = anyClosed ? makePredictor(artifact) : undefined;
  const compared = results.map((r) => ({
    ...r,
    comparison: r.explanation.closedForm ? compareOnHeldOut(backend!, predictor!, r.explanation, heldOut!, r.target) : undefined,
  }));
  const recovered = compared.filter((r) => r.explanation.closedForm).map((r) => r.target);
  const missing = compared.filter((r) => !r.explanation.closedForm).map((r) => r.target);
  if (options.json) {
    print(
      JSON.stringify(
        {
          ...identity(artifact),
          closed_form: missing.length === 0,
          targets: compared.map(({ target, head, explanation, comparison }) =>
            explanation.closedForm ? { target, head, ...explanationJson(explanation, comparison!) } : { target, head, closed_form: false, reason: explanation.reason },
          ),
          best_closed_form_trial: missing.length && alternative ? alternative.number : null,
        },
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  const lines = [header(artifact), `network: ${describeNetwork(artifact)}`];
  for (const { target, head, explanation, comparison } of compared) {
    lines.push('', `── target ${target} (head ${head}) ──`);
    if (explanation.closedForm) lines.push(`${collapseWords(artifact)} for this output`, '', ...closedFormLines(explanation, comparison!));
    else lines.push(`no closed form: ${explanation.reason}`);
  }
  lines.push(
    '',
    `closed form recovered for ${recovered.length} of ${compared.length} targets${recovered.length ? `: ${recovered.join(', ')}` : ''}${missing.length ? `; none for ${missing.join(', ')}` : ''}`,
  );
  if (missing.length && alternative && !anyClosed) {
    lines.push(`the best kept trial with a closed form is trial ${alternative.number} (${artifact.spec.metric.name} ${formatMetric(alternative.value)}): sweepdeck explain ${artifact.dbPath} --trial ${alternative.number}`);
  }
  print(lines.join('\n'));
  return EXIT_OK;
}

function jsonReport(artifact: TrialArtifact, explanation: ClosedForm, comparison: HeldOutComparison) {
  return { ...identity(artifact), ...explanationJson(explanation, comparison) };
}

function explanationJson(explanation: ClosedForm, comparison: HeldOutComparison) {
  const rational = (r: { p: number; q: number } | undefined) => (r ? roundedText(r) : null);
  return {
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
