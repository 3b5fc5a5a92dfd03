// A PostgreSQL server that takes TLS connections only: a sweep runs and is read over TLS with the
// server's certificate verified (sslmode=verify-full), and a URL that asks for no TLS is refused
// with one message that never shows the password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PG_PASSWORD, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';

const SWEEP = `name: tls
method: grid
metric: { name: rel_l1 }
parameters:
  training.lr: { values: [0.01, 0.03] }
problem:
  variables:
    x: { min: 1, max: 10 }
  target: 2 * x
  scale: 2 * x
  validation: { size: 128 }
features:
  raw: [x]
model: { depth: 1, width: 4, activation: tanh }
training: { batch_size: 32, steps: 60, eval_every: 20 }
`;

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres({ tls: true });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('PostgreSQL over TLS', () => {
  it('a sweep runs and is read with the server verified (sslmode=verify-full); without TLS the server refuses, in one message', async () => {
    const url = await server.createDatabase('tls');
    expect(url).toMatch(/\/tls\?sslmode=verify-full&sslrootcert=/);
    const file = join(tempDir(), 'tls.yaml');
    writeFileSync(file, SWEEP);
    const run = sweepdeck(['run', file, '--db', url, '--workers', '1', '--backend', 'wasm', '--no-tui']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/done in .*: 2 complete/);
    const best = sweepdeck(['best', url, '--json']);
    expect(best.code, best.stderr).toBe(0);
    expect(JSON.parse(best.stdout)).toHaveLength(2);

    // The same database without TLS: pg_hba takes TCP connections over TLS only.
    const plain = url.replace(/\?.*$/, '?sslmode=disable');
    const refused = sweepdeck(['best', plain]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/no encryption|pg_hba/);
    for (const output of [run.stdout, run.stderr, best.stdout, best.stderr, refused.stdout, refused.stderr]) expect(output).not.toContain(PG_PASSWORD);
  }, 180_000);
});
