// Opening a results DB: create/migrate it for the single writer, open it read-only for the CLIs,
// and refuse (without touching them) files that are not ours, are newer, or hold another sweep.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { identify, insertSweep, migrate, readSweep, requeueOrphans, type Identity } from './schema.js';
import { claimWriter, holdHere, liveWriter, lockKey } from './writer-lock.js';
import { WriteStore, closeConnection } from './write.js';
import { SqliteReadStore, type ReadStore } from './read.js';
import type { Liveness, SweepStore } from './types.js';
import { findDamage, isCorruption, salvageAdvice } from './damage.js';
import { isPostgresUrl } from './pg/connection.js';
import { openPgReadStore, openPgWriteStore } from './pg/open.js';

export type StoreErrorCode = 'not_a_sweep_db' | 'newer_schema' | 'not_writable' | 'different_sweep' | 'not_found' | 'locked' | 'damaged';

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface SweepRecord {
  name: string;
  method: string;
  metricName: string;
  metricGoal: 'minimize' | 'maximize';
  /** The normalised spec as JSON. */
  specJson: string;
  /** The sweep file's text as given. */
  specSource: string;
  /** sha256 of specJson: equal hashes mean "the same sweep", so a DB can be continued. */
  specHash: string;
  /** ISO 8601 UTC with milliseconds. */
  createdAt: string;
}

/** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (or creates) the DB for writing: migrates it, stores `sweep` in a new DB, and continues an
 * existing one only when it holds the same sweep (same specHash). A DB that is refused is not
 * modified; a DB this call created is removed again when anything fails.
 */
export async function openWriteStore(dbPath: string, sweep: SweepRecord): Promise<WriteStore> {
  const existed = fs.existsSync(dbPath);
  if (existed) {
    // Everything that can refuse an existing file is checked on a read-only connection first.
    inspectForWriting(dbPath, sweep);
  } else {
    const problem = checkWritable(dbPath);
    if (problem) throw new StoreError('not_writable', dbPath, `cannot create ${dbPath}: ${problem}`);
  }

  const key = lockKey(dbPath);
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const connection = db;
    // IMMEDIATE: the lock check, migrations and the writer claim see no other writer in between.
    const stored = connection
      .transaction((): SweepRecord => {
        const identity = identify(connection);
        refuseUnlessOurs(identity, dbPath);
        if (identity.kind === 'sweepdeck') {
          const writer = liveWriter(connection, key);
          if (writer) {
            throw new StoreError(
              'locked',
              dbPath,
              `${dbPath} is being written by another sweepdeck process (pid ${writer.pid} on ${writer.host}, since ${writer.since}); wait for it to finish or stop it`,
            );
          }
        }
        migrate(connection);
        const existing = readSweep(connection);
        if (existing) {
          if (existing.specHash !== sweep.specHash) throw differentSweep(dbPath, existing, sweep);
        } else {
          insertSweep(connection, sweep);
        }
        claimWriter(connection);
        // Trials left running by a process that is gone (this one holds the DB now): back in the
        // queue, their partial metrics dropped, and counted as retried.
        requeueOrphans(connection);
        return existing ?? sweep;
      })
      .immediate();
    holdHere(key);
    return new WriteStore(connection, stored, key, dbPath);
  } catch (error) {
    if (db?.open) closeConnection(db);
    if (!existed) removeDbFiles(dbPath);
    throw toStoreError(error, dbPath);
  }
}

/**
 * Opens the sweep at `location` for writing: a SQLite file (openWriteStore) or a sweep in a
 * PostgreSQL database (a postgresql:// URL), created or continued.
 */
export async function openSweepStore(location: string, sweep: SweepRecord, options: { liveness: Liveness; onWaiting?: (message: string) => void }): Promise<SweepStore> {
  if (isPostgresUrl(location)) return openPgWriteStore(location, sweep, options);
  return openWriteStore(location, sweep);
}

/**
 * Opens an existing sweep read-only (for best/show/export/watch): a SQLite file, never created or
 * changed, or a sweep in a PostgreSQL database. `sweep` names the sweep; it is needed only where
 * the DB holds more than one.
 */
export async function openReadStore(dbPath: string, options: { sweep?: string } = {}): Promise<ReadStore> {
  if (isPostgresUrl(dbPath)) return openPgReadStore(dbPath, options);
  const store = await openSqliteReadStore(dbPath);
  if (options.sweep !== undefined && options.sweep !== store.sweep().name) {
    const held = store.sweep().name;
    await store.close();
    throw new StoreError('different_sweep', dbPath, `${dbPath} has no sweep "${options.sweep}"; it holds: ${held}`);
  }
  return store;
}

async function openSqliteReadStore(dbPath: string): Promise<ReadStore> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dbPath);
  } catch {
    throw new StoreError('not_found', dbPath, `${dbPath} does not exist`);
  }
  if (stat.isDirectory()) throw new StoreError('not_a_sweep_db', dbPath, `${dbPath} is a directory, not a sweepdeck results DB`);
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    const identity = identify(db);
    // An empty SQLite file is not a sweep DB either, for a reader.
    if (identity.kind === 'empty') throw notOurs(dbPath, 'it is empty');
    refuseUnlessOurs(identity, dbPath);
    // An older schema version is read as it is (only the writer migrates): a version 1 DB has no
    // models table, and the model queries (models.ts) answer "none kept" for it.
    const sweep = readSweep(db);
    if (!sweep) throw notOurs(dbPath, 'it holds no sweep');
    return new SqliteReadStore(db, sweep, dbPath);
  } catch (error) {
    db?.close();
    throw toStoreError(error, dbPath);
  }
}

/**
 * Opens `location` read-only (openReadStore), runs `use` and closes it. A damaged SQLite DB still
 * gives what can be read: when any read met damage, a StoreError('damaged') naming it is thrown
 * after `use` is done (so what it printed stays shown); when `use` itself cannot go on, the same
 * error instead of SQLite's. On PostgreSQL there is no quick_check: `use` runs as it is.
 */
export async function useReadStore<T>(location: string, use: (store: ReadStore) => Promise<T> | T, options: { sweep?: string } = {}): Promise<T> {
  const store = await openReadStore(location, options);
  try {
    if (!(store instanceof SqliteReadStore)) return await use(store);
    let result: T;
    try {
      result = await use(store);
    } catch (error) {
      // Also when `use` gave up for want of what could not be read ("no kept model"): the damage is the reason.
      const damage = isCorruption(error) ? (store.damage(true) ?? []) : store.damage();
      if (damage) throw damagedDb(location, damage, 'what could be read is shown above, if anything', error);
      throw error;
    }
    // A damaged page does not always fail a read (a cell pointer past the page reads as no rows), so
    // quick_check runs after every read command (it reads the file once: about a second for 34 MB).
    const damage = store.damage(true);
    if (damage) throw damagedDb(location, damage, 'what could be read is shown above, without what is damaged');
    return result;
  } finally {
    await store.close();
  }
}

/**
 * Whether `dbPath` could be created or written, checked WITHOUT creating anything.
 * Returns null when it can, otherwise a short reason (the caller names the path).
 */
export function checkWritable(dbPath: string): string | null {
  const absolute = path.resolve(dbPath);
  const directory = path.dirname(absolute);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return `cannot access it (${(error as Error).message})`;
  }
  if (stat?.isDirectory()) return 'it is a directory';
  if (stat && !stat.isFile()) return 'it is not a plain file (a device, a socket or a fifo); give the path of a file';
  if (stat && !canAccess(absolute, fs.constants.R_OK | fs.constants.W_OK)) return 'the file is not writable';

  let directoryStat: fs.Stats;
  try {
    directoryStat = fs.statSync(directory);
  } catch {
    return `directory ${path.dirname(dbPath)} does not exist`;
  }
  if (!directoryStat.isDirectory()) return `${path.dirname(dbPath)} is not a directory`;
  // Even for an existing file: SQLite creates the -wal and -shm files next to it.
  if (!canAccess(directory, fs.constants.W_OK | fs.constants.X_OK)) return `directory ${path.dirname(dbPath)} is not writable`;
  return null;
}

function canAccess(target: string, mode: number): boolean {
  try {
    fs.accessSync(target, mode);
    return true;
  } catch {
    return false;
  }
}

/** The read-only look at an existing file before any write connection touches it. */
function inspectForWriting(dbPath: string, sweep: SweepRecord): void {
  if (fs.statSync(dbPath).isDirectory()) throw new StoreError('not_writable', dbPath, `${dbPath} is a directory`);
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    const identity = identify(db);
    refuseUnlessOurs(identity, dbPath);
    const existing = identity.kind === 'sweepdeck' ? readSweep(db) : undefined;
    if (existing && existing.specHash !== sweep.specHash) throw differentSweep(dbPath, existing, sweep);
    // Writing into a damaged file can spread the damage to what is still sound: refuse it first.
    const damage = identity.kind === 'sweepdeck' ? findDamage(db) : [];
    if (damage.length) throw damagedDb(dbPath, damage, 'nothing was written to it');
  } catch (error) {
    throw toStoreError(error, dbPath);
  } finally {
    db?.close();
  }
}

function refuseUnlessOurs(identity: Identity, dbPath: string): void {
  if (identity.kind === 'foreign') throw notOurs(dbPath, identity.detail);
  if (identity.kind === 'newer') {
    throw new StoreError(
      'newer_schema',
      dbPath,
      `${dbPath} was written by a newer sweepdeck (schema version ${identity.version}); upgrade sweepdeck to use it`,
    );
  }
}

function notOurs(dbPath: string, detail: string): StoreError {
  return new StoreError('not_a_sweep_db', dbPath, `${dbPath} is not a sweepdeck results DB: ${detail}`);
}

function differentSweep(dbPath: string, existing: SweepRecord, wanted: SweepRecord): StoreError {
  const what =
    existing.name === wanted.name
      ? `sweep "${existing.name}" as specified when it was created (${existing.createdAt}); the spec has changed since`
      : `sweep "${existing.name}", not "${wanted.name}"`;
  return new StoreError(
    'different_sweep',
    dbPath,
    `${dbPath} holds ${what}; write to another DB file, or delete this one to start over`,
  );
}

/** Maps SQLite's failures on open to the codes callers act on; anything else is passed through. */
function toStoreError(error: unknown, dbPath: string): unknown {
  if (error instanceof StoreError || !(error instanceof Database.SqliteError)) return error;
  const code = error.code;
  if (isCorruption(error)) return damagedDb(dbPath, [], 'nothing was written to it', error);
  if (code === 'SQLITE_NOTADB') {
    return new StoreError('not_a_sweep_db', dbPath, `${dbPath} is not a sweepdeck results DB: ${error.message}`, { cause: error });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('locked', dbPath, `${dbPath} is locked by another connection: ${error.message}`, { cause: error });
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StoreError('not_writable', dbPath, `cannot use ${dbPath} as a results DB: ${error.message} (a device, a pipe, or a failing disk?); give the path of a file`, { cause: error });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new StoreError('not_writable', dbPath, `cannot write ${dbPath}: ${error.message}`, { cause: error });
  }
  return error;
}

/** A damaged DB, in one message: what is damaged (when known), what was done, how to salvage it. */
export function damagedDb(dbPath: string, damage: readonly string[], outcome: string, cause?: unknown): StoreError {
  const what = damage.length ? `: SQLite's quick_check finds damage in ${damage.join(', ')}` : ' (SQLite: database disk image is malformed)';
  return new StoreError('damaged', dbPath, `${dbPath} is damaged${what}; ${outcome}; ${salvageAdvice(dbPath)}`, cause === undefined ? undefined : { cause });
}

function removeDbFiles(dbPath: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(dbPath + suffix, { force: true });
}
