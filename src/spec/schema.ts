// The shape of a sweep file, as zod schemas: which keys exist, their types, ranges and defaults.
// Cross-field rules (formulas, names, parameter paths) are checked in load.ts.
import { z } from 'zod';

export const ACTIVATIONS = ['relu', 'tanh', 'elu', 'selu', 'sigmoid', 'softplus', 'linear', 'exp'] as const;
export const INITIALIZERS = [
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'lecun_normal',
  'lecun_uniform',
  'zeros',
  'torch_linear',
] as const;
export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'momentum'] as const;
/** `bayes` is W&B's name; here it is TPE (load.ts normalises it to `tpe`). */
export const METHODS = ['grid', 'random', 'tpe', 'bayes'] as const;
export const EARLY_TERMINATE_TYPES = ['median', 'asha', 'hyperband'] as const;
export const PARAMETER_DISTRIBUTIONS = [
  'constant',
  'categorical',
  'uniform',
  'log_uniform',
  'log_uniform_values',
  'int_uniform',
  'q_uniform',
  'q_log_uniform',
  'q_log_uniform_values',
] as const;
export const VARIABLE_DISTRIBUTIONS = ['uniform', 'log_uniform', 'int_uniform'] as const;

const positiveInt = z.number().int().safe().positive();
const formula = z.string().min(1, 'expected a formula, got an empty string');
const numberOrFormula = z.union([z.number(), formula], {
  errorMap: () => ({ message: 'expected a number or a formula of earlier variables' }),
});

export const VariableSchema = z
  .object({
    distribution: z.enum(VARIABLE_DISTRIBUTIONS).default('uniform'),
    min: numberOrFormula.optional(),
    max: numberOrFormula.optional(),
    value: z.number().optional(),
    values: z.array(z.number()).min(1).optional(),
  })
  .strict();

/** The training data: its seed, and 'stream' (a fresh sample every step, as the seed's get_batch does) or a fixed set of N. */
export const TrainDataSchema = z
  .object({
    seed: z.number().int().safe().default(1),
    size: z.union([z.literal('stream'), positiveInt], {
      errorMap: () => ({ message: 'expected "stream" or a positive whole number of samples' }),
    }).default('stream'),
  })
  .strict();

/** One of several targets: its formula, or its formula and its own scale. */
export const TargetSchema = z.union([formula, z.object({ formula, scale: formula.optional() }).strict()], {
  errorMap: () => ({ message: 'expected a formula, or a mapping {formula, scale}' }),
});

/** A metric the file defines from other recorded metrics: the max or mean of a list of names (or of one metric over every target). */
export const AggregateSchema = z.union(
  [
    z.object({ max: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }).strict(),
    z.object({ mean: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }).strict(),
  ],
  { errorMap: () => ({ message: 'expected a per-sample formula, or an aggregate {max: [names]} or {mean: [names]}' }) },
);

/** The data-file formats `problem.data`'s `format:` names (and `predict --format`). */
export const TABLE_FORMATS = ['csv', 'tsv', 'jsonl', 'parquet', 'arrow'] as const;
const columnName = z.string().min(1, 'expected a column name');

/** `problem.data`: a table of measurements; its columns are the problem's inputs and targets (data/problem-table.ts reads it). */
export const DataSchema = z
  .object({
    path: z.string().min(1, 'expected the path of a CSV, TSV or JSON Lines file (relative to the sweep file)'),
    format: z.enum(TABLE_FORMATS).optional(),
    inputs: z.array(columnName).min(1, 'expected at least one input column').optional(),
    targets: z.union([columnName, z.array(columnName).min(1, 'expected at least one target column')], {
      errorMap: () => ({ message: 'expected a column name or a list of column names' }),
    }),
    weights: columnName.optional(),
  })
  .strict();

/**
 * The held-out set. A sampled problem: `{seed, size}`. A data problem: one of `fraction` (with
 * `seed`), `path` (a file with the same columns) or `column` (0/1 marks); load.ts checks which.
 */
export const ValidationSchema = z
  .object({
    seed: z.number().int().safe().default(2),
    size: positiveInt.max(1_000_000).optional(),
    fraction: z.number().gt(0, 'expected a fraction between 0 and 1').lt(1, 'expected a fraction between 0 and 1').optional(),
    path: z.string().min(1).optional(),
    format: z.enum(TABLE_FORMATS).optional(),
    column: columnName.optional(),
  })
  .strict();

/** The sampled problem's validation size when the file gives none. */
export const DEFAULT_VALIDATION_SIZE = 4096;

export const ProblemSchema = z
  .object({
    variables: z.record(VariableSchema).optional(),
    data: DataSchema.optional(),
    /** The one target (shorthand); at most one of target and targets is given (load.ts checks). */
    target: formula.optional(),
    targets: z.record(TargetSchema).optional(),
    scale: formula.optional(),
    metrics: z.record(z.union([formula, AggregateSchema], { errorMap: () => ({ message: 'expected a per-sample formula, or an aggregate {max: [names]} or {mean: [names]}' }) })).optional(),
    train: TrainDataSchema.default({}),
    validation: ValidationSchema.default({}),
  })
  .strict();

export const ScheduleSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { type: value } : value),
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('none') }).strict(),
    z
      .object({
        type: z.literal('cosine'),
        min_lr: z.number().nonnegative().default(0),
        warmup: z.number().int().safe().nonnegative().default(0),
      })
      .strict(),
    z
      .object({
        type: z.literal('step'),
        every: positiveInt.optional(),
        gamma: z.number().positive().max(1).default(0.1),
      })
      .strict(),
    z
      .object({
        type: z.literal('reduce_on_plateau'),
        factor: z.number().positive().lt(1).default(0.1),
        patience: positiveInt.optional(),
        min_lr: z.number().nonnegative().default(0),
        threshold: z.number().nonnegative().default(1e-4),
      })
      .strict(),
  ]),
);

export const ModelSchema = z
  .object({
    depth: z.number().int().safe().min(0).max(64).default(2),
    width: positiveInt.max(65536).default(16),
    activation: z.preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z.array(z.enum(ACTIVATIONS)).min(1),
    ).default(['relu']),
    initializer: z.enum(INITIALIZERS).default('glorot_uniform'),
    /** One formula for every target, or a map target name → formula (targets left out get `net`). */
    head: z.union([formula, z.record(formula)], { errorMap: () => ({ message: 'expected a formula, or a map target name → formula' }) }).default('net'),
    input_norm: z.enum(['standardize', 'none']).default('standardize'),
    /** Several targets: one network with one output per target (true, the default) or one network per target. */
    shared: z.boolean().optional(),
  })
  .strict();

export const TrainingSchema = z
  .object({
    optimizer: z.enum(OPTIMIZERS).default('adam'),
    lr: z.number().positive().default(1e-3),
    batch_size: positiveInt.max(1_000_000).default(256),
    steps: positiveInt.default(2000),
    schedule: ScheduleSchema.default('none'),
    loss: z.union([formula, z.record(formula)], { errorMap: () => ({ message: 'expected a formula, or a map target name → formula' }) }).optional(),
    /** Several targets: each target's weight in the training loss (default 1). */
    loss_weights: z.record(z.number().nonnegative().finite()).optional(),
    eval_every: positiveInt.optional(),
    grad_clip: z.number().positive().optional(),
    seed: z.number().int().safe().optional(),
  })
  .strict();

/** The most values one parameter's `values:` list may hold. */
export const MAX_PARAMETER_VALUES = 10_000;

const ParameterFields = {
  value: z.unknown().optional(),
  // Every value is checked as a trial at load, and each is a grid axis point: 10 000 is plenty.
  values: z.array(z.unknown()).min(1, 'expected at least one value').max(MAX_PARAMETER_VALUES, `expected at most ${MAX_PARAMETER_VALUES} values; for more, give a range (min, max, and q for a grid)`).optional(),
  distribution: z.enum(PARAMETER_DISTRIBUTIONS).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  q: z.number().positive().optional(),
};

/** One parameter, or (W&B's nested form) a group `{parameters: {...}}` whose keys extend the path. */
export type ParameterFileSpec = {
  value?: unknown;
  values?: unknown[];
  distribution?: (typeof PARAMETER_DISTRIBUTIONS)[number];
  min?: number;
  max?: number;
  q?: number;
  parameters?: Record<string, ParameterFileSpec>;
};

export const ParameterSchema: z.ZodType<ParameterFileSpec> = z.lazy(() =>
  z.object({ ...ParameterFields, parameters: z.record(ParameterSchema).optional() }).strict(),
);

/** `tpe:` options (method tpe only); defaults as Optuna's TPESampler, except multivariate and constant_liar, which are on. */
export const TpeSchema = z
  .object({
    startup_trials: positiveInt.default(10),
    candidates: positiveInt.max(10_000).default(24),
    multivariate: z.boolean().default(true),
    constant_liar: z.boolean().default(true),
    gamma: z.number().gt(0).max(1).default(0.1),
  })
  .strict();

/**
 * `early_terminate:` (W&B's name for a pruner). One mapping for every type, so a misspelt key gets
 * a did-you-mean; which keys each type takes, aliases and defaults are handled in prune/options.ts.
 */
export const EarlyTerminateSchema = z
  .object({
    type: z.enum(EARLY_TERMINATE_TYPES),
    startup_trials: z.number().int().safe().nonnegative().optional(),
    warmup_steps: z.number().int().safe().nonnegative().optional(),
    interval: positiveInt.optional(),
    min_trials: positiveInt.optional(),
    min_steps: positiveInt.optional(),
    min_iter: positiveInt.optional(),
    eta: z.number().int().safe().min(2).optional(),
    brackets: positiveInt.optional(),
    s: positiveInt.optional(),
  })
  .strict();

export const SweepFileSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-" (it names the DB file)'),
    description: z.string().optional(),
    method: z.enum(METHODS),
    metric: z
      .object({
        name: z.string().min(1),
        goal: z.enum(['minimize', 'maximize']).default('minimize'),
        target: z.number().finite().optional(),
      })
      .strict(),
    run_cap: positiveInt.optional(),
    tpe: TpeSchema.optional(),
    early_terminate: EarlyTerminateSchema.optional(),
    /** Trained models kept in the DB: the best K complete trials' weights (default 5), or all of them. */
    keep_models: z
      .union([z.number().int().safe().nonnegative(), z.literal('all')], {
        errorMap: () => ({ message: 'expected a whole number ≥ 0 (the best K trials keep their model) or "all"' }),
      })
      .optional(),
    /** Trial packing (src/train/pack.ts): several trials of one shape trained as one program; auto, off, or at most K per pack. */
    pack: z
      .union([z.literal('auto'), z.literal('off'), z.number().int().min(1).max(64)], {
        errorMap: () => ({ message: 'expected auto, off, or a whole number of trials per pack from 1 to 64' }),
      })
      .optional(),
    seed: z.number().int().safe().default(0),
    parameters: z.record(ParameterSchema).default({}),
    problem: ProblemSchema,
    features: z.record(z.array(formula).min(1, 'expected at least one feature formula')),
    model: ModelSchema.default({}),
    training: TrainingSchema.default({}),
  })
  .strict();

export type SweepFile = z.infer<typeof SweepFileSchema>;
export type ProblemFileSpec = z.infer<typeof ProblemSchema>;
export type DataFileSchemaSpec = z.infer<typeof DataSchema>;
export type TrainDataSpec = z.infer<typeof TrainDataSchema>;
export type VariableSpec = z.infer<typeof VariableSchema>;
export type ModelSpec = z.infer<typeof ModelSchema>;
export type TrainingSpec = z.infer<typeof TrainingSchema>;
export type ScheduleSpec = z.infer<typeof ScheduleSchema>;
export type TargetFileSpec = z.infer<typeof TargetSchema>;
export type AggregateFileSpec = z.infer<typeof AggregateSchema>;
export type TpeFileSpec = z.infer<typeof TpeSchema>;
export type EarlyTerminateFileSpec = z.infer<typeof EarlyTerminateSchema>;
export type Activation = (typeof ACTIVATIONS)[number];
