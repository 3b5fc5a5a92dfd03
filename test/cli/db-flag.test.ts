// `--db PATH|URL` on every command that takes a DB, through the built CLI: the same output as the
// DB given as the argument, and one message with exit 2 when both or neither are given. SQLite
// here; the PostgreSQL URL case is in pg-read-commands.test.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, sweepdeck } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';
import { LOGLINEAR_SWEEP } from '../artifacts/fixtures.js';
import { request, serve } from '../web/serve-process.js';

const dir = tempDir('sweepdeck-db-flag-');
const db = join(dir, 'loglinear.db');
const csv = join(dir, 'in.csv');

beforeAll(() => {
  const run = sweepdeck(['run', LOGLINEAR_SWEEP, '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui'], { timeoutMs: 240_000 });
  if (run.code !== 0) throw new Error(`run failed (${run.code}): ${run.stderr}`);
  fs.writeFileSync(csv, 'a,b,c\n2,3,4\n5,6,7\n');
}, 240_000);

/** Each read command's arguments after the DB (the ones that write take a fresh path for each call). */
let outputs = 0;
const fresh = (name: string) => join(dir, `${name}-${++outputs}`);
const readCommands: [string, () => string[]][] = [
  ['best', () => ['--json']],
  ['show', () => ['1', '--json']],
  ['sweeps', () => ['--json']],
  ['export', () => ['--format', 'json']],
  ['importance', () => []],
  ['predict', () => ['--input', csv, '--json']],
  ['explain', () => ['--json']],
  ['export-model', () => ['--out', fresh('model')]],
  ['report', () => ['-o', fresh('report.html')]],
];

describe('--db instead of the DB argument', { timeout: 120_000 }, () => {
  it.each(readCommands.map(([command, rest]) => ({ command, rest })))('$command --db DB gives what $command DB gives', ({ command, rest }) => {
    const positional = sweepdeck([command, db, ...rest()]);
    const flag = sweepdeck([command, '--db', db, ...rest()]);
    // What differs between two runs of one command: the fresh output path, and how long it took (`report` says).
    const unpath = (text: string) => text.replace(/\/[^\s"]*\/(model|report\.html)-\d+/g, '<OUT>').replace(/ in \d+(\.\d+)? s\b/g, ' in <T> s');
    expect(flag.stderr).toBe(positional.stderr);
    expect(flag.code).toBe(positional.code);
    expect(unpath(flag.stdout)).toBe(unpath(positional.stdout));
    // Not a pair of failures that look alike: each command really read the DB (importance needs
    // 10 complete trials and says so, exit 2, on this 2-trial sweep).
    if (command === 'importance') {
      expect(flag.code).toBe(2);
      expect(flag.stderr).toMatch(/complete trials/);
    } else {
      expect(flag.code, flag.stderr).toBe(0);
      expect(flag.stdout).not.toBe('');
    }
  });

  it('show takes the trial number as its one argument with --db, on either side of the flag', () => {
    const before = sweepdeck(['show', '1', '--db', db, '--json']);
    const after = sweepdeck(['show', '--db', db, '1', '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ number: 1 });
    expect(before.stdout).toBe(after.stdout);
    const none = sweepdeck(['show', '--db', db]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('error: show needs a trial number: sweepdeck show --db DB NUMBER\n');
  });

  it('watch resolves --db like the argument (and, without a terminal, says what to use instead)', () => {
    const flag = sweepdeck(['watch', '--db', db]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`sweepdeck best ${db}`);
    expect(flag.stderr).toBe(sweepdeck(['watch', db]).stderr);
  });

  it('resume --db continues the stored sweep (here: nothing left to train)', () => {
    const flag = sweepdeck(['resume', '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui']);
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stdout).toMatch(/^sweep loglinear: /);
  });

  it('agent --db takes the URL from the flag (a SQLite file is refused as for the argument)', () => {
    const flag = sweepdeck(['agent', '--db', db, '--sweep', 'loglinear']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe(sweepdeck(['agent', db, '--sweep', 'loglinear']).stderr);
    expect(flag.stderr).toMatch(/agent expects a postgresql:\/\/ URL/);
  });

  it('serve --db serves the same DB', async () => {
    const served = await serve(['--db', db]);
    try {
      const page = await request(served.port, '/api/sweep');
      expect(page.status, page.body).toBe(200);
      expect(page.body).toContain('loglinear');
    } finally {
      await served.stop();
    }
  });
});

describe('the DB both as the argument and as --db, or neither: one message, exit 2', { timeout: 120_000 }, () => {
  const all = [...readCommands.map(([command, rest]) => [command, rest] as const), ['watch', () => []] as const, ['serve', () => ['--port', '0']] as const, ['resume', () => ['--no-tui']] as const];

  it.each(all.map(([command, rest]) => ({ command, rest })))('$command', ({ command, rest }) => {
    const args = command === 'show' ? ['--json'] : rest();
    const both = sweepdeck(command === 'show' ? ['show', db, '1', '--db', db, '--json'] : [command, db, '--db', join(dir, 'other.db'), ...args]);
    expect(both.code).toBe(2);
    expect(both.stdout).toBe('');
    expect(both.stderr).toMatch(new RegExp(`^error: ${command} takes the DB once, as the argument or as --db, not both \\(got ".*" and --db ".*"\\)\\n$`));
    const neither = sweepdeck([command, ...args]);
    expect(neither.code).toBe(2);
    expect(neither.stdout).toBe('');
    expect(neither.stderr).toBe(`error: ${command} needs a DB: sweepdeck ${command} DB … or sweepdeck ${command} --db PATH|URL …\n`);
    // Neither call touched anything: no other.db was created.
    expect(fs.existsSync(join(dir, 'other.db'))).toBe(false);
  });

  it('show --db with two numbers names them as trial numbers', () => {
    const two = sweepdeck(['show', '--db', db, '1', '2']);
    expect(two.code).toBe(2);
    expect(two.stderr).toBe('error: show takes one trial number (got "1" and "2")\n');
  });

  it('agent, with neither, asks for the URL', () => {
    const neither = sweepdeck(['agent', '--sweep', 'x']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toBe('error: agent needs a PostgreSQL URL: sweepdeck agent URL … or sweepdeck agent --db URL …\n');
  });

  it('the help shows both forms', () => {
    const help = spawnSync(process.execPath, [CLI, 'best', '--help'], { cwd: REPO, encoding: 'utf8' });
    expect(help.stdout).toMatch(/Usage: sweepdeck best \[options\] \[db\]/);
    expect(help.stdout).toMatch(/--db <path\|url>/);
  });
});
