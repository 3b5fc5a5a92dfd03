// Temp dirs and sweep records for the store tests.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { SweepRecord } from '../../src/store/index.js';

const made: string[] = [];

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-store-'));
  made.push(dir);
  return dir;
}

/** A path for a DB that does not exist yet, in a fresh temp directory. */
export function tempDbPath(): string {
  return path.join(tempDir(), 'sweep.db');
}

afterEach(() => {
  for (const dir of made.splice(0)) {
    fs.chmodSync(dir, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

export function sweepRecord(overrides: { name?: string; goal?: SweepRecord['metricGoal']; spec?: object } = {}): SweepRecord {
  const name = overrides.name ?? 'tiny';
  const spec = overrides.spec ?? { name, method: 'grid', metric: { name: 'rel_l1', goal: overrides.goal ?? 'minimize' } };
  const specJson = JSON.stringify(spec);
  return {
    name,
    method: 'grid',
    metricName: 'rel_l1',
    metricGoal: overrides.goal ?? 'minimize',
    specJson,
    specSource: `name: ${name}\nmethod: grid\n`,
    specHash: createHash('sha256').update(specJson).digest('hex'),
    createdAt: new Date().toISOString(),
  };
}

export const runningAsRoot = process.getuid?.() === 0;
