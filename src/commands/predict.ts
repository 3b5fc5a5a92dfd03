// `sweepdeck predict DB [--trial N] --input FILE|- [--check] [--json]`: a kept model's predictions
// on raw variables from a CSV, through the trial's own features and head. Rows outside the
// trained ranges are flagged (and the exit code says so); --check adds the target and the metric.
import { readFileSync } from 'node:fs';
import { backendFor, loadArtifactFromDb, makePredictor, predictRows, readInputCsv, type Predictions, type TrialArtifact } from '../artifacts/index.js';
import { summarize, type MetricSummary } from '../problem/summary.js';
import { formatMetric } from '../format.js';
import { renderTable } from './table.js';
import { EXIT_OK, UsageError } from './errors.js';

type Print = (text: string) => void;

/** Predictions were printed, but some rows lie outside what the model was trained on. */
export const EXIT_FLAGGED = 3;

export interface PredictOptions {
  trial?: number;
  sweep?: string;
  input: string;
  check?: boolean;
  json?: boolean;
}

export async function predictCommand(dbPath: string, options: PredictOptions, print: Print, note: Print = () => {}): Promise<number> {
  const source = options.input === '-' ? 'stdin' : options.input;
  const text = readInput(options.input);
  const artifact = await loadArtifactFromDb(dbPath, options.trial, options.sweep);
  const predictor = makePredictor(artifact);
  const rows = readInputCsv(text, source, predictor.inputs);
  const { backend, note: backendNote } = await backendFor(artifact.trial.backend);
  if (backendNote) note(`note: ${backendNote}`);
  const result = predictRows(backend, predictor, rows.columns, rows.n, { check: options.check ?? false });
  const flagged = result.flags.filter((f) => f.length > 0).length;
  const summaries = options.check ? checkSummaries(result) : undefined;

  if (options.json) {
    print(JSON.stringify(jsonReport(artifact, source, rows.lines, rows.columns, result, summaries), null, 2));
  } else {
    print(textReport(artifact, source, rows.lines, rows.columns, result, summaries));
  }
  return flagged > 0 ? EXIT_FLAGGED : EXIT_OK;
}

function readInput(input: string): string {
  try {
    return readFileSync(input === '-' ? 0 : input, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --input ${input}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`);
  }
}

/** Per metric: its summary over the rows in range (flagged rows are left out: they are extrapolations). */
function checkSummaries(result: Predictions): Map<string, { rows: number; summary: MetricSummary }> {
  const inRange = result.flags.map((f, i) => (f.length === 0 ? i : -1)).filter((i) => i >= 0);
  const out = new Map<string, { rows: number; summary: MetricSummary }>();
  for (const [name, values] of result.metrics!) out.set(name, { rows: inRange.length, summary: summarize(Float64Array.from(inRange, (i) => values[i]!)) });
  return out;
}

/** Seven significant digits (JavaScript's own exponent form below 1e-6 and from 1e21). */
export function formatValue(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(7))) : String(value);
}

function header(artifact: TrialArtifact): string {
  const { trial, spec, config } = artifact;
  return `trial ${trial.number} of sweep ${artifact.sweep.name} (${spec.metric.name} ${formatMetric(trial.value)} on its held-out set): features ${config.features}, head ${config.model.head}`;
}

function textReport(
  artifact: TrialArtifact,
  source: string,
  lines: number[],
  columns: Map<string, Float64Array>,
  result: Predictions,
  summaries: Map<string, { rows: number; summary: MetricSummary }> | undefined,
): string {
  const metric = artifact.spec.metric.name;
  const variables = Object.keys(artifact.spec.problem.variables);
  const head = ['line', ...variables, 'pred', ...(result.target ? ['target', metric] : []), 'note'];
  const body = lines.map((line, i) => [
    String(line),
    ...variables.map((v) => formatValue(columns.get(v)![i]!)),
    formatValue(result.pred[i]!),
    ...(result.target ? [formatValue(result.target[i]!), formatMetric(result.metrics!.get(metric)![i]!)] : []),
    result.flags[i]!.length ? `OUTSIDE: ${result.flags[i]!.join('; ')}` : '',
  ]);
  const out = [header(artifact), `${result.n} row${result.n === 1 ? '' : 's'} from ${source}`, '', renderTable(head, body)];
  const flagged = result.flags.filter((f) => f.length > 0).length;
  if (summaries) {
    const { rows, summary } = summaries.get(metric)!;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const over = flagged ? `the ${plural(rows, 'row')} in range (${plural(flagged, 'flagged row')} left out)` : plural(rows, 'row');
    out.push(
      '',
      `${metric} over ${over}: mean ${formatMetric(summary.mean)}, median ${formatMetric(summary.median)}, p90 ${formatMetric(summary.p90)}, max ${formatMetric(summary.max)}`,
      `recorded for trial ${artifact.trial.number} on the sweep's held-out set (${artifact.spec.problem.validation.size} points): ${formatMetric(artifact.trial.value)}`,
    );
  }
  if (flagged) {
    const rows = flagged === 1 ? `1 of ${result.n} rows lies` : `${flagged} of ${result.n} rows lie`;
    out.push('', `${rows} outside the ranges the model was trained on (marked OUTSIDE): ${flagged === 1 ? 'its prediction is an extrapolation' : 'their predictions are extrapolations'} (exit code ${EXIT_FLAGGED})`);
  }
  return out.join('\n');
}

function jsonReport(
  artifact: TrialArtifact,
  source: string,
  lines: number[],
  columns: Map<string, Float64Array>,
  result: Predictions,
  summaries: Map<string, { rows: number; summary: MetricSummary }> | undefined,
) {
  const variables = Object.keys(artifact.spec.problem.variables);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    db: artifact.dbPath,
    sweep: artifact.sweep.name,
    trial: artifact.trial.number,
    metric: { name: artifact.spec.metric.name, goal: artifact.spec.metric.goal, recorded: artifact.trial.value },
    input: source,
    flagged: result.flags.filter((f) => f.length > 0).length,
    rows: lines.map((line, i) => ({
      line,
      inputs: Object.fromEntries(variables.map((v) => [v, columns.get(v)![i]!])),
      net: finite(result.net[i]!),
      pred: finite(result.pred[i]!),
      in_range: result.flags[i]!.length === 0,
      flags: result.flags[i]!,
      ...(result.target
        ? { target: finite(result.target[i]!), metrics: Object.fromEntries([...result.metrics!].map(([name, values]) => [name, finite(values[i]!)])) }
        : {}),
    })),
    ...(summaries ? { check: Object.fromEntries([...summaries].map(([name, { rows, summary }]) => [name, { rows, ...summary }])) } : {}),
  };
}
