#!/usr/bin/env node
// The `sweepdeck` command line: parses flags, calls the commands, maps errors to exit codes
// (0 ok, 1 failure at run time, 2 bad input or usage). No logic of its own.
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { SpecError } from './spec/errors.js';
import { StoreError, copySweep, isCorruption, isPostgresUrl, redactUrl, salvageAdvice } from './store/index.js';
import { BACKEND_CHOICES } from './train/backend-choice.js';
import { MAX_PACK, type PackSetting } from './run/pack-plan.js';
import { resumeCommand, runCommand, type ResumeFlags, type RunFlags } from './commands/run.js';
import { MAX_TIME_BUDGET_SECONDS, formatBudget, parseDuration } from './run/stop-rules.js';
import { validateCommand } from './commands/validate.js';
import { bestCommand, exportCommand, showCommand } from './commands/inspect.js';
import { predictCommand } from './commands/predict.js';
import { explainCommand } from './commands/explain.js';
import { exportModelCommand } from './commands/export-model.js';
import { ArtifactError } from './artifacts/index.js';
import { OutputError } from './output/write-output.js';
import { importanceCommand } from './commands/importance.js';
import { sweepsCommand } from './commands/sweeps.js';
import { DEFAULT_WATCH_INTERVAL_MS, watchCommand } from './commands/watch.js';

/** An hour: longer would not be watching (and Node's timers end at 2^31 ms). */
const MAX_WATCH_INTERVAL_MS = 3_600_000;
import { EXIT_BAD_INPUT, EXIT_RUNTIME, UsageError, parsePositiveInt } from './commands/errors.js';
import { DEFAULT_HOST, DEFAULT_PORT, parsePort, reportCommand, serveCommand, type ServeFlags } from './commands/serve.js';

function packageVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

// A closed pipe (`sweepdeck run … | head`) must not kill a sweep whose results live in the DB:
// once a stream is gone, its lines are dropped and the work goes on.
const closedStreams = new Set<NodeJS.WriteStream>();
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closedStreams.add(stream);
  });
}
const writeLine = (stream: NodeJS.WriteStream, text: string) => {
  if (!closedStreams.has(stream)) stream.write(`${text}\n`);
};
const out = (text: string) => writeLine(process.stdout, text);
const err = (text: string) => writeLine(process.stderr, text);

const positiveInt = (flag: string, max?: number) => (raw: string) => parsePositiveInt(flag, raw, max);
/** `--pack auto|off|K`: trials per pack (K from 1 to MAX_PACK). */
const packSetting = (raw: string): PackSetting => {
  if (raw === 'auto' || raw === 'off') return raw;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PACK) throw new UsageError(`--pack expects auto, off or a whole number of trials per pack from 1 to ${MAX_PACK}, got "${raw}"`);
  return Number(raw);
};
const PACK_HELP = 'train trials of one shape together, K per pack: auto (the default: what pays on the backend), off, or K; overrides the sweep file\'s pack:';
const duration = (flag: string) => (raw: string) => {
  const seconds = parseDuration(raw);
  if (seconds === undefined || seconds <= 0 || !Number.isFinite(seconds)) throw new UsageError(`${flag} expects a duration like 90s, 10m or 1h30m, got "${raw}"`);
  if (seconds > MAX_TIME_BUDGET_SECONDS) throw new UsageError(`${flag} expects at most ${formatBudget(MAX_TIME_BUDGET_SECONDS)} (366 days), got "${raw}"`);
  return seconds;
};

/** The results DB as the argument or as `--db`, for the commands that read or join one. */
function dbArgument(command: Command, noun = 'results DB (a SQLite file or postgresql:// URL)'): Command {
  return command.argument('[db]', `${noun}; or give it as --db`).option('--db <path|url>', `${noun}, instead of the argument`);
}

/** Exactly one of the argument and `--db`: both, or neither, is a usage error (exit 2). */
function resolveDb(command: string, positional: string | undefined, flag: string | undefined, noun = 'DB'): string {
  const shown = (location: string) => (isPostgresUrl(location) ? redactUrl(location) : location);
  if (positional !== undefined && flag !== undefined) {
    throw new UsageError(`${command} takes the ${noun} once, as the argument or as --db, not both (got "${shown(positional)}" and --db "${shown(flag)}")`);
  }
  const location = positional ?? flag;
  if (location === undefined) throw new UsageError(`${command} needs a ${noun}: sweepdeck ${command} ${noun === 'DB' ? 'DB' : 'URL'} … or sweepdeck ${command} --db ${noun === 'DB' ? 'PATH|URL' : 'URL'} …`);
  return location;
}

/** The flags without `db`, which resolveDb has taken. */
function withoutDb<F extends { db?: string }>(flags: F): Omit<F, 'db'> {
  const { db: _db, ...rest } = flags;
  return rest;
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('sweepdeck')
    .description('Hyperparameter sweeps for TensorFlow.js: one file describes the problem and the search space.')
    .version(packageVersion())
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('run')
    .description('run a sweep file: train every trial in parallel, keep every result in SQLite')
    .argument('<file>', 'sweep file (YAML or JSON)')
    .option('--db <path|url>', 'results DB: a SQLite file (default: results/<sweep name>.db) or postgresql://user@host:5432/dbname')
    .option('--workers <n>', 'worker threads (default: number of cores)', positiveInt('--workers'))
    .option('--pack <auto|off|K>', PACK_HELP, packSetting)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES as string[]).default('auto'))
    .option('--steps <n>', 'override training.steps for every trial', positiveInt('--steps'))
    .option('--no-tui', 'print one plain line per trial event instead of the dashboard (the default without a terminal)')
    .option('--time-budget <duration>', 'stop after this much wall time, e.g. 90s, 10m, 1h30m (running trials go back to the queue)', duration('--time-budget'))
    .option('--max-failures <n>', 'end the sweep once this many trials have failed in this run', positiveInt('--max-failures'))
    .action(async (file: string, flags: RunFlags) => {
      setExit(await runCommand(file, flags, { out, err }));
    });

  dbArgument(program
    .command('resume')
    .description('continue the sweep stored in a results DB (no sweep file needed): trials that were running go back to the queue'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--workers <n>', 'worker threads (default: number of cores)', positiveInt('--workers'))
    .option('--pack <auto|off|K>', PACK_HELP, packSetting)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES as string[]).default('auto'))
    .option('--no-tui', 'print one plain line per trial event')
    .option('--time-budget <duration>', 'as for run', duration('--time-budget'))
    .option('--max-failures <n>', 'as for run', positiveInt('--max-failures'))
    .action(async (db: string | undefined, flags: ResumeFlags & { db?: string }) => {
      setExit(await resumeCommand(resolveDb('resume', db, flags.db), withoutDb(flags), { out, err }));
    });

  dbArgument(program
    .command('agent')
    .description('join a sweep in a PostgreSQL database from this machine: train its trials until it is done, its cap is reached, or Ctrl-C (the spec comes from the DB)'),
    'postgresql://user@host:5432/dbname (password from the URL, PGPASSWORD or ~/.pgpass)')
    .requiredOption('--sweep <name>', 'the sweep to join (sweepdeck sweeps URL lists them)')
    .option('--workers <n>', 'worker threads (default: number of cores)', positiveInt('--workers'))
    .option('--pack <auto|off|K>', PACK_HELP, packSetting)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES as string[]).default('auto'))
    .option('--no-tui', 'print one plain line per trial event')
    .option('--time-budget <duration>', 'as for run', duration('--time-budget'))
    .option('--max-failures <n>', 'as for run', positiveInt('--max-failures'))
    .action(async (positional: string | undefined, flags: ResumeFlags & { db?: string }) => {
      const url = resolveDb('agent', positional, flags.db, 'PostgreSQL URL');
      if (!isPostgresUrl(url)) throw new UsageError(`agent expects a postgresql:// URL, got "${url}" (a SQLite file has one writer: use sweepdeck resume ${url})`);
      setExit(await resumeCommand(url, withoutDb(flags), { out, err }));
    });

  program
    .command('copy')
    .description('copy a sweep between DBs (SQLite file ↔ PostgreSQL): trials, metrics and kept models, as they are')
    .argument('<src>', 'results DB to read (file or postgresql:// URL)')
    .argument('<dst>', 'results DB to write: a new file, or a PostgreSQL database without that sweep')
    .option('--sweep <name>', 'the sweep, where SRC holds several')
    .action(async (src: string, dst: string, flags: { sweep?: string }) => {
      const copied = await copySweep(src, dst, flags);
      out(`copied sweep ${copied.sweep}: ${copied.trials} trials, ${copied.metrics} metric points, ${copied.models} kept models → ${isPostgresUrl(dst) ? redactUrl(dst) : dst}`);
      setExit(0);
    });

  dbArgument(program
    .command('sweeps')
    .description('the sweeps a DB holds, with their state and best value'))
    .option('--json', 'print an array of sweeps')
    .action(async (db: string | undefined, flags: { json?: boolean; db?: string }) => setExit(await sweepsCommand(resolveDb('sweeps', db, flags.db), withoutDb(flags), out)));

  program
    .command('validate')
    .description('check a sweep file and print the plan it expands to')
    .argument('<file>', 'sweep file (YAML or JSON)')
    .option('--json', 'print the plan as JSON')
    .option('--steps <n>', 'as for run', positiveInt('--steps'))
    .action(async (file: string, flags: { json?: boolean; steps?: number }) => setExit(await validateCommand(file, flags, out)));

  dbArgument(program
    .command('best')
    .description('the best completed trials of a sweep'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--top <n>', 'how many', positiveInt('--top'), 10)
    .option('--json', 'print an array of trials, best first')
    .action(async (db: string | undefined, flags: { top: number; json?: boolean; sweep?: string; db?: string }) =>
      setExit(await bestCommand(resolveDb('best', db, flags.db), withoutDb(flags), out)),
    );

  dbArgument(program
    .command('show')
    .description('one trial: parameters, state, and its validation curve'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .argument('[number]', 'trial number')
    .option('--json', 'print the trial as JSON')
    .action(async (first: string | undefined, second: string | undefined, flags: { json?: boolean; sweep?: string; db?: string }) => {
      // With --db, the one argument is the trial number (`show --db x.db 140`); a second one would be a second DB.
      // Two numbers after --db are two trial numbers, not a DB and a number.
      if (flags.db !== undefined && second !== undefined && /^\d+$/.test(first ?? '')) throw new UsageError(`show takes one trial number (got "${first}" and "${second}")`);
      const [positional, raw] = flags.db !== undefined && second === undefined ? [undefined, first] : [first, second];
      const db = resolveDb('show', positional, flags.db);
      if (raw === undefined) throw new UsageError(`show needs a trial number: sweepdeck show ${flags.db === undefined ? 'DB' : '--db DB'} NUMBER`);
      const number = Number(raw);
      if (!Number.isSafeInteger(number) || number < 0 || raw.trim() === '') throw new UsageError(`trial number expects a whole number ≥ 0, got "${raw}"`);
      setExit(await showCommand(db, number, withoutDb(flags), out));
    });

  dbArgument(program
    .command('watch')
    .description('the live dashboard, read-only, on a sweep running in another terminal (or finished); q quits'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--interval <ms>', 'milliseconds between looks at the DB', positiveInt('--interval', MAX_WATCH_INTERVAL_MS), DEFAULT_WATCH_INTERVAL_MS)
    .action(async (db: string | undefined, flags: { interval: number; sweep?: string; db?: string }) =>
      setExit(await watchCommand(resolveDb('watch', db, flags.db), withoutDb(flags))),
    );

  dbArgument(program
    .command('importance')
    .description('rank the parameters by how much of the metric they explain (fANOVA on a random forest)'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--include-pruned', 'count pruned trials too, at the value they were stopped with (under ASHA: their rung)')
    .option('--json', 'print an array of {parameter, importance, variance_fraction}, most important first')
    .action(async (db: string | undefined, flags: { json?: boolean; includePruned?: boolean; sweep?: string; db?: string }) =>
      setExit(await importanceCommand(resolveDb('importance', db, flags.db), withoutDb(flags), out)),
    );

  dbArgument(program
    .command('export')
    .description('every trial with flattened parameters and final metrics'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).makeOptionMandatory())
    .option('--out <file>', 'write to a file instead of stdout (a new file; never the DB itself)')
    .option('--force', 'replace the --out file if it exists')
    .action(async (db: string | undefined, flags: { format: string; out?: string; force?: boolean; sweep?: string; db?: string }) =>
      setExit(await exportCommand(resolveDb('export', db, flags.db), withoutDb(flags), out)),
    );

  dbArgument(program
    .command('serve')
    .description('a local web view of a results DB (read-only), updating live while a sweep runs'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, DEFAULT_PORT)
    .option('--host <address>', 'address to listen on (anything but 127.0.0.1/localhost exposes the results to the network)', DEFAULT_HOST)
    .option('--open', 'open the page in the default browser')
    .action(async (db: string | undefined, flags: ServeFlags & { db?: string }) => setExit(await serveCommand(resolveDb('serve', db, flags.db), withoutDb(flags), out, err)));

  dbArgument(program
    .command('report')
    .description('the web view as one self-contained HTML file (no network needed to open it)'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .requiredOption('-o, --out <file>', 'HTML file to write')
    .option('--force', 'replace the file when it exists')
    .action(async (db: string | undefined, flags: { out: string; force?: boolean; sweep?: string; db?: string }) =>
      setExit(await reportCommand(resolveDb('report', db, flags.db), withoutDb(flags), out)),
    );

  // Kept models: predictions, the learned formula, and the tfjs layers export.
  const trialNumber = (raw: string) => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0 || raw.trim() === '') throw new UsageError(`--trial expects a whole number ≥ 0, got "${raw}"`);
    return n;
  };
  dbArgument(program
    .command('predict')
    .description("a kept model's predictions on raw variables from a data file (exit 3 when rows lie outside the trained ranges)"))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--trial <n>', 'trial number (default: the best trial)', trialNumber)
    .requiredOption('--input <file>', "a file with the problem's variables as columns (CSV, TSV, JSON Lines, Parquet or Arrow), or - for CSV on stdin")
    .option('--format <format>', 'csv | tsv | jsonl | parquet | arrow (default: by the file name, else csv)')
    .option('--check', 'also print the target formula and the per-sample metric')
    .option('--json', 'print the rows as JSON')
    .action(async (db: string | undefined, flags: { trial?: number; sweep?: string; input: string; format?: string; check?: boolean; json?: boolean; db?: string }) =>
      setExit(await predictCommand(resolveDb('predict', db, flags.db), withoutDb(flags), out, err)),
    );

  dbArgument(program
    .command('explain')
    .description('the formula a kept model learned, when its network is affine in its features'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--trial <n>', 'trial number (default: the best trial)', trialNumber)
    .option('--json', 'print the explanation as JSON')
    .action(async (db: string | undefined, flags: { trial?: number; sweep?: string; json?: boolean; db?: string }) =>
      setExit(await explainCommand(resolveDb('explain', db, flags.db), withoutDb(flags), out, err)),
    );

  dbArgument(program
    .command('export-model')
    .description('a kept model as a tfjs layers model (model.json + weights.bin) plus sweepdeck.json (features, normalisation, head)'))
    .option('--sweep <name>', 'the sweep, where the DB holds several')
    .option('--trial <n>', 'trial number (default: the best trial)', trialNumber)
    .requiredOption('--out <dir>', 'directory to write (a new or empty one; never one that holds the DB)')
    .option('--force', 'replace the --out directory if it is not empty')
    .action(async (db: string | undefined, flags: { trial?: number; sweep?: string; out: string; force?: boolean; db?: string }) =>
      setExit(await exportModelCommand(resolveDb('export-model', db, flags.db), withoutDb(flags), out, `sweepdeck ${packageVersion()}`)),
    );

  return program;
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    if (error instanceof SpecError || error instanceof UsageError || error instanceof ArtifactError || error instanceof OutputError) {
      err(`error: ${error.message}`);
      return EXIT_BAD_INPUT;
    }
    if (error instanceof StoreError) {
      err(`error: ${error.message}`);
      return error.code === 'locked' ? EXIT_RUNTIME : EXIT_BAD_INPUT;
    }
    if (isCorruption(error)) {
      err(`error: a results DB is damaged (SQLite: ${(error as Error).message}); ${salvageAdvice('DB')}`);
      return EXIT_BAD_INPUT;
    }
    // Anything else is a sweepdeck bug: one line, and the stack only when asked for.
    const message = error instanceof Error ? error.message : String(error);
    const stack = process.env.SWEEPDECK_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
    err(`sweepdeck failed: ${message}${stack ? stack : ' (an internal error; rerun with SWEEPDECK_DEBUG=1 for the stack, and please report it)'}`);
    return EXIT_RUNTIME;
  }
}

process.exitCode = await main(process.argv);
