// `sweepdeck predict DB [--trial N] --input FILE|- [--format F] [--check] [--json]`: a kept model's
// predictions on raw variables from a data file (CSV, TSV, JSON Lines, Parquet or Arrow, as a
// sweep's data may be; stdin is CSV), through the trial's own features and head. Rows outside the
// trained ranges are flagged (and the exit code says so); --check adds the target and the metric.
import { readBoundedInput } from '../input/bounded-read.js';
import { backendFor, loadArtifactFromDb, makePredictor, predictRows, readInputCsv, readInputTable, type InputRows, type InputVariable, type Predictions, type TrialArtifact } from '../artifacts/index.js';
import { formatOf, type TableFormat } from '../data/read-table.js';
import { TABLE_FORMATS } from '../spec/schema.js';
import { didYouMean } from '../formula/index.js';
import { summarize, type MetricSummary } from '../problem/summary.js';
import { validationRowCount } from '../problem/data-source.js';
import { inputNames } from '../spec/names.js';
import { formatMetric } from '../format.js';
import { renderTableLines } from './table.js';
import { metricKey } from '../problem/targets.js';
import { baseMetricOf } from '../spec/resolve.js';
import { EXIT_OK, UsageError } from './errors.js';

type Print = (text: string) => void;

/** The most of a CSV read (about 4 million rows of a few columns); a larger input is refused, not half-read. */
export const MAX_INPUT_BYTES = 128 << 20;

/** Lines printed per call: a table of a million rows goes out in pieces, never as one string. */
const LINES_PER_PRINT = 2000;

/** Predictions were printed, but some rows lie outside what the model was trained on. */
export const EXIT_FLAGGED = 3;

export interface PredictOptions {
  trial?: number;
  sweep?: string;
  input: string;
  /** The input's format (default: by its extension, and CSV for stdin or any other name). */
  format?: string;
  check?: boolean;
  json?: boolean;
}

const FORMATS: readonly TableFormat[] = TABLE_FORMATS;

export async function predictCommand(dbPath: string, options: PredictOptions, print: Print, note: Print = () => {}): Promise<number> {
  const source = options.input === '-' ? 'stdin' : options.input;
  const format = inputFormat(options);
  const artifact = await loadArtifactFromDb(dbPath, options.trial, options.sweep);
  const predictor = makePredictor(artifact);
  const rows = await readRows(options.input, source, format, options.check ? [...predictor.inputs, ...predictor.checkInputs] : predictor.inputs);
  const { backend, note: backendNote } = await backendFor(artifact.trial.backend);
  if (backendNote) note(`note: ${backendNote}`);
  const result = predictRows(backend, predictor, rows.columns, rows.n, { check: options.check ?? false });
  const flagged = result.flags.filter((f) => f.length > 0).length;
  const summaries = options.check ? checkSummaries(result) : undefined;
  const targets: TargetColumnNames = { named: predictor.problem.namedTargets, list: predictor.targets.map((t) => ({ name: t.name, pred: t.predColumn, target: t.targetColumn })) };

  if (options.json) {
    printJson(jsonReport(artifact, source, rows, result, summaries, targets), print);
  } else {
    printInPieces(textReport(artifact, source, rows, result, summaries, targets), print);
  }
  return flagged > 0 ? EXIT_FLAGGED : EXIT_OK;
}

/** --format, or the input's extension (CSV for stdin and for a name without a known one). */
function inputFormat(options: PredictOptions): TableFormat {
  if (options.format !== undefined) {
    const format = options.format.toLowerCase() as TableFormat;
    if (!FORMATS.includes(format)) {
      const suggestion = didYouMean(options.format, FORMATS);
      throw new UsageError(`--format expects one of ${FORMATS.join(', ')}, got "${options.format}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
    }
    if (options.input === '-' && format !== 'csv') throw new UsageError(`--input - (stdin) is read as CSV; save the ${format} data to a file and give its path`);
    return format;
  }
  return options.input === '-' ? 'csv' : (formatOf(options.input) ?? 'csv');
}

/** The input's rows: CSV (a file or stdin, read whole up to MAX_INPUT_BYTES), or a file in a sweep data format. */
async function readRows(input: string, source: string, format: TableFormat, variables: readonly InputVariable[]): Promise<InputRows> {
  if (format !== 'csv') return readInputTable(input, source, format, variables);
  const read = await readBoundedInput(input, MAX_INPUT_BYTES);
  if (!read.ok) throw new UsageError(`cannot read --input ${input === '-' ? '- (stdin)' : input}: ${read.reason}`);
  return readInputCsv(read.text, source, variables);
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

/** Each target's prediction column (`pred`, or `pred.y1`, …) and its target column; named: the problem names its targets. */
type TargetColumnNames = { named: boolean; list: { name: string; pred: string; target: string }[] };

function header(artifact: TrialArtifact): string {
  const { trial, spec, config } = artifact;
  return `trial ${trial.number} of sweep ${artifact.sweep.name} (${spec.metric.name} ${formatMetric(trial.value)} on its held-out set): features ${config.features}, ${describeHeads(config.model.head)}`;
}

/** `head net`, or with a head per target `heads y1: net, y2: exp(net)`. */
export function describeHeads(head: string | Record<string, string>): string {
  return typeof head === 'string' ? `head ${head}` : `heads ${Object.entries(head).map(([name, f]) => `${name}: ${f}`).join(', ')}`;
}

/** Whether `key` (a recorded per-target metric) is target j's instance of the metric the sweep is judged by. */
function checkedMetricOf(artifact: TrialArtifact, key: string, targets: TargetColumnNames, j: number): boolean {
  return key === metricKey(baseMetricOf(artifact.spec), targets.list[j]!.name, targets.named);
}

function printInPieces(lines: Iterable<string>, print: Print): void {
  let piece: string[] = [];
  for (const line of lines) {
    piece.push(line);
    if (piece.length === LINES_PER_PRINT) {
      print(piece.join('\n'));
      piece = [];
    }
  }
  if (piece.length) print(piece.join('\n'));
}

function* textReport(
  artifact: TrialArtifact,
  source: string,
  { lines, columns, unit = 'line' }: InputRows,
  result: Predictions,
  summaries: Map<string, { rows: number; summary: MetricSummary }> | undefined,
  targets: TargetColumnNames,
): Generator<string> {
  const variables = inputNames(artifact.spec.problem);
  // The per-sample metric shown per row, for each target: the one the sweep metric summarises.
  const metricFor = (j: number) => (result.metrics ? [...result.metrics.keys()].find((key) => checkedMetricOf(artifact, key, targets, j)) : undefined);
  const head = [
    unit,
    ...variables,
    ...targets.list.flatMap((t, j) => [t.pred, ...(result.targets ? [t.target, metricFor(j)!] : [])]),
    'note',
  ];
  const body = lines.map((line, i) => [
    String(line),
    ...variables.map((v) => formatValue(columns.get(v)![i]!)),
    ...targets.list.flatMap((_, j) => [
      formatValue(result.preds[j]![i]!),
      ...(result.targets ? [formatValue(result.targets[j]![i]!), formatMetric(result.metrics!.get(metricFor(j)!)![i]!)] : []),
    ]),
    result.flags[i]!.length ? `OUTSIDE: ${result.flags[i]!.join('; ')}` : '',
  ]);
  yield header(artifact);
  yield `${result.n} row${result.n === 1 ? '' : 's'} from ${source}`;
  yield '';
  yield* renderTableLines(head, body);
  const out: string[] = [];
  const flagged = result.flags.filter((f) => f.length > 0).length;
  if (summaries) {
    out.push('');
    targets.list.forEach((_, j) => {
      const metric = metricFor(j)!;
      const { rows, summary } = summaries.get(metric)!;
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      const over = flagged ? `the ${plural(rows, 'row')} in range (${plural(flagged, 'flagged row')} left out)` : plural(rows, 'row');
      const recorded = metric === artifact.spec.metric.name ? artifact.trial.value : (artifact.trial.metrics[metric] ?? null);
      out.push(
        `${metric} over ${over}: mean ${formatMetric(summary.mean)}, median ${formatMetric(summary.median)}, p90 ${formatMetric(summary.p90)}, max ${formatMetric(summary.max)}`,
        `recorded for trial ${artifact.trial.number} on the sweep's held-out set (${validationRowCount(artifact.spec.problem)} points): ${formatMetric(recorded)}`,
      );
    });
    if (metricFor(0) !== artifact.spec.metric.name) out.push(`sweep metric ${artifact.spec.metric.name} recorded: ${formatMetric(artifact.trial.value)}`);
  }
  if (flagged) {
    const rows = flagged === 1 ? `1 of ${result.n} rows lies` : `${flagged} of ${result.n} rows lie`;
    out.push('', `${rows} outside the ranges the model was trained on (marked OUTSIDE): ${flagged === 1 ? 'its prediction is an extrapolation' : 'their predictions are extrapolations'} (exit code ${EXIT_FLAGGED})`);
  }
  yield* out;
}

function jsonReport(
  artifact: TrialArtifact,
  source: string,
  { lines, columns, unit = 'line' }: InputRows,
  result: Predictions,
  summaries: Map<string, { rows: number; summary: MetricSummary }> | undefined,
  targets: TargetColumnNames,
) {
  const variables = inputNames(artifact.spec.problem);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  // One unnamed target keeps the fields it always had (net, pred, target); named targets get a field per target.
  const { named, list } = targets;
  return {
    db: artifact.dbPath,
    sweep: artifact.sweep.name,
    trial: artifact.trial.number,
    metric: { name: artifact.spec.metric.name, goal: artifact.spec.metric.goal, recorded: artifact.trial.value },
    input: source,
    flagged: result.flags.filter((f) => f.length > 0).length,
    rows: (function* () {
      for (let i = 0; i < lines.length; i++) yield row(lines[i]!, i);
    })(),
    ...(summaries ? { check: Object.fromEntries([...summaries].map(([name, { rows, summary }]) => [name, { rows, ...summary }])) } : {}),
  };
  function row(line: number, i: number) {
    return {
      // A text file's line, or a columnar file's row number.
      [unit]: line,
      inputs: Object.fromEntries(variables.map((v) => [v, columns.get(v)![i]!])),
      ...(named
        ? {
            net: Object.fromEntries(list.map((t, j) => [t.name, finite(result.nets[j]![i]!)])),
            pred: Object.fromEntries(list.map((t, j) => [t.name, finite(result.preds[j]![i]!)])),
          }
        : { net: finite(result.net[i]!), pred: finite(result.pred[i]!) }),
      in_range: result.flags[i]!.length === 0,
      flags: result.flags[i]!,
      ...(result.targets
        ? {
            target: named ? Object.fromEntries(list.map((t, j) => [t.name, finite(result.targets![j]![i]!)])) : finite(result.target![i]!),
            metrics: Object.fromEntries([...result.metrics!].map(([name, values]) => [name, finite(values[i]!)])),
          }
        : {}),
    };
  }
}

/**
 * JSON.stringify(report, null, 2), printed a piece at a time with its rows one by one: the rows of
 * a large input would not fit in one string.
 */
function printJson(report: ReturnType<typeof jsonReport>, print: Print): void {
  const mark = '\u0000rows\u0000';
  const [before, after] = JSON.stringify({ ...report, rows: mark }, null, 2).split(JSON.stringify(mark)) as [string, string];
  print(`${before}[`);
  let piece: string[] = [];
  let pending: string | undefined;
  for (const row of report.rows) {
    if (pending !== undefined) piece.push(`${pending},`);
    pending = `    ${JSON.stringify(row, null, 2).replaceAll('\n', '\n    ')}`;
    if (piece.length >= LINES_PER_PRINT) {
      print(piece.join('\n'));
      piece = [];
    }
  }
  if (pending !== undefined) piece.push(pending);
  if (piece.length) print(piece.join('\n'));
  print(`  ]${after}`);
}
