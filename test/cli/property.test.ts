// Property-style reliability test (issue 15): generated sweep files, CSVs, paths and flag values
// thrown at validate, run, predict and the read commands. Whatever the input: the command ends in
// a result (exit 0; predict's 3 for rows outside the trained ranges) or in a message that the CLI
// turns into exit 2; never a stack trace; memory stays bounded; and no file that existed before
// changes, unless writing it is the command's purpose (export --out FILE --force). Most cases run
// in-process through the commands' entry points; a share runs through the real CLI.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CLI, REPO, breathe, sweepdeck } from '../helpers/cli.js';
import { VALID_SWEEP, tempDir } from '../helpers/sweep-text.js';
import { Rng } from '../../src/rng.js';
import { validateCommand } from '../../src/commands/validate.js';
import { bestCommand, exportCommand, showCommand } from '../../src/commands/inspect.js';
import { importanceCommand } from '../../src/commands/importance.js';
import { predictCommand } from '../../src/commands/predict.js';
import { parsePositiveInt, UsageError } from '../../src/commands/errors.js';
import { SpecError } from '../../src/spec/errors.js';
import { StoreError } from '../../src/store/index.js';
import { ArtifactError } from '../../src/artifacts/index.js';
import { OutputError } from '../../src/output/write-output.js';

const dir = tempDir('sweepdeck-property-');
const db = join(dir, 'fixture.db');
const sweepFile = join(dir, 'fixture.yaml');
/** RSS bound for this test process and for each CLI process. */
const RSS_LIMIT_BYTES = 1.5 * 2 ** 30;
const rng = new Rng(15);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)]!;
const chance = (p: number) => rng.next() < p;

/** The errors the CLI reports as one line with exit 2 (cli.ts: main). */
function isBadInputError(error: unknown): boolean {
  if (error instanceof StoreError) return error.code !== 'locked';
  return error instanceof SpecError || error instanceof UsageError || error instanceof ArtifactError || error instanceof OutputError;
}

function hashes(): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of fs.readdirSync(dir)) {
    const file = join(dir, name);
    if (fs.statSync(file).isFile()) found.set(file, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
  }
  return found;
}

/** No file that existed in `before` is changed or gone, except `allowed`. */
function expectUnchanged(before: Map<string, string>, allowed: readonly string[] = []): void {
  const after = hashes();
  for (const [file, hash] of before) {
    if (allowed.includes(file)) continue;
    expect(after.get(file), `${file} changed`).toBe(hash);
  }
}

// A preloaded script that records the process's peak RSS, so that CLI runs are held to the bound too.
const rssReporter = join(dir, 'report-rss.cjs');
function cli(args: string[], timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string; maxRss: number } {
  const rssFile = join(tempDir(), 'rss');
  const result = spawnSync(process.execPath, ['--require', rssReporter, CLI, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 26,
    env: { ...process.env, RSS_FILE: rssFile },
  });
  const maxRss = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) * 1024 : 0;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, maxRss };
}

function expectCleanEnd(result: { code: number | null; stderr: string; maxRss?: number }, allowed: readonly number[], what: string): void {
  expect(allowed, `${what}: exit ${result.code}: ${result.stderr}`).toContain(result.code);
  expect(result.stderr, what).not.toMatch(/\n\s+at |sweepdeck failed/);
  if (result.maxRss !== undefined) expect(result.maxRss, what).toBeLessThan(RSS_LIMIT_BYTES);
}

// ---- generators ------------------------------------------------------------------------------

const HOSTILE_VALUES: unknown[] = [
  0, -1, 1, 1e12, 2e9, -1e308, 1e-320, 0.5, Number.MAX_SAFE_INTEGER + 2, '.inf', '', ' ', 'stream', 'constructor', '__proto__', 'toString',
  'x1', 'x1 * x2', 'log(x1', 'process.exit(1)', "constructor.constructor('return process')()", 'x1 ^ 1e6', '1/0', 'a'.repeat(5000),
  null, true, [], [1, 2, 3], ['raw'], {}, { min: 1, max: 0 }, { values: [] }, { distribution: 'log_uniform', min: -1, max: 2 }, { value: 'x' },
];
const HOSTILE_KEYS = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'x3', 'min', 'values', 'parameters', 'ünï', '0', 'a b'];

/** Every path to a value in `data`. */
function pathsOf(data: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(data)) return [prefix, ...data.flatMap((item, i) => pathsOf(item, [...prefix, i]))];
  if (typeof data === 'object' && data !== null) return [prefix, ...Object.entries(data).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  return [prefix];
}

function parentOf(data: unknown, path: (string | number)[]): Record<string | number, unknown> | undefined {
  let node = data as Record<string | number, unknown>;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  return typeof node === 'object' && node !== null ? node : undefined;
}

/** The valid sweep with one to three random mutations: a value replaced, a key removed, added or renamed. */
function generatedSweep(): string {
  const data = parseYaml(VALID_SWEEP) as Record<string, unknown>;
  const mutations = 1 + Math.floor(rng.next() * 3);
  for (let m = 0; m < mutations; m++) {
    const paths = pathsOf(data).filter((p) => p.length > 0);
    const path = pick(paths);
    const parent = parentOf(data, path);
    if (!parent) continue;
    const key = path.at(-1)!;
    const kind = rng.next();
    if (kind < 0.55) parent[key] = structuredClone(pick(HOSTILE_VALUES));
    else if (kind < 0.7 && !Array.isArray(parent)) delete parent[key];
    else if (kind < 0.85 && !Array.isArray(parent)) Object.defineProperty(parent, pick(HOSTILE_KEYS), { value: pick(HOSTILE_VALUES), enumerable: true, configurable: true, writable: true });
    else if (!Array.isArray(parent)) {
      const value = parent[key];
      delete parent[key];
      Object.defineProperty(parent, pick(HOSTILE_KEYS), { value, enumerable: true, configurable: true, writable: true });
    }
  }
  let text = stringifyYaml(data);
  // Sometimes the text itself is damaged: cut, or with a stray character.
  if (chance(0.1)) text = text.slice(0, Math.floor(rng.next() * text.length));
  if (chance(0.05)) text = text.replace(':', pick(['::', ': &a', ': *b', ': !!binary', '\t:']));
  return text.replaceAll('".inf"', '.inf');
}

const CELLS = ['1', '2.5', '9.99', '1e3', '-4', '0', '', 'abc', '1e400', 'NaN', 'Infinity', '0x10', '"5"', '"1,2"', ' 3 ', '1_000', '１'];

/** A CSV for the fixture's variables (x1, x2): header mistakes, odd cells, odd line ends. */
function generatedCsv(): string {
  const header = chance(0.8) ? ['x1', 'x2'] : pick([['x1'], ['X1', 'x2'], ['x2', 'x1', 'extra'], ['x1', 'x1'], ['constructor', 'x1', 'x2'], []]);
  if (chance(0.3)) header.push(pick(['__proto__', 'toString', 'note']));
  const rows = Math.floor(rng.next() * 8);
  const lines = [header.join(',')];
  for (let r = 0; r < rows; r++) lines.push(header.map(() => (chance(0.8) ? String(1 + Math.floor(rng.next() * 900) / 100) : pick(CELLS))).join(','));
  let text = lines.join(pick(['\n', '\r\n', '\r']));
  if (chance(0.1)) text = `\uFEFF${text}`;
  if (chance(0.1)) text += '\n"unterminated';
  return text;
}

const RAW_NUMBERS = ['1', '3', '10', '0', '-1', '1.5', '1e12', '99999999999999999999', '0x10', '', ' ', 'abc', 'Infinity', 'NaN', '1e400', '9007199254740993'];

// ---- fixture ---------------------------------------------------------------------------------

type FixturePath = 'db' | 'sweepFile' | 'truncated' | 'noise' | 'csv' | 'directory' | 'missing' | 'devNull' | 'devZero';
let paths: Record<FixturePath, string>;

beforeAll(() => {
  fs.writeFileSync(rssReporter, "process.on('exit', () => require('fs').writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
  fs.writeFileSync(sweepFile, VALID_SWEEP);
  const result = sweepdeck(['run', sweepFile, '--db', db, '--workers', '1', '--backend', 'wasm', '--no-tui'], { timeoutMs: 240_000 });
  if (result.code !== 0) throw new Error(`the fixture sweep failed: ${result.stderr}`);
  const truncated = join(dir, 'truncated.db');
  fs.writeFileSync(truncated, fs.readFileSync(db).subarray(0, 5000));
  const noise = join(dir, 'noise.db');
  fs.writeFileSync(noise, Buffer.from(Array.from({ length: 8192 }, () => Math.floor(rng.next() * 256))));
  const csv = join(dir, 'points.csv');
  fs.writeFileSync(csv, 'x1,x2\n2,1.5\n');
  fs.mkdirSync(join(dir, 'a-directory'));
  paths = {
    db,
    sweepFile,
    truncated,
    noise,
    csv,
    directory: join(dir, 'a-directory'),
    missing: join(dir, 'missing.db'),
    devNull: '/dev/null',
    devZero: '/dev/zero',
  };
}, 240_000);

describe('generated inputs end in a result or in one message (exit 2)', { timeout: 120_000 }, () => {
  it('300 generated sweep files through validate (in-process), 24 of them through the CLI', async () => {
    const before = hashes();
    const files: string[] = [];
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const file = join(dir, `generated-${i}.yaml`);
      fs.writeFileSync(file, generatedSweep());
      files.push(file);
      try {
        await validateCommand(file, {}, () => {});
        accepted++;
      } catch (error) {
        if (!isBadInputError(error)) throw new Error(`${file}: ${String((error as Error).stack)}\n${fs.readFileSync(file, 'utf8')}`);
        expect((error as Error).message.split('\n')).toHaveLength(1);
      }
    }
    expect(process.memoryUsage().rss).toBeLessThan(RSS_LIMIT_BYTES);
    // Both outcomes happen: the generator is neither all-valid nor all-broken.
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(290);
    for (let i = 0; i < 24; i++) {
      await breathe();
      const file = files[i * 12]!;
      expectCleanEnd(cli(['validate', file]), [0, 2], file);
    }
    expectUnchanged(before);
  });

  it('generated sweep files through run (CLI): they run, or are refused before any DB is written', async () => {
    let ran = 0;
    for (let i = 0; i < 40 && ran < 3; i++) {
      const file = join(dir, `run-${i}.yaml`);
      fs.writeFileSync(file, generatedSweep());
      try {
        await validateCommand(file, {}, () => {});
      } catch {
        if (i % 10 !== 0) continue; // a few refused ones through run too
      }
      const target = join(dir, `run-${i}.db`);
      await breathe();
      const before = hashes();
      const result = cli(['run', file, '--db', target, '--workers', '1', '--steps', '4', '--no-tui', '--time-budget', '20s'], 90_000);
      // Exit 1 only when every trial failed at run time, each with its reason recorded in the DB.
      expectCleanEnd(result, [0, 1, 2], file);
      if (result.code === 1) expect(result.stderr).toMatch(/every trial failed/);
      if (result.code === 2) expect(fs.existsSync(target)).toBe(false);
      else ran++;
      expectUnchanged(before);
    }
    expect(ran).toBeGreaterThan(0);
  });

  it('200 read commands with generated DB paths and flag values (in-process), 12 through the CLI', async () => {
    const dbPaths = [paths.db, paths.db, paths.db, paths.truncated, paths.noise, paths.sweepFile, paths.csv, paths.directory, paths.missing, paths.devNull, paths.devZero];
    const outPaths = [paths.db, `${paths.db}-wal`, paths.sweepFile, paths.csv, paths.directory, paths.devNull, join(dir, 'no-such-dir', 'x.csv'), join(dir, 'export-new.csv')];
    const cliCases: string[][] = [];
    for (let i = 0; i < 200; i++) {
      const dbPath = pick(dbPaths);
      const raw = pick(RAW_NUMBERS);
      const command = pick(['best', 'show', 'export', 'importance'] as const);
      const before = hashes();
      let allowed: string[] = [];
      let args: string[];
      try {
        switch (command) {
          case 'best':
            args = ['best', dbPath, '--top', raw];
            await bestCommand(dbPath, { top: parsePositiveInt('--top', raw) }, () => {});
            break;
          case 'show': {
            args = ['show', dbPath, raw];
            const n = Number(raw);
            if (!Number.isSafeInteger(n) || n < 0 || raw.trim() === '') throw new UsageError(`trial number expects a whole number ≥ 0, got "${raw}"`);
            await showCommand(dbPath, n, {}, () => {});
            break;
          }
          case 'export': {
            const out = chance(0.7) ? pick(outPaths) : undefined;
            const force = chance(0.5);
            args = ['export', dbPath, '--format', 'csv', ...(out ? ['--out', out] : []), ...(force ? ['--force'] : [])];
            // Replacing an existing output file is export's purpose with --force; never the DB or the sweep file.
            if (out && force && out !== paths.db && out !== `${paths.db}-wal`) allowed = [out];
            await exportCommand(dbPath, { format: 'csv', ...(out ? { out } : {}), force }, () => {});
            if (out === join(dir, 'export-new.csv')) fs.rmSync(out);
            break;
          }
          case 'importance':
            args = ['importance', dbPath];
            await importanceCommand(dbPath, {}, () => {});
            break;
        }
      } catch (error) {
        if (!isBadInputError(error)) throw new Error(`${args!.join(' ')}: ${String((error as Error).stack)}`);
      }
      expectUnchanged(before, allowed);
      if (i % 17 === 0) cliCases.push(args!);
    }
    expect(process.memoryUsage().rss).toBeLessThan(RSS_LIMIT_BYTES);
    for (const args of cliCases.slice(0, 12)) {
      await breathe();
      const before = hashes();
      const result = cli(args);
      expectCleanEnd(result, [0, 2], args.join(' '));
      if (!args.includes('--force')) expectUnchanged(before);
      fs.rmSync(join(dir, 'export-new.csv'), { force: true });
    }
  });

  it('80 generated CSVs through predict (in-process), 6 through the CLI', async () => {
    const cliCases: string[][] = [];
    for (let i = 0; i < 80; i++) {
      const input = join(dir, `input-${i}.csv`);
      fs.writeFileSync(input, generatedCsv());
      const before = hashes();
      const flags = { input, check: chance(0.5), json: chance(0.5), ...(chance(0.2) ? { trial: Math.floor(rng.next() * 6) } : {}) };
      try {
        const code = await predictCommand(pick([paths.db, paths.db, paths.db, paths.noise, paths.missing]), flags, () => {});
        expect([0, 3]).toContain(code);
      } catch (error) {
        if (!isBadInputError(error)) throw new Error(`predict ${input}: ${String((error as Error).stack)}\n${fs.readFileSync(input, 'utf8')}`);
      }
      expectUnchanged(before);
      if (i % 13 === 0) cliCases.push(['predict', paths.db, '--input', input, ...(flags.check ? ['--check'] : []), ...(flags.json ? ['--json'] : [])]);
    }
    expect(process.memoryUsage().rss).toBeLessThan(RSS_LIMIT_BYTES);
    for (const args of cliCases.slice(0, 6)) {
      await breathe();
      expectCleanEnd(cli(args), [0, 2, 3], args.join(' '));
    }
  });
});
