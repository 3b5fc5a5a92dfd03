// Keeps two `sweepdeck run` processes from writing one DB at once: the writer records itself in
// meta('writer'); a record left by a process that has since died is stale and taken over.
import { hostname } from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type Database from 'better-sqlite3';

interface WriterRecord {
  pid: number;
  host: string;
  since: string;
}

/** DBs this process holds a WriteStore for (by resolved path): our own pid is alive, so the pid alone cannot tell. */
const heldHere = new Set<string>();

/** A stable name for the DB file, whether or not it exists yet. */
export function lockKey(dbPath: string): string {
  const absolute = path.resolve(dbPath);
  try {
    return path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute));
  } catch {
    return absolute;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseRecord(text: string): WriterRecord | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, host, since } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof since !== 'string') return undefined;
    return { pid, host, since };
  } catch {
    return undefined;
  }
}

/** The live writer holding the DB, if any. Call inside the opening transaction. */
export function liveWriter(db: Database.Database, key: string): WriterRecord | undefined {
  const text = db.prepare<[], string>("SELECT value FROM meta WHERE key = 'writer'").pluck().get();
  const record = text === undefined ? undefined : parseRecord(text);
  if (!record) return undefined;
  // WAL needs shared memory, so a writer on another host cannot be sharing this file with us:
  // its record is left from a copy of the DB (or a crash there), not a live writer.
  if (record.host !== hostname()) return undefined;
  if (record.pid === process.pid) return heldHere.has(key) ? record : undefined;
  return processAlive(record.pid) ? record : undefined;
}

/** Records this process as the writer. Call inside the opening transaction, after liveWriter found none. */
export function claimWriter(db: Database.Database): void {
  const record: WriterRecord = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  db.prepare("INSERT INTO meta (key, value) VALUES ('writer', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
    JSON.stringify(record),
  );
}

/** Marks the DB as held by this process once the opening transaction committed. */
export function holdHere(key: string): void {
  heldHere.add(key);
}

/** Removes this process's writer record (if it is still ours) and forgets the hold. */
export function releaseWriter(db: Database.Database, key: string): void {
  heldHere.delete(key);
  const text = db.prepare<[], string>("SELECT value FROM meta WHERE key = 'writer'").pluck().get();
  const record = text === undefined ? undefined : parseRecord(text);
  if (record && record.pid === process.pid && record.host === hostname()) db.prepare("DELETE FROM meta WHERE key = 'writer'").run();
}
