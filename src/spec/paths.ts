// Which fields of a trial can be swept, and how to read and write a value at a dotted path.

/** Every path a parameter may address (the README lists them too). */
export const TUNABLE_PATHS = [
  'features',
  'model.depth',
  'model.width',
  'model.activation',
  'model.initializer',
  'model.head',
  'model.input_norm',
  'model.shared',
  'training.optimizer',
  'training.lr',
  'training.batch_size',
  'training.steps',
  'training.schedule',
  'training.schedule.type',
  'training.schedule.min_lr',
  'training.schedule.warmup',
  'training.schedule.every',
  'training.schedule.gamma',
  'training.schedule.factor',
  'training.schedule.patience',
  'training.schedule.threshold',
  'training.loss',
  'training.eval_every',
  'training.grad_clip',
  'training.seed',
  'problem.train.seed',
  'problem.train.size',
] as const;

/** The sweepable paths of a problem with these named targets: the fixed ones plus each target's head, loss and loss weight. */
export function tunablePaths(targetNames: readonly string[]): string[] {
  return [
    ...TUNABLE_PATHS,
    ...targetNames.flatMap((name) => [`model.head.${name}`, `training.loss.${name}`, `training.loss_weights.${name}`]),
  ];
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of `base` with `value` written at `path`; strings met on the way become {type: s} (schedule shorthand). */
export function withValueAt(base: PlainObject, path: string, value: unknown): PlainObject {
  const root: PlainObject = structuredClone(base);
  const segments = path.split('.');
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    let child = node[segment];
    if (typeof child === 'string') child = { type: child };
    if (!isPlainObject(child)) child = {};
    node[segment] = child;
    node = child as PlainObject;
  }
  node[segments[segments.length - 1]!] = structuredClone(value);
  return root;
}
