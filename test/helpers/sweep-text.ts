// A small valid sweep file as text, and a way to write variants of it to a temp dir.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VALID_SWEEP = `name: tiny
method: grid
metric: { name: rel_l1, goal: minimize }
parameters:
  features: { values: [raw, log] }
  training.lr: { values: [0.01, 0.1] }
problem:
  variables:
    x1: { min: 1, max: 10 }
    x2: { min: 1, max: x1 }
  target: x1 * x2
  scale: x1 * x2
  validation: { size: 128 }
features:
  raw: [x1, x2]
  log: [log(x1), log(x2)]
model:
  depth: 1
  width: 4
training:
  batch_size: 16
  steps: 10
`;

export function tempDir(prefix = 'sweepdeck-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeSweep(text: string, name = 'sweep.yaml', dir = tempDir()): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
