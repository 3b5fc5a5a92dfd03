// Opening, creating, migrating and refusing results DBs; checkWritable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, StoreError, checkWritable, openReadStore, openWriteStore } from '../../src/store/index.js';
import { runningAsRoot, sweepRecord, tempDbPath, tempDir } from './fixtures.js';

function storeErrorOf(action: () => unknown): StoreError {
  try {
    action();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError, nothing was thrown');
}

describe('openWriteStore on a new file', () => {
  it('creates schema version 2 with every table, index and view, and a sound file', () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    const store = openWriteStore(dbPath, sweep);
    expect(store.sweep()).toEqual(sweep);
    store.close();

    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(SCHEMA_VERSION).toBe(2);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const objects = db.prepare<[], { type: string; name: string }>("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
    expect(objects).toEqual([
      { type: 'view', name: 'final_metrics' },
      { type: 'table', name: 'meta' },
      { type: 'table', name: 'metrics' },
      { type: 'table', name: 'models' },
      { type: 'table', name: 'sweep' },
      { type: 'table', name: 'trials' },
      { type: 'index', name: 'trials_state_value' },
    ]);
    expect(db.prepare('SELECT count(*) AS n FROM sweep').get()).toEqual({ n: 1 });
    // Nobody holds it any more.
    expect(db.prepare("SELECT count(*) AS n FROM meta WHERE key = 'writer'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('is in WAL mode while open, and leaves one self-contained file when closed', () => {
    const dbPath = tempDbPath();
    const store = openWriteStore(dbPath, sweepRecord());
    const peek = new Database(dbPath, { readonly: true });
    expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    peek.close();
    const id = store.insertTrial({ number: 0, params: {}, config: null, steps: 10 });
    store.markRunning(id, 1, 'cpu');
    store.close();
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('enforces foreign keys on the write connection', () => {
    const dbPath = tempDbPath();
    const store = openWriteStore(dbPath, sweepRecord());
    const id = store.insertTrial({ number: 0, params: {}, config: null, steps: 10 });
    store.addMetrics(id, 1, { rel_l1: 0.5 });
    // Flushing rows for a trial id that was deleted under the store must fail, not write orphans.
    const raw = new Database(dbPath);
    raw.prepare('DELETE FROM trials WHERE id = ?').run(id);
    raw.close();
    expect(() => store.flush()).toThrow(/FOREIGN KEY/);
    // close() still closes the connection (and lets go of the DB) when its final flush fails.
    expect(() => store.close()).toThrow(/FOREIGN KEY/);
    openWriteStore(dbPath, sweepRecord()).close();
  });

  it('leaves no file behind when creating fails', () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'broken.db');
    const bad = { ...sweepRecord(), metricGoal: 'sideways' as 'minimize' };
    expect(() => openWriteStore(dbPath, bad)).toThrow(/CHECK constraint/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a path in a missing directory without creating it', () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'missing', 'sweep.db');
    const error = storeErrorOf(() => openWriteStore(dbPath, sweepRecord()));
    expect(error.code).toBe('not_writable');
    expect(error.path).toBe(dbPath);
    expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('refuses a directory', () => {
    const dir = tempDir();
    expect(storeErrorOf(() => openWriteStore(dir, sweepRecord())).code).toBe('not_writable');
  });
});

describe('openWriteStore on an existing file', () => {
  it('continues the same sweep (same hash) and keeps its trials', () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    const first = openWriteStore(dbPath, sweep);
    const id = first.insertTrial({ number: 0, params: { lr: 0.1 }, config: { lr: 0.1 }, steps: 5 });
    first.markRunning(id, 1, 'cpu');
    first.finishTrial(id, { state: 'complete', value: 0.25, step: 5 });
    first.close();

    // Same spec, opened later: createdAt differs, but the stored record (the original) wins.
    const again = openWriteStore(dbPath, { ...sweep, createdAt: '2030-01-01T00:00:00.000Z' });
    expect(again.sweep().createdAt).toBe(sweep.createdAt);
    expect(again.trialStates()).toEqual(new Map([[0, 'complete']]));
    expect(again.best()).toEqual({ number: 0, value: 0.25 });
    again.close();
  });

  it('refuses a different sweep (different hash) and leaves the file byte-for-byte unchanged', () => {
    const dbPath = tempDbPath();
    const store = openWriteStore(dbPath, sweepRecord({ name: 'first' }));
    store.insertTrial({ number: 0, params: {}, config: null, steps: 5 });
    store.close();
    const before = fs.readFileSync(dbPath);

    const other = storeErrorOf(() => openWriteStore(dbPath, sweepRecord({ name: 'second' })));
    expect(other.code).toBe('different_sweep');
    expect(other.message).toContain('"first"');
    expect(other.message).toContain('"second"');

    const changed = storeErrorOf(() => openWriteStore(dbPath, sweepRecord({ name: 'first', spec: { name: 'first', steps: 99 } })));
    expect(changed.code).toBe('different_sweep');
    expect(changed.message).toMatch(/spec has changed/);

    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('refuses a foreign SQLite DB without modifying it', () => {
    const dbPath = tempDbPath();
    const foreign = new Database(dbPath);
    foreign.exec("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
    foreign.close();
    const before = fs.readFileSync(dbPath);

    const error = storeErrorOf(() => openWriteStore(dbPath, sweepRecord()));
    expect(error.code).toBe('not_a_sweep_db');
    expect(error.message).toContain('people');
    expect(storeErrorOf(() => openReadStore(dbPath)).code).toBe('not_a_sweep_db');
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('refuses a foreign SQLite DB that uses user_version for its own schema', () => {
    const dbPath = tempDbPath();
    const foreign = new Database(dbPath);
    foreign.exec('CREATE TABLE trials (x); PRAGMA user_version = 1;');
    foreign.close();
    const before = fs.readFileSync(dbPath);
    expect(storeErrorOf(() => openWriteStore(dbPath, sweepRecord())).code).toBe('not_a_sweep_db');
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('refuses a plain text file without modifying it', () => {
    const dbPath = tempDbPath();
    const text = 'name: tiny\nmethod: grid\n'.repeat(50);
    fs.writeFileSync(dbPath, text);

    expect(storeErrorOf(() => openWriteStore(dbPath, sweepRecord())).code).toBe('not_a_sweep_db');
    expect(storeErrorOf(() => openReadStore(dbPath)).code).toBe('not_a_sweep_db');
    expect(fs.readFileSync(dbPath, 'utf8')).toBe(text);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('refuses a DB with a newer schema version, for writing and reading, without modifying it', () => {
    const dbPath = tempDbPath();
    openWriteStore(dbPath, sweepRecord()).close();
    const raw = new Database(dbPath);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = fs.readFileSync(dbPath);

    const error = storeErrorOf(() => openWriteStore(dbPath, sweepRecord()));
    expect(error.code).toBe('newer_schema');
    expect(error.message).toMatch(/newer sweepdeck/);
    expect(storeErrorOf(() => openReadStore(dbPath)).code).toBe('newer_schema');
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('accepts an empty (zero-byte) file as a new DB', () => {
    const dbPath = tempDbPath();
    fs.writeFileSync(dbPath, '');
    const store = openWriteStore(dbPath, sweepRecord());
    expect(store.trialStates().size).toBe(0);
    store.close();
    expect(openReadStore(dbPath).sweep().name).toBe('tiny');
  });

  it('refuses a second writer while the first holds the DB, and takes over from a dead one', () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    const first = openWriteStore(dbPath, sweep);
    const locked = storeErrorOf(() => openWriteStore(dbPath, sweep));
    expect(locked.code).toBe('locked');
    expect(locked.message).toContain(`pid ${process.pid}`);
    first.close();

    // A writer that died without closing: its record names a pid that no longer exists.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(dead).toBeGreaterThan(0);
    const raw = new Database(dbPath);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('writer', ?)").run(
      JSON.stringify({ pid: dead, host: os.hostname(), since: '2020-01-01T00:00:00.000Z' }),
    );
    raw.close();
    const next = openWriteStore(dbPath, sweep);
    next.close();
  });

  it('takes over a record with its own pid that it does not hold (an earlier process that reused the pid)', () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    openWriteStore(dbPath, sweep).close();
    const raw = new Database(dbPath);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('writer', ?)").run(
      JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2020-01-01T00:00:00.000Z' }),
    );
    raw.close();
    openWriteStore(dbPath, sweep).close();
  });
});

describe('openReadStore', () => {
  it('reports a missing file as not_found and creates nothing', () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'nope.db');
    const error = storeErrorOf(() => openReadStore(dbPath));
    expect(error.code).toBe('not_found');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('does not modify the file or leave -wal/-shm files next to a DB at rest', () => {
    const dbPath = tempDbPath();
    const writer = openWriteStore(dbPath, sweepRecord());
    writer.insertTrial({ number: 0, params: { a: 1 }, config: null, steps: 1 });
    writer.close();
    const before = fs.readFileSync(dbPath);
    const reader = openReadStore(dbPath);
    expect(reader.trials()).toHaveLength(1);
    reader.close();
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });
});

describe('checkWritable', () => {
  it('accepts a new file in an existing writable directory, and an existing DB, creating nothing', () => {
    const dir = tempDir();
    expect(checkWritable(path.join(dir, 'new.db'))).toBeNull();
    expect(fs.readdirSync(dir)).toEqual([]);
    const existing = path.join(dir, 'old.db');
    fs.writeFileSync(existing, '');
    expect(checkWritable(existing)).toBeNull();
  });

  it('names a missing directory', () => {
    const dir = tempDir();
    expect(checkWritable(path.join(dir, 'missing', 'x.db'))).toMatch(/does not exist/);
    expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('refuses a directory', () => {
    expect(checkWritable(tempDir())).toMatch(/is a directory/);
  });

  it('refuses a path under a regular file', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(checkWritable(path.join(dir, 'file', 'x.db'))).toMatch(/not a directory/);
  });

  it.skipIf(runningAsRoot)('refuses a read-only directory and a read-only file (not as root: root bypasses permissions)', () => {
    const dir = tempDir();
    const readOnlyFile = path.join(dir, 'ro.db');
    fs.writeFileSync(readOnlyFile, '');
    fs.chmodSync(readOnlyFile, 0o444);
    expect(checkWritable(readOnlyFile)).toMatch(/not writable/);
    fs.chmodSync(dir, 0o555);
    expect(checkWritable(path.join(dir, 'new.db'))).toMatch(/not writable/);
    expect(storeErrorOf(() => openWriteStore(path.join(dir, 'new.db'), sweepRecord())).code).toBe('not_writable');
  });
});
