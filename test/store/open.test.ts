// Opening, creating, migrating and refusing results DBs; checkWritable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, StoreError, checkWritable, openReadStore, openWriteStore } from '../../src/store/index.js';
import { runningAsRoot, sweepRecord, tempDbPath, tempDir } from './fixtures.js';

async function storeErrorOf(action: () => unknown): Promise<StoreError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError, nothing was thrown');
}

describe('openWriteStore on a new file', () => {
  it('creates schema version 3 with every table, index and view, and a sound file', async () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    const store = await openWriteStore(dbPath, sweep);
    expect(store.sweep()).toEqual(sweep);
    await store.close();

    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(SCHEMA_VERSION).toBe(3);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const objects = db.prepare<[], { type: string; name: string }>("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
    expect(objects).toEqual([
      { type: 'view', name: 'final_metrics' },
      { type: 'table', name: 'meta' },
      { type: 'table', name: 'metrics' },
      { type: 'table', name: 'models' },
      { type: 'table', name: 'sweep' },
      { type: 'table', name: 'trials' },
      { type: 'index', name: 'trials_revision' },
      { type: 'index', name: 'trials_state_value' },
    ]);
    expect(db.prepare('SELECT count(*) AS n FROM sweep').get()).toEqual({ n: 1 });
    // Nobody holds it any more.
    expect(db.prepare("SELECT count(*) AS n FROM meta WHERE key = 'writer'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('is in WAL mode while open, and leaves one self-contained file when closed', async () => {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, sweepRecord());
    const peek = new Database(dbPath, { readonly: true });
    expect(peek.pragma('journal_mode', { simple: true })).toBe('wal');
    await peek.close();
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 10 });
    await store.markRunning(id, 1, 'cpu');
    await store.close();
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('writes no orphan metrics for a trial deleted under the store', async () => {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, sweepRecord());
    const id = await store.insertTrial({ number: 0, params: {}, config: null, steps: 10 });
    await store.addMetrics(id, 1, { rel_l1: 0.5 });
    // Metrics are written only while the trial carries this store's claim (and foreign keys are on).
    const raw = new Database(dbPath);
    raw.prepare('DELETE FROM trials WHERE id = ?').run(id);
    await store.flush();
    expect(raw.prepare('SELECT count(*) FROM metrics').pluck().get()).toBe(0);
    raw.close();
    await store.close();
    await (await openWriteStore(dbPath, sweepRecord())).close();
  });

  it('leaves no file behind when creating fails', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'broken.db');
    const bad = { ...sweepRecord(), metricGoal: 'sideways' as 'minimize' };
    await expect(openWriteStore(dbPath, bad)).rejects.toThrow(/CHECK constraint/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a path in a missing directory without creating it', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'missing', 'sweep.db');
    const error = await storeErrorOf(() => openWriteStore(dbPath, sweepRecord()));
    expect(error.code).toBe('not_writable');
    expect(error.path).toBe(dbPath);
    expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('refuses a directory', async () => {
    const dir = tempDir();
    expect((await storeErrorOf(() => openWriteStore(dir, sweepRecord()))).code).toBe('not_writable');
  });
});

describe('openWriteStore on an existing file', () => {
  it('continues the same sweep (same hash) and keeps its trials', async () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    const first = await openWriteStore(dbPath, sweep);
    const id = await first.insertTrial({ number: 0, params: { lr: 0.1 }, config: { lr: 0.1 }, steps: 5 });
    await first.markRunning(id, 1, 'cpu');
    await first.finishTrial(id, { state: 'complete', value: 0.25, step: 5 });
    await first.close();

    // Same spec, opened later: createdAt differs, but the stored record (the original) wins.
    const again = await openWriteStore(dbPath, { ...sweep, createdAt: '2030-01-01T00:00:00.000Z' });
    expect(again.sweep().createdAt).toBe(sweep.createdAt);
    expect(await again.trialStates()).toEqual(new Map([[0, 'complete']]));
    expect(await again.best()).toEqual({ number: 0, value: 0.25 });
    await again.close();
  });

  it('refuses a different sweep (different hash) and leaves the file byte-for-byte unchanged', async () => {
    const dbPath = tempDbPath();
    const store = await openWriteStore(dbPath, sweepRecord({ name: 'first' }));
    await store.insertTrial({ number: 0, params: {}, config: null, steps: 5 });
    await store.close();
    const before = fs.readFileSync(dbPath);

    const other = await storeErrorOf(() => openWriteStore(dbPath, sweepRecord({ name: 'second' })));
    expect(other.code).toBe('different_sweep');
    expect(other.message).toContain('"first"');
    expect(other.message).toContain('"second"');

    const changed = await storeErrorOf(() => openWriteStore(dbPath, sweepRecord({ name: 'first', spec: { name: 'first', steps: 99 } })));
    expect(changed.code).toBe('different_sweep');
    expect(changed.message).toMatch(/spec has changed/);

    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('refuses a foreign SQLite DB without modifying it', async () => {
    const dbPath = tempDbPath();
    const foreign = new Database(dbPath);
    foreign.exec("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
    await foreign.close();
    const before = fs.readFileSync(dbPath);

    const error = await storeErrorOf(() => openWriteStore(dbPath, sweepRecord()));
    expect(error.code).toBe('not_a_sweep_db');
    expect(error.message).toContain('people');
    expect((await storeErrorOf(() => openReadStore(dbPath))).code).toBe('not_a_sweep_db');
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('refuses a foreign SQLite DB that uses user_version for its own schema', async () => {
    const dbPath = tempDbPath();
    const foreign = new Database(dbPath);
    foreign.exec('CREATE TABLE trials (x); PRAGMA user_version = 1;');
    await foreign.close();
    const before = fs.readFileSync(dbPath);
    expect((await storeErrorOf(() => openWriteStore(dbPath, sweepRecord()))).code).toBe('not_a_sweep_db');
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('refuses a plain text file without modifying it', async () => {
    const dbPath = tempDbPath();
    const text = 'name: tiny\nmethod: grid\n'.repeat(50);
    fs.writeFileSync(dbPath, text);

    expect((await storeErrorOf(() => openWriteStore(dbPath, sweepRecord()))).code).toBe('not_a_sweep_db');
    expect((await storeErrorOf(() => openReadStore(dbPath))).code).toBe('not_a_sweep_db');
    expect(fs.readFileSync(dbPath, 'utf8')).toBe(text);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });

  it('refuses a DB with a newer schema version, for writing and reading, without modifying it', async () => {
    const dbPath = tempDbPath();
    await (await openWriteStore(dbPath, sweepRecord())).close();
    const raw = new Database(dbPath);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    await raw.close();
    const before = fs.readFileSync(dbPath);

    const error = await storeErrorOf(() => openWriteStore(dbPath, sweepRecord()));
    expect(error.code).toBe('newer_schema');
    expect(error.message).toMatch(/newer sweepdeck/);
    expect((await storeErrorOf(() => openReadStore(dbPath))).code).toBe('newer_schema');
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('accepts an empty (zero-byte) file as a new DB', async () => {
    const dbPath = tempDbPath();
    fs.writeFileSync(dbPath, '');
    const store = await openWriteStore(dbPath, sweepRecord());
    expect((await store.trialStates()).size).toBe(0);
    await store.close();
    expect((await openReadStore(dbPath)).sweep().name).toBe('tiny');
  });

  it('refuses a second writer while the first holds the DB, and takes over from a dead one', async () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    const first = await openWriteStore(dbPath, sweep);
    const locked = await storeErrorOf(() => openWriteStore(dbPath, sweep));
    expect(locked.code).toBe('locked');
    expect(locked.message).toContain(`pid ${process.pid}`);
    await first.close();

    // A writer that died without closing: its record names a pid that no longer exists.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(dead).toBeGreaterThan(0);
    const raw = new Database(dbPath);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('writer', ?)").run(
      JSON.stringify({ pid: dead, host: os.hostname(), since: '2020-01-01T00:00:00.000Z' }),
    );
    await raw.close();
    const next = await openWriteStore(dbPath, sweep);
    await next.close();
  });

  it('takes over a record with its own pid that it does not hold (an earlier process that reused the pid)', async () => {
    const dbPath = tempDbPath();
    const sweep = sweepRecord();
    await (await openWriteStore(dbPath, sweep)).close();
    const raw = new Database(dbPath);
    raw.prepare("INSERT INTO meta (key, value) VALUES ('writer', ?)").run(
      JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2020-01-01T00:00:00.000Z' }),
    );
    await raw.close();
    await (await openWriteStore(dbPath, sweep)).close();
  });
});

describe('openReadStore', () => {
  it('reports a missing file as not_found and creates nothing', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'nope.db');
    const error = await storeErrorOf(() => openReadStore(dbPath));
    expect(error.code).toBe('not_found');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('does not modify the file or leave -wal/-shm files next to a DB at rest', async () => {
    const dbPath = tempDbPath();
    const writer = await openWriteStore(dbPath, sweepRecord());
    await writer.insertTrial({ number: 0, params: { a: 1 }, config: null, steps: 1 });
    await writer.close();
    const before = fs.readFileSync(dbPath);
    const reader = await openReadStore(dbPath);
    expect(await reader.trials()).toHaveLength(1);
    await reader.close();
    expect(fs.readFileSync(dbPath).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(dbPath))).toEqual(['sweep.db']);
  });
});

describe('checkWritable', () => {
  it('accepts a new file in an existing writable directory, and an existing DB, creating nothing', async () => {
    const dir = tempDir();
    expect(checkWritable(path.join(dir, 'new.db'))).toBeNull();
    expect(fs.readdirSync(dir)).toEqual([]);
    const existing = path.join(dir, 'old.db');
    fs.writeFileSync(existing, '');
    expect(checkWritable(existing)).toBeNull();
  });

  it('names a missing directory', async () => {
    const dir = tempDir();
    expect(checkWritable(path.join(dir, 'missing', 'x.db'))).toMatch(/does not exist/);
    expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('refuses a directory', async () => {
    expect(checkWritable(tempDir())).toMatch(/is a directory/);
  });

  it('refuses a path under a regular file', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(checkWritable(path.join(dir, 'file', 'x.db'))).toMatch(/not a directory/);
  });

  it.skipIf(runningAsRoot)('refuses a read-only directory and a read-only file (not as root: root bypasses permissions)', async () => {
    const dir = tempDir();
    const readOnlyFile = path.join(dir, 'ro.db');
    fs.writeFileSync(readOnlyFile, '');
    fs.chmodSync(readOnlyFile, 0o444);
    expect(checkWritable(readOnlyFile)).toMatch(/not writable/);
    fs.chmodSync(dir, 0o555);
    expect(checkWritable(path.join(dir, 'new.db'))).toMatch(/not writable/);
    expect((await storeErrorOf(() => openWriteStore(path.join(dir, 'new.db'), sweepRecord()))).code).toBe('not_writable');
  });
});
