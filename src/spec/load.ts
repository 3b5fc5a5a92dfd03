// Loads a sweep file into a validated SweepSpec, or throws one SpecError that says where and what.
// Order: YAML syntax → shape (zod) → names and formulas → parameters → every parameter value
// applied to a trial → the problem's data sampled and checked for NaN/Inf.
import { readFileSync } from 'node:fs';
import { SpecError } from './errors.js';
import { readSweepSource, type FieldPath, type SweepSource } from './source.js';
import { DEFAULT_VALIDATION_SIZE, SweepFileSchema, TrainingSchema, type ParameterFileSpec, type SweepFile } from './schema.js';
import { reportIssue } from './issues.js';
import { parameterDistribution, representativeValues } from './parameters.js';
import { TUNABLE_PATHS } from './paths.js';
import { RESERVED_NAMES, dataNames, metricNames, targetNames } from './names.js';
import { resolveTrial, scopesOf } from './resolve.js';
import { didYouMean, parseFormula, FORMULA_FUNCTIONS } from '../formula/index.js';
import { gridValues, type Parameter } from '../search/space.js';
import { checkProblemData } from '../problem/check.js';
import type { ProblemSpec, SampledValidationSpec, SweepSpec } from './types.js';
import { loadProblemTable, type DataSpec, type LoadedTable } from '../data/problem-table.js';
import { tpeOptionsFromFile } from '../search/tpe.js';
import { readEarlyTerminate, sweepMaxSteps } from '../prune/options.js';

export interface LoadOptions {
  stepsOverride?: number;
}

export interface LoadedSweep {
  spec: SweepSpec;
  source: SweepSource;
  /** A data problem's table, read once: what `run` shares with its workers. */
  table?: LoadedTable;
}

export function loadSweepFile(file: string, options: LoadOptions = {}): LoadedSweep {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new SpecError(file, undefined, undefined, `cannot read the sweep file: ${reason}`);
  }
  return loadSweepText(file, text, options);
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
  const parsed = SweepFileSchema.safeParse(source.data);
  if (!parsed.success) {
    const report = reportIssue(parsed.error.issues[0]!, source.data, SweepFileSchema);
    fail(report.path, report.message, { key: report.atKey });
  }
  const sweepFile = (parsed as { data: SweepFile }).data;

  const { problem, table } = readProblem(sweepFile, file, fail);
  const metrics = problem.metrics;
  const scopes = scopesOf({ problem });

  checkFormula(problem.target, targetNames(scopes), ['problem', problem.data && sweepFile.problem.target === undefined ? 'data' : 'target'], fail);
  if (problem.scale !== undefined) checkFormula(problem.scale, dataNames(scopes), ['problem', 'scale'], fail);
  for (const [name, formula] of Object.entries(metrics)) {
    checkFormula(formula, metricNames(scopes), ['problem', 'metrics', name], fail);
  }
  for (const [set, formulas] of Object.entries(sweepFile.features)) {
    formulas.forEach((formula, i) => checkFormula(formula, dataNames(scopes), ['features', set, i], fail));
  }
  if (Object.keys(sweepFile.features).length === 0) fail(['features'], 'expected at least one feature set, e.g. log: [log(x1), log(x2)]');
  if (!(sweepFile.metric.name in metrics)) {
    const names = Object.keys(metrics);
    const suggestion = didYouMean(sweepFile.metric.name, names);
    fail(['metric', 'name'], `expected the name of a problem metric (${names.join(', ')}); got "${sweepFile.metric.name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
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
    problem,
    features: sweepFile.features,
    model: rawSection(source.data, 'model'),
    training: rawSection(source.data, 'training'),
    ...(options.stepsOverride !== undefined ? { stepsOverride: options.stepsOverride } : {}),
    ...(sweepFile.keep_models !== undefined ? { keepModels: sweepFile.keep_models } : {}),
  };

  checkTrials(spec, fileParameters, fail);
  if (problem.data) checkBatchFits(spec, fileParameters, problem.data, fail);
  const dataProblem = checkProblemData(spec, table);
  if (dataProblem) fail(dataProblem.path, dataProblem.message);
  return { spec, source, ...(table ? { table } : {}) };
}

/**
 * The normalised problem: a sampled one as written (defaults applied), or a data problem with its
 * table read and checked. The sampled form is exactly what earlier versions stored, so their DBs
 * keep their hash.
 */
function readProblem(sweepFile: SweepFile, file: string, fail: Fail): { problem: ProblemSpec; table?: LoadedTable } {
  const written = sweepFile.problem;
  const metricsOf = (hasScale: boolean) => written.metrics ?? defaultMetrics(hasScale);
  if (written.data === undefined) {
    if (written.variables === undefined) fail(['problem'], 'expected problem.variables (inputs sampled from ranges) or problem.data (a table of measurements)');
    if (written.target === undefined) fail(['problem'], 'expected problem.target: a formula of the variables, e.g. target: x1 * x2');
    for (const key of ['fraction', 'path', 'column', 'format'] as const) {
      if (written.validation[key] !== undefined) {
        fail(['problem', 'validation', key], `"${key}" splits a data problem's rows (problem.data); a sampled problem's validation set is {seed, size}`, { key: true });
      }
    }
    checkVariables(sweepFile, fail);
    const validation = { ...written.validation, size: written.validation.size ?? DEFAULT_VALIDATION_SIZE } as SampledValidationSpec;
    return { problem: { ...written, validation, metrics: metricsOf(written.scale !== undefined) } as ProblemSpec };
  }
  if (written.variables !== undefined) {
    fail(['problem', 'variables'], "a data problem's inputs are its columns (problem.data.inputs); problem.variables is for sampled problems", { key: true });
  }
  const read = loadProblemTable(written.data, written.validation, file, { reserved: (name) => (RESERVED_NAMES as readonly string[]).includes(name) || name in FORMULA_FUNCTIONS }, fail);
  if (read.data.targets.length > 1) {
    // Several outputs need the multi-target model (problem.targets); until then, one target column.
    fail(['problem', 'data', 'targets'], `several target columns (${read.data.targets.join(', ')}) are not supported yet: a data problem has one target column for now`);
  }
  const problem: ProblemSpec = {
    variables: {},
    data: read.data,
    target: written.target ?? read.data.targets[0]!,
    ...(written.scale !== undefined ? { scale: written.scale } : {}),
    metrics: metricsOf(written.scale !== undefined),
    train: written.train,
    validation: read.validation,
  };
  return { problem, table: read.loaded };
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
      if (!(TUNABLE_PATHS as readonly string[]).includes(path)) {
        const suggestion = didYouMean(path, TUNABLE_PATHS);
        fail(here, `"${path}" is not a field that can be swept${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; sweepable fields: ${TUNABLE_PATHS.join(', ')}`, {
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
