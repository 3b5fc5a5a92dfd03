// The read commands on a PostgreSQL URL through the built CLI: predict, explain, export-model and
// serve give what they give on the SQLite sweep the data was copied from; --sweep picks one of two
// sweeps in one database; the password in the URL is never printed. One server for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { PG_PASSWORD, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { LOGLINEAR_SWEEP } from '../artifacts/fixtures.js';
import { request, serve } from '../web/serve-process.js';

interface Result { code: number | null; stdout: string; stderr: string }

function cli(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = tempDir('sweepdeck-pg-read-');
const smokeDb = join(dir, 'smoke.db');
const loglinearDb = join(dir, 'loglinear.db');
let server: TestPostgres;
let url: string;
const printed: string[] = [];
const seen = (r: Result) => (printed.push(r.stdout, r.stderr), r);
/** Output with the DB's name (the file, or the URL without its password) as <DB>: the one expected difference. */
const same = (text: string, db: string) => text.replaceAll(db, '<DB>').replace(/postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/reads/g, '<DB>');

beforeAll(async () => {
  server = await startPostgres();
  const runs = await Promise.all([
    cli(['run', 'sweeps/smoke.yaml', '--db', smokeDb, '--workers', '1', '--backend', 'wasm', '--no-tui']),
    cli(['run', LOGLINEAR_SWEEP, '--db', loglinearDb, '--workers', '1', '--backend', 'wasm', '--no-tui']),
  ]);
  for (const r of runs) if (r.code !== 0) throw new Error(`run failed: ${r.stderr}`);
  url = await server.createDatabase('reads');
  for (const db of [smokeDb, loglinearDb]) {
    const r = seen(await cli(['copy', db, url]));
    if (r.code !== 0) throw new Error(`copy failed: ${r.stderr}`);
  }
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

describe('read commands on a PostgreSQL URL', { timeout: 60_000 }, () => {
  const csv = () => {
    const file = join(dir, 'in.csv');
    fs.writeFileSync(file, 'x,z\n2,3\n5,0.5\n9,7\n');
    return file;
  };

  it('predict gives the SQLite output; --sweep picks the sweep', async () => {
    const [local, remote] = await Promise.all([
      cli(['predict', smokeDb, '--input', csv(), '--check', '--json']),
      cli(['predict', url, '--sweep', 'smoke', '--input', csv(), '--check', '--json']),
    ]);
    seen(remote);
    expect(remote.code, remote.stderr).toBe(0);
    expect(same(remote.stdout, url)).toBe(same(local.stdout, smokeDb));
    const text = [await cli(['predict', smokeDb, '--input', csv()]), seen(await cli(['predict', url, '--sweep', 'smoke', '--input', csv()]))];
    expect(same(text[1]!.stdout, url)).toBe(same(text[0]!.stdout, smokeDb));
    // Two sweeps in the database: without --sweep the command asks which.
    const neither = seen(await cli(['predict', url, '--input', csv()]));
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/smoke/);
  });

  it('explain gives the same text and JSON', async () => {
    for (const extra of [[], ['--json']]) {
      const [local, remote] = await Promise.all([cli(['explain', loglinearDb, ...extra]), cli(['explain', url, '--sweep', 'loglinear', ...extra])]);
      seen(remote);
      expect(remote.code, remote.stderr).toBe(local.code);
      expect(remote.stdout.length).toBeGreaterThan(0);
      expect(same(remote.stdout, url)).toBe(same(local.stdout, loglinearDb));
    }
  });

  it('export-model writes the same files', async () => {
    const a = join(dir, 'model-sqlite');
    const b = join(dir, 'model-pg');
    const [local, remote] = await Promise.all([
      cli(['export-model', loglinearDb, '--out', a]),
      cli(['export-model', url, '--sweep', 'loglinear', '--out', b]),
    ]);
    seen(remote);
    expect(local.code, local.stderr).toBe(0);
    expect(remote.code, remote.stderr).toBe(0);
    const files = fs.readdirSync(a).sort();
    expect(fs.readdirSync(b).sort()).toEqual(files);
    for (const file of files) expect(fs.readFileSync(join(b, file)).equals(fs.readFileSync(join(a, file))), file).toBe(true);
  });

  it('serve answers its index page and a trial page', async () => {
    const served = await serve(url, ['--sweep', 'smoke']);
    try {
      const index = await request(served.port, '/');
      expect(index.status).toBe(200);
      expect(index.body).toContain('smoke · sweepdeck');
      expect((await request(served.port, '/trial/1')).status).toBe(200);
      const api = await request(served.port, '/api/trial/1');
      expect(api.status).toBe(200);
      expect(api.body).not.toContain(PG_PASSWORD);
      expect((await request(served.port, '/trial/99')).status).toBe(404);
    } finally {
      await served.stop();
    }
    printed.push(served.stdout(), served.stderr());
    expect(served.stdout()).toMatch(/^serving sweep smoke from postgresql:/);
  });

  it('--db URL gives what the URL as the argument gives; both at once is one message without the password', async () => {
    for (const args of [['best', '--sweep', 'smoke', '--json'], ['explain', '--sweep', 'loglinear', '--json']]) {
      const [command, ...rest] = args as [string, ...string[]];
      const [positional, flag] = await Promise.all([cli([command, url, ...rest]), cli([command, '--db', url, ...rest])]);
      seen(flag);
      expect(flag.code, flag.stderr).toBe(0);
      expect(flag.stdout.length).toBeGreaterThan(0);
      expect(flag.stdout).toBe(positional.stdout);
    }
    const both = seen(await cli(['best', url, '--db', url, '--sweep', 'smoke']));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: best takes the DB once, as the argument or as --db, not both \(got "postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/reads" and --db "postgresql:\/\/postgres:\*\*\*@/);
  });

  it('never prints the password', () => {
    expect(printed.length).toBeGreaterThan(10);
    for (const text of printed) expect(text).not.toContain(PG_PASSWORD);
    for (const text of printed) expect(text).not.toContain(encodeURIComponent(PG_PASSWORD));
  });
});
