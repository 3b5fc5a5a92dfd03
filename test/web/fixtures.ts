// A real results DB for the web view's tests: a tiny random sweep with ASHA, run once per test
// file through the built CLI, so it has complete and pruned trials, curves and kept models.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';

export const WEB_SWEEP = `name: webtiny
method: random
run_cap: 10
seed: 3
metric: { name: rel_l1, goal: minimize }
early_terminate: { type: asha, min_steps: 20, eta: 3 }
parameters:
  features: { values: [raw, log] }
  model.activation: { values: [linear, tanh] }
  training.lr: { distribution: log_uniform_values, min: 0.001, max: 0.1 }
problem:
  variables:
    x: { min: 1, max: 10 }
    z: { distribution: log_uniform, min: 0.1, max: 10 }
  target: x * z
  scale: x * z
  validation: { size: 256 }
features:
  raw: [x, z]
  log: [log(x), log(z)]
model: { depth: 1, width: 8 }
training: { batch_size: 32, steps: 80, eval_every: 10 }
`;

/** Runs WEB_SWEEP (or `text`) to completion; returns the DB's path and the directory it is in. */
export function makeSweepDb(text = WEB_SWEEP): { dir: string; db: string; sweepFile: string } {
  const dir = tempDir('sweepdeck-web-');
  const sweepFile = join(dir, 'web.yaml');
  writeFileSync(sweepFile, text);
  const db = join(dir, 'web.db');
  const result = sweepdeck(['run', sweepFile, '--db', db, '--workers', '2', '--no-tui', '--backend', 'wasm']);
  if (result.code !== 0) throw new Error(`the fixture sweep failed (exit ${result.code}):\n${result.stderr}\n${result.stdout}`);
  return { dir, db, sweepFile };
}
