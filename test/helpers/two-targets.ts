// A small two-target sweep (a product and a ratio of two variables, both power laws), used by the
// spec tests and the end-to-end CLI test. `ratio` has its own scale; `prod` uses the problem's.
export const TWO_TARGET_SWEEP = `name: two-targets
method: grid
metric: { name: worst, goal: minimize }
seed: 7
parameters:
  model.shared: { values: [true, false] }
problem:
  variables:
    x: { min: 1, max: 10 }
    z: { distribution: log_uniform, min: 0.1, max: 10 }
  targets:
    prod: x * z
    ratio: { formula: x / z, scale: x / z }
  scale: x * z
  metrics:
    rel_l1: abs(pred - target) / scale
    worst: { max: rel_l1 }
  train: { seed: 1, size: stream }
  validation: { seed: 2, size: 256 }
features:
  log: [log(x), log(z)]
model:
  depth: 0
  head: exp(net)
training:
  lr: 0.05
  batch_size: 64
  steps: 300
  eval_every: 100
  loss:
    prod: abs(log(pred) - log(target))
    ratio: abs(log(pred) - log(target)) + 0.1 * abs(log(pred * pred.prod) - log(x * x))
`;
