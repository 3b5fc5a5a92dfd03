// Loads a sweep file into a validated SweepSpec, or throws one SpecError that says where and what.
// Order: YAML syntax → shape (zod) → names and formulas → parameters → every parameter value
// applied to a trial → the problem's data sampled and checked for NaN/Inf.
import { formatBytes, readBoundedFileSync } from '../input/bounded-read.js';
import { describeEstimate, estimateTrialMemory, memoryBudget } from '../train/memory-estimate.js';
import { findDataProblem, isObjectPropertyName } from './data-guards.js';
import { SpecError } from './errors.js';
import { readSweepSource, type FieldPath, type SweepSource } from './source.js';
import { DEFAULT_VALIDATION_SIZE, SweepFileSchema, TrainingSchema, type ParameterFileSpec, type SweepFile } from './schema.js';
import { reportIssue } from './issues.js';
import { parameterDistribution, representativeValues } from './parameters.js';
import { tunablePaths } from './paths.js';
import { hasNamedTargets, metricKey, summaryKeys, targetsOf } from '../problem/targets.js';
import { RESERVED_NAMES, dataNames, metricNames, targetNames } from './names.js';
import { resolveTrial, scopesOf, targetScopes } from './resolve.js';
import { didYouMean, parseFormula, FORMULA_FUNCTIONS } from '../formula/index.js';
import { gridValues, type Parameter } from '../search/space.js';
import { checkProblemData } from '../problem/check.js';
import type { MetricAggregate, ProblemSpec, SampledValidationSpec, SweepSpec } from './types.js';
import { loadProblemTable, type DataSpec, type LoadedTable } from '../data/problem-table.js';
import { preloadTables, type TableCache } from '../data/binary-table.js';
import { tpeOptionsFromFile } from '../search/tpe.js';
import { readEarlyTerminate, sweepMaxSteps } from '../prune/options.js';

/**
 * A sweep file is a page of YAML: 1 MiB holds 10 000 values many times over, and /dev/zero does
 * not (the YAML parser takes seconds per MB of short list items, so the bound is also on time).
 */
export const MAX_SWEEP_FILE_BYTES = 1 << 20;

export interface LoadOptions {
  stepsOverride?: number;
  /** The Parquet and Arrow files the problem names, read beforehand (`preloadTables`): their readers are asynchronous. */
  tables?: TableCache;
}

export interface LoadedSweep {
  spec: SweepSpec;
  source: SweepSource;
  /** A data problem's table, read once: what `run` shares with its workers. */
  table?: LoadedTable;
}

/**
 * Loads a sweep file and the data it names. Columnar data files (Parquet, Arrow) are read first,
 * asynchronously; then the file is checked, synchronously, with those tables in hand.
 */
export async function loadSweepFile(file: string, options: LoadOptions = {}): Promise<LoadedSweep> {
  const read = readBoundedFileSync(file, MAX_SWEEP_FILE_BYTES);
  if (!read.ok) throw new SpecError(file, undefined, undefined, `cannot read the sweep file: ${read.reason}`);
  let data: unknown;
  try {
    data = readSweepSource(file, read.text).data;
  } catch (error) {
    // A file that does not parse is reported as it is: parsing it a second time in loadSweepText
    // would repeat the work, and after a stack overflow (YAML nested thousands deep) V8 can run
    // out of memory compiling a regular expression instead of throwing again.
    if (error instanceof SpecError) throw error;
    data = undefined;
  }
  const tables = options.tables ?? (await preloadTables(file, data));
  return loadSweepText(file, read.text, { ...options, tables });
}

export function loadSweepText(file: string, text: string, options: LoadOptions = {}): LoadedSweep {
  const source = readSweepSource(file, text);
  const fail = (path: FieldPath, message: string, opts: { key?: boolean; offset?: number } = {}): never => {
    const location =
      opts.offset !== undefined ? source.locateInScalar(path, opts.offset) : source.locate(path, { key: opts.key ?? false });
    throw new SpecError(file, path.length ? path.join('.') : undefined, location, message);
  };

  if (typeof source.data !== 'object' || source.data === null || Array.isArray(source.data)) {
    fail([], 'expected a mapping with name, method, metric, parameters, problem, features, model, training');
  }
  const dataProblem = findDataProblem(source.data);
  if (dataProblem) fail(dataProblem.path, dataProblem.message, { key: dataProblem.key });
  const parsed = SweepFileSchema.safeParse(source.data);
  if (!parsed.success) {
    const report = reportIssue(parsed.error.issues[0]!, source.data, SweepFileSchema);
    fail(report.path, report.message, { key: report.atKey });
  }
  const writtenFile = (parsed as { data: SweepFile }).data;

  refuseProtoKeys(source.data, fail);
  // A data problem's columns become its inputs and (unless the file writes target or targets) its targets.
  const { problem: read, table } = readProblem(writtenFile, file, fail, options.tables);
  const sweepFile = { ...writtenFile, problem: { ...writtenFile.problem, ...targetsField(read) } };
  checkTargets(sweepFile, fail);
  const { formulas: metrics, aggregates } = splitMetrics(sweepFile, fail);
  const scopes = scopesOf({ problem: read });
  const named = hasNamedTargets(sweepFile.problem);
  // Where an unwritten target (a data problem's target column) is reported.
  const targetAt = (path: FieldPath): FieldPath => (read.data && writtenFile.problem.target === undefined && writtenFile.problem.targets === undefined ? ['problem', 'data', 'targets'] : path);

  if (sweepFile.problem.target !== undefined) checkFormula(sweepFile.problem.target, targetNames(scopes), targetAt(['problem', 'target']), fail);
  if (sweepFile.problem.scale !== undefined) checkFormula(sweepFile.problem.scale, dataNames(scopes), ['problem', 'scale'], fail);
  for (const [name, value] of Object.entries(sweepFile.problem.targets ?? {})) {
    if (typeof value === 'string') checkFormula(value, targetNames(scopes), targetAt(['problem', 'targets', name]), fail);
    else {
      checkFormula(value.formula, targetNames(scopes), ['problem', 'targets', name, 'formula'], fail);
      if (value.scale !== undefined) checkFormula(value.scale, dataNames(scopes), ['problem', 'targets', name, 'scale'], fail);
    }
  }
  for (const [name, formula] of Object.entries(metrics)) {
    // A metric is evaluated for every target, so it must make sense for each (a target without a scale has no `scale`).
    for (const { target, scopes: targetScope } of targetScopes({ problem: read })) {
      const result = parseFormula(formula, metricNames(targetScope));
      if (!result.ok) {
        const which = named ? ` (for target ${target.name}${target.scale === undefined && /\bscale\b/.test(result.error.message) ? ', which has no scale' : ''})` : '';
        fail(['problem', 'metrics', name], `formula "${formula}": ${result.error.message}${which}`, { offset: result.error.offset });
      }
    }
  }
  for (const [set, formulas] of Object.entries(sweepFile.features)) {
    formulas.forEach((formula, i) => checkFormula(formula, dataNames(scopes), ['features', set, i], fail));
  }
  if (Object.keys(sweepFile.features).length === 0) fail(['features'], 'expected at least one feature set, e.g. log: [log(x1), log(x2)]');
  const recorded = recordedMetricNames(sweepFile, metrics);
  const expandedAggregates = expandAggregates(sweepFile, aggregates, metrics, recorded, fail);
  const sweepMetricNames = named ? [...recorded, ...Object.keys(expandedAggregates)] : [...Object.keys(metrics), ...Object.keys(expandedAggregates)];
  if (!sweepMetricNames.includes(sweepFile.metric.name)) {
    const suggestion = didYouMean(sweepFile.metric.name, sweepMetricNames);
    const listed = named
      ? `a recorded metric (${[...Object.keys(metrics).flatMap((m) => targetsOf(sweepFile.problem).map((t) => metricKey(m, t.name, true))), ...Object.keys(expandedAggregates)].join(', ')}, or one of their .median, .p90, .max) or an aggregate defined in problem.metrics, e.g. worst: {max: ${Object.keys(metrics)[0]}}`
      : `a problem metric (${sweepMetricNames.join(', ')})`;
    fail(['metric', 'name'], `expected the name of ${listed}; got "${sweepFile.metric.name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
  }

  const fileParameters = readParameters(sweepFile, fail);
  const parameters = fileParameters.map((f) => f.parameter);
  const trialCount = countTrials(sweepFile, parameters, fail);
  const method = sweepFile.method === 'bayes' ? 'tpe' : sweepFile.method;
  if (sweepFile.tpe !== undefined && method !== 'tpe') {
    fail(['tpe'], `these are options of method tpe (or bayes); this sweep's method is ${sweepFile.method}`, { key: true });
  }
  const stepsParameter = parameters.find((p) => p.path === 'training.steps')?.distribution;
  const earlyTerminate = sweepFile.early_terminate
    ? readEarlyTerminate(sweepFile.early_terminate, sweepMaxSteps(sweepFile.training.steps, stepsParameter), fail)
    : undefined;

  const spec: SweepSpec = {
    name: sweepFile.name,
    ...(sweepFile.description !== undefined ? { description: sweepFile.description } : {}),
    method,
    metric: sweepFile.metric,
    ...(method === 'tpe' ? { tpe: tpeOptionsFromFile(sweepFile.tpe) } : {}),
    ...(earlyTerminate ? { earlyTerminate } : {}),
    trialCount,
    seed: sweepFile.seed,
    parameters,
    problem: { ...read, metrics, ...(Object.keys(expandedAggregates).length ? { aggregates: expandedAggregates } : {}) },
    features: sweepFile.features,
    model: rawSection(source.data, 'model'),
    training: rawSection(source.data, 'training'),
    ...(options.stepsOverride !== undefined ? { stepsOverride: options.stepsOverride } : {}),
    ...(sweepFile.keep_models !== undefined ? { keepModels: sweepFile.keep_models } : {}),
    ...(sweepFile.pack !== undefined ? { pack: sweepFile.pack } : {}),
  };

  checkTrials(spec, fileParameters, fail);
  if (read.data) checkBatchFits(spec, fileParameters, read.data, fail);
  // Before any data is sampled: a trial that cannot fit is refused with its estimate.
  const memory = estimateTrialMemory(spec);
  const budget = memoryBudget();
  if (memory.bytes > budget) {
    fail(memory.parts[0]!.path, `one trial would need ${describeEstimate(memory)}, more than the ${formatBytes(budget)} this machine can give a sweep; make it smaller`);
  }
  const problemData = checkProblemData(spec, table);
  if (problemData) fail(problemData.path, problemData.message);
  return { spec, source, ...(table ? { table } : {}) };
}

/**
 * The problem as readProblem gives it: its metrics still as written (read after the targets); the
 * key stays where the file put it, so the stored spec (and its hash) is what earlier versions wrote.
 */
type ReadProblem = Omit<ProblemSpec, 'metrics' | 'aggregates'> & { metrics?: SweepFile['problem']['metrics'] };

/** The target/targets field of a read problem, without keys for what is absent. */
function targetsField(problem: ReadProblem): Pick<ProblemSpec, 'target' | 'targets'> {
  return { ...(problem.target !== undefined ? { target: problem.target } : {}), ...(problem.targets !== undefined ? { targets: problem.targets } : {}) };
}

/**
 * The normalised problem: a sampled one as written (defaults applied), or a data problem with its
 * table read and checked. A data problem that writes neither target nor targets has its target
 * columns as targets: one column is the `target` shorthand, several are named targets (one output
 * each, `rel_l1.y1`, …). The sampled form is exactly what earlier versions stored, so their DBs
 * keep their hash.
 */
function readProblem(sweepFile: SweepFile, file: string, fail: Fail, tables: TableCache | undefined): { problem: ReadProblem; table?: LoadedTable } {
  const written = sweepFile.problem;
  if (written.data === undefined) {
    if (written.variables === undefined) fail(['problem'], 'expected problem.variables (inputs sampled from ranges) or problem.data (a table of measurements)');
    for (const key of ['fraction', 'path', 'column', 'format'] as const) {
      if (written.validation[key] !== undefined) {
        fail(['problem', 'validation', key], `"${key}" splits a data problem's rows (problem.data); a sampled problem's validation set is {seed, size}`, { key: true });
      }
    }
    checkVariables(sweepFile, fail);
    const validation = { ...written.validation, size: written.validation.size ?? DEFAULT_VALIDATION_SIZE } as SampledValidationSpec;
    return { problem: { ...written, variables: written.variables!, validation } as ReadProblem };
  }
  if (written.variables !== undefined) {
    fail(['problem', 'variables'], "a data problem's inputs are its columns (problem.data.inputs); problem.variables is for sampled problems", { key: true });
  }
  const loaded = loadProblemTable(written.data, written.validation, file, { reserved: (name) => (RESERVED_NAMES as readonly string[]).includes(name) || name in FORMULA_FUNCTIONS }, fail, tables);
  // A header name becomes a key of the stored spec (ranges, targets): one that every object already has would be mistaken for that property.
  for (const [role, names] of [['inputs', loaded.data.inputs], ['targets', loaded.data.targets]] as const) {
    const name = names.find(isObjectPropertyName);
    if (name !== undefined) {
      const at: FieldPath = role === 'inputs' && written.data.inputs === undefined ? ['problem', 'data'] : ['problem', 'data', role];
      fail(at, `column "${name}" cannot be used as a name here: every JavaScript object already has a property of that name, so it would be mistaken for it; rename it in the header of ${loaded.data.path}`);
    }
  }
  const columns = loaded.data.targets;
  const unwritten = written.target === undefined && written.targets === undefined;
  const targets: Pick<ProblemSpec, 'target' | 'targets'> = !unwritten
    ? targetsField(written as ReadProblem)
    : columns.length === 1
      ? { target: columns[0]! }
      : { targets: Object.fromEntries(columns.map((c) => [c, c])) };
  const problem: ReadProblem = {
    variables: {},
    data: loaded.data,
    ...targets,
    ...(written.scale !== undefined ? { scale: written.scale } : {}),
    ...(written.metrics !== undefined ? { metrics: written.metrics } : {}),
    train: written.train,
    validation: loaded.validation,
  };
  return { problem, table: loaded.loaded };
}

/** A data problem must have at least one batch of training rows, for every batch size the sweep may use, and every training subset must fit. */
function checkBatchFits(spec: SweepSpec, fileParameters: FileParameter[], data: DataSpec, fail: Fail): void {
  const rows = data.rows.train;
  const swept = fileParameters.find((f) => f.parameter.path === 'training.batch_size');
  const fixed = typeof spec.training.batch_size === 'number' ? spec.training.batch_size : TrainingSchema.parse({}).batch_size;
  const sizes = swept ? representativeValues(swept.parameter.distribution).map(Number) : [fixed];
  const trainSwept = fileParameters.find((f) => f.parameter.path === 'problem.train.size');
  const trainSizes = (trainSwept ? representativeValues(trainSwept.parameter.distribution) : [spec.problem.train.size]).filter((v): v is number => typeof v === 'number');
  const largestSubset = Math.max(0, ...trainSizes);
  if (largestSubset > rows) {
    fail(
      trainSwept ? trainSwept.at : ['problem', 'train', 'size'],
      `problem.train.size ${largestSubset} is more than the ${rows} training rows of ${data.path} (after the validation split); use stream for all of them`,
    );
  }
  const largest = Math.max(...sizes);
  if (largest <= rows) return;
  const at: FieldPath = swept ? swept.at : spec.training.batch_size !== undefined ? ['training', 'batch_size'] : ['training'];
  fail(
    at,
    `batch_size ${largest}${spec.training.batch_size === undefined && !swept ? ' (the default)' : ''} is more than the ${rows} training rows of ${data.path} (after the validation split): there must be at least one whole batch; use a smaller batch_size or more data`,
  );
}

type Fail = (path: FieldPath, message: string, opts?: { key?: boolean; offset?: number }) => never;

/** `__proto__` as a target or metric name would vanish in a plain object (it sets the prototype): refuse it by name. */
function refuseProtoKeys(data: unknown, fail: Fail): void {
  const problem = (data as { problem?: unknown }).problem;
  for (const field of ['targets', 'metrics'] as const) {
    const map = typeof problem === 'object' && problem !== null ? (problem as Record<string, unknown>)[field] : undefined;
    if (typeof map === 'object' && map !== null && Object.hasOwn(map, '__proto__')) {
      fail(['problem', field, '__proto__'], `"__proto__" cannot name a ${field === 'targets' ? 'target' : 'metric'}; rename it`, { key: true });
    }
  }
}

/** Exactly one of `target` (the one-target shorthand) and `targets` (a map name → formula), with usable names. */
function checkTargets(file: SweepFile, fail: Fail): void {
  const { target, targets } = file.problem;
  if (target !== undefined && targets !== undefined) {
    fail(['problem', 'targets'], 'give either target (one formula) or targets (a map name → formula), not both', { key: true });
  }
  if (target === undefined && targets === undefined) {
    fail(['problem'], 'expected a target: a formula of the variables (target: x5/x2), or several (targets: {y1: ..., y2: ...})');
  }
  if (targets === undefined) return;
  const names = Object.keys(targets);
  if (names.length === 0) fail(['problem', 'targets'], 'expected at least one target, e.g. targets: {y1: x1 * x2}');
  for (const name of names) {
    if (!NAME_PATTERN.test(name)) fail(['problem', 'targets', name], `"${name}" is not a usable target name (letters, digits and _, not starting with a digit)`, { key: true });
  }
}

/** problem.metrics holds per-sample formulas and aggregates ({max|mean: names}); absent: the default L1 metric. */
function splitMetrics(file: SweepFile, fail: Fail): { formulas: Record<string, string>; aggregates: Map<string, { op: 'max' | 'mean'; of: string[]; raw: string | string[] }> } {
  const anyScale = targetsOf(file.problem).every((t) => t.scale !== undefined);
  const formulas: Record<string, string> = Object.create(null);
  const aggregates = new Map<string, { op: 'max' | 'mean'; of: string[]; raw: string | string[] }>();
  for (const [name, value] of Object.entries(file.problem.metrics ?? {})) {
    if (!NAME_PATTERN.test(name)) fail(['problem', 'metrics', name], `"${name}" is not a usable metric name (letters, digits and _, not starting with a digit)`, { key: true });
    if (typeof value === 'string') formulas[name] = value;
    else {
      const op = 'max' in value ? 'max' : 'mean';
      const raw = (value as Record<string, string | string[]>)[op]!;
      aggregates.set(name, { op, of: typeof raw === 'string' ? [raw] : raw, raw });
    }
  }
  if (Object.keys(formulas).length === 0) {
    if (file.problem.metrics !== undefined && aggregates.size > 0) fail(['problem', 'metrics'], 'expected at least one per-sample metric formula for the aggregates to combine, e.g. rel_l1: abs(pred - target) / scale');
    return { formulas: { ...defaultMetrics(anyScale) }, aggregates };
  }
  return { formulas: { ...formulas }, aggregates };
}

/** Every metric name a trial records, per-target: `rel_l1`, `rel_l1.median`, … or `rel_l1.y1`, `rel_l1.y1.median`, …. */
function recordedMetricNames(file: SweepFile, metrics: Record<string, string>): string[] {
  const named = hasNamedTargets(file.problem);
  return Object.keys(metrics).flatMap((m) => targetsOf(file.problem).flatMap((t) => summaryKeys(metricKey(m, t.name, named))));
}

/** Aggregates with their members expanded (a per-sample metric's name alone means it over every target) and checked. */
function expandAggregates(
  file: SweepFile,
  aggregates: Map<string, { op: 'max' | 'mean'; of: string[]; raw: string | string[] }>,
  metrics: Record<string, string>,
  recorded: string[],
  fail: Fail,
): Record<string, MetricAggregate> {
  const named = hasNamedTargets(file.problem);
  const out: Record<string, MetricAggregate> = {};
  for (const [name, aggregate] of aggregates) {
    if (recorded.includes(name)) fail(['problem', 'metrics', name], `"${name}" is already the name of a recorded metric; give the aggregate another name`, { key: true });
    const of: string[] = [];
    aggregate.of.forEach((member, i) => {
      const at: FieldPath = ['problem', 'metrics', name, aggregate.op, ...(typeof aggregate.raw === 'string' ? [] : [i])];
      if (Object.hasOwn(metrics, member)) of.push(...targetsOf(file.problem).map((t) => metricKey(member, t.name, named)));
      else if (recorded.includes(member)) of.push(member);
      else {
        const candidates = [...Object.keys(metrics), ...recorded];
        const suggestion = didYouMean(member, candidates);
        fail(at, `"${member}" is not a recorded metric${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; an aggregate combines per-sample metrics (${Object.keys(metrics).join(', ')}: over every target) or recorded names such as ${recorded.slice(0, 4).join(', ')}`);
      }
    });
    out[name] = { op: aggregate.op, of };
  }
  return out;
}

function defaultMetrics(hasScale: boolean): Record<string, string> {
  return hasScale ? { rel_l1: 'abs(pred - target) / scale' } : { l1: 'abs(pred - target)' };
}

function rawSection(data: unknown, key: 'model' | 'training'): Record<string, unknown> {
  const section = (data as Record<string, unknown>)[key];
  return typeof section === 'object' && section !== null ? structuredClone(section as Record<string, unknown>) : {};
}

function checkFormula(formula: string, names: readonly string[], path: FieldPath, fail: Fail): void {
  const result = parseFormula(formula, names);
  if (!result.ok) fail(path, `formula "${formula}": ${result.error.message}`, { offset: result.error.offset });
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkVariables(file: SweepFile, fail: Fail): void {
  const variables = file.problem.variables ?? {};
  const names = Object.keys(variables);
  if (names.length === 0) fail(['problem', 'variables'], 'expected at least one variable, e.g. x1: {min: 0, max: 1}');
  const earlier: string[] = [];
  for (const name of names) {
    const path = ['problem', 'variables', name];
    if (!NAME_PATTERN.test(name)) fail(path, `"${name}" is not a usable variable name (letters, digits and _, not starting with a digit)`, { key: true });
    if ((RESERVED_NAMES as readonly string[]).includes(name) || name in FORMULA_FUNCTIONS) {
      fail(path, `"${name}" is reserved (net, pred, target, scale, pi, e and function names); rename the variable`, { key: true });
    }
    const variable = variables[name]!;
    const hasRange = variable.min !== undefined || variable.max !== undefined;
    const ways = [variable.value !== undefined, variable.values !== undefined, hasRange].filter(Boolean).length;
    if (ways !== 1) fail(path, 'expected exactly one of: "min" and "max", "values", or "value"');
    if (hasRange) {
      for (const bound of ['min', 'max'] as const) {
        const value = variable[bound];
        if (value === undefined) fail([...path], `expected both "min" and "max", "${bound}" is missing`);
        if (typeof value === 'string') {
          const result = parseFormula(value, earlier);
          if (!result.ok) {
            fail([...path, bound], `formula "${value}": ${result.error.message} (a bound may use only variables declared above it)`, {
              offset: result.error.offset,
            });
          }
        }
      }
      const { min, max } = variable;
      if (typeof min === 'number' && typeof max === 'number') {
        if (!(min < max)) fail([...path, 'min'], `expected min < max, got min ${min} and max ${max}`);
        if (variable.distribution === 'log_uniform' && min <= 0) fail([...path, 'min'], `log_uniform needs min > 0, got ${min}`);
      }
    }
    earlier.push(name);
  }
}

/** A parameter and where it stands in the file (nested W&B groups make the two paths differ). */
interface FileParameter {
  parameter: Parameter;
  at: FieldPath;
}

function readParameters(file: SweepFile, fail: Fail): FileParameter[] {
  const found: FileParameter[] = [];
  const visit = (entries: Record<string, ParameterFileSpec>, prefix: string, at: FieldPath) => {
    for (const [key, spec] of Object.entries(entries)) {
      const path = `${prefix}${key}`;
      const here = [...at, key];
      if (spec.parameters !== undefined) {
        const others = Object.keys(spec).filter((k) => k !== 'parameters');
        if (others.length) fail([...here, others[0]!], `a parameter group has only "parameters"; "${others[0]}" belongs to a parameter inside it`, { key: true });
        visit(spec.parameters, `${path}.`, [...here, 'parameters']);
        continue;
      }
      const tunable = tunablePaths(hasNamedTargets(file.problem) ? Object.keys(file.problem.targets ?? {}) : []);
      if (!tunable.includes(path)) {
        const suggestion = didYouMean(path, tunable);
        fail(here, `"${path}" is not a field that can be swept${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; sweepable fields: ${tunable.join(', ')}`, {
          key: true,
        });
      }
      const result = parameterDistribution(spec);
      if (!result.ok) fail([...here, ...(result.field ? [result.field] : [])], result.message);
      const { distribution } = result as { distribution: Parameter['distribution'] };
      if (file.method === 'grid') {
        const values = gridValues(distribution);
        if (typeof values === 'string') fail(here, `method grid: ${values}`);
      }
      if (found.some((f) => f.parameter.path === path)) fail(here, `"${path}" is swept twice (as a dotted path and in a nested group)`, { key: true });
      found.push({ parameter: { path, distribution }, at: here });
    }
  };
  visit(file.parameters, '', ['parameters']);
  return found;
}

function countTrials(file: SweepFile, parameters: Parameter[], fail: Fail): number {
  if (file.method !== 'grid') {
    if (file.run_cap === undefined) fail(['run_cap'], `method ${file.method} needs run_cap: the number of trials to run`, { key: true });
    return file.run_cap!;
  }
  const size = parameters.reduce((n, p) => n * (gridValues(p.distribution) as readonly unknown[]).length, 1);
  return file.run_cap !== undefined ? Math.min(size, file.run_cap) : size;
}

/**
 * Every parameter value must give a valid trial, substituted into an otherwise representative one.
 * Some fields constrain each other (one activation per layer needs the matching depth), so a value
 * that fails is retried with each other parameter's values before it is refused; combinations
 * that are still invalid fail as trials at run time, and the sweep goes on.
 */
function checkTrials(spec: SweepSpec, fileParameters: FileParameter[], fail: Fail): void {
  const baseline = Object.fromEntries(spec.parameters.map((p) => [p.path, representativeValues(p.distribution)[0]]));
  const base = resolveTrial(spec, 0, baseline);
  if (!base.ok && !spec.parameters.some((p) => base.path.join('.').startsWith(p.path))) {
    fail(base.path, base.message, base.formulaOffset !== undefined ? { offset: base.formulaOffset } : {});
  }
  const validWith = (params: Record<string, unknown>) => resolveTrial(spec, 0, params).ok;
  for (const { parameter, at } of fileParameters) {
    representativeValues(parameter.distribution).forEach((value, index) => {
      const trial = { ...baseline, [parameter.path]: value };
      const result = resolveTrial(spec, 0, trial);
      if (result.ok) return;
      const rescued = spec.parameters.some(
        (other) => other !== parameter && representativeValues(other.distribution).some((v) => validWith({ ...trial, [other.path]: v })),
      );
      if (!rescued) reportParameterValue(parameter, at, index, result, fail);
    });
  }
}

function reportParameterValue(
  parameter: Parameter,
  at: FieldPath,
  index: number,
  result: { path: (string | number)[]; message: string; formulaOffset?: number },
  fail: Fail,
): never {
  const field = parameter.distribution.type === 'categorical' ? ['values', index] : [index === 0 ? 'min' : 'max'];
  const where = [...at, ...field];
  const inner = result.path.join('.');
  const message = inner === parameter.path ? result.message : `${inner}: ${result.message}`;
  if (result.formulaOffset !== undefined && inner === parameter.path) fail(where, message, { offset: result.formulaOffset });
  return fail(where, message);
}
