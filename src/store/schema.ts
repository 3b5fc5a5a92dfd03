// The results DB's schema: the migrations list (keyed on PRAGMA user_version), how a file is
// recognised as a sweepdeck DB, and the sweep row <-> SweepRecord mapping shared by both stores.
import type Database from 'better-sqlite3';
import type { SweepRecord } from './open.js';

/** Written to the SQLite header (PRAGMA application_id) so a sweepdeck DB is told from any other SQLite file: 'SWDK'. */
export const APPLICATION_ID = 0x5357444b;

const SCHEMA_V1 = `
CREATE TABLE sweep (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  method TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  metric_goal TEXT NOT NULL CHECK (metric_goal IN ('minimize','maximize')),
  spec_json TEXT NOT NULL,
  spec_source TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE trials (
  id INTEGER PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('queued','running','complete','pruned','failed')),
  value REAL,
  params TEXT NOT NULL,
  config TEXT,
  step INTEGER,
  steps INTEGER,
  worker INTEGER,
  backend TEXT,
  error TEXT,
  queued_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE TABLE metrics (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  step INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (trial_id, name, step)
) WITHOUT ROWID;
CREATE INDEX trials_state_value ON trials(state, value);
CREATE VIEW final_metrics AS
  SELECT m.trial_id, m.name, m.value, m.step FROM metrics m
  WHERE m.step = (SELECT max(step) FROM metrics WHERE trial_id = m.trial_id AND name = m.name);
-- Bookkeeping that is not part of the results: today only 'writer', the process holding the DB for writing.
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Version 2: kept trained models, one blob per trial (src/artifacts/blob.ts says what is in it). */
const SCHEMA_V2 = `
CREATE TABLE models (
  trial_id INTEGER PRIMARY KEY REFERENCES trials(id),
  format INTEGER NOT NULL,
  data BLOB NOT NULL,
  saved_at TEXT NOT NULL
);
`;

/**
 * Version 3: trials are claimed. Who holds a trial (host, agent), the claim token every later write
 * must carry, the holder's last heartbeat (epoch seconds, the DB's clock), how often the trial was
 * put back in the queue (retries), and a revision that grows with every change, so a process can
 * read what changed since it last looked (SweepStore.changes).
 */
const SCHEMA_V3 = `
ALTER TABLE trials ADD COLUMN host TEXT;
ALTER TABLE trials ADD COLUMN agent TEXT;
ALTER TABLE trials ADD COLUMN claim_token TEXT;
ALTER TABLE trials ADD COLUMN heartbeat_at REAL;
ALTER TABLE trials ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
CREATE INDEX trials_revision ON trials(revision);
`;

type Migration = (db: Database.Database) => void;

/**
 * Migration N is entry N-1: it takes the DB from user_version N-1 to N and runs in its own
 * transaction together with the user_version bump. Append new entries; never edit shipped ones.
 */
const MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(SCHEMA_V1);
    db.pragma(`application_id = ${APPLICATION_ID}`);
  },
  (db) => db.exec(SCHEMA_V2),
  (db) => db.exec(SCHEMA_V3),
];

/** The schema version this build writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function userVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/** Applies every migration the DB has not had yet. Nested in a caller's transaction, each one is a savepoint. */
export function migrate(db: Database.Database): void {
  for (let version = userVersion(db) + 1; version <= SCHEMA_VERSION; version++) {
    const migration = MIGRATIONS[version - 1];
    if (!migration) throw new Error(`no migration to schema version ${version}`);
    db.transaction(() => {
      migration(db);
      db.pragma(`user_version = ${version}`);
    })();
  }
}

export type Identity =
  | { kind: 'empty' }
  | { kind: 'sweepdeck'; version: number }
  | { kind: 'newer'; version: number }
  | { kind: 'foreign'; detail: string };

/** What a DB file is, read without writing anything. Throws SQLITE_NOTADB for files that are not SQLite. */
export function identify(db: Database.Database): Identity {
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  const version = userVersion(db);
  const objects = db
    .prepare<[], string>("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")
    .pluck()
    .all();
  if (applicationId === APPLICATION_ID) {
    if (version > SCHEMA_VERSION) return { kind: 'newer', version };
    if (version >= 1) return { kind: 'sweepdeck', version };
    return { kind: 'foreign', detail: 'it has the sweepdeck application id but no schema' };
  }
  if (applicationId === 0 && version === 0 && objects.length === 0) return { kind: 'empty' };
  if (applicationId !== 0) return { kind: 'foreign', detail: `it belongs to another application (application_id ${applicationId})` };
  if (objects.length === 0) return { kind: 'foreign', detail: `it has user_version ${version} but no tables` };
  const shown = objects.slice(0, 5).join(', ') + (objects.length > 5 ? ', …' : '');
  return { kind: 'foreign', detail: `it holds other tables (${shown})` };
}

interface SweepRow {
  name: string;
  method: string;
  metric_name: string;
  metric_goal: 'minimize' | 'maximize';
  spec_json: string;
  spec_source: string;
  spec_hash: string;
  created_at: string;
}

export function readSweep(db: Database.Database): SweepRecord | undefined {
  const row = db
    .prepare<[], SweepRow>('SELECT name, method, metric_name, metric_goal, spec_json, spec_source, spec_hash, created_at FROM sweep WHERE id = 1')
    .get();
  if (!row) return undefined;
  return {
    name: row.name,
    method: row.method,
    metricName: row.metric_name,
    metricGoal: row.metric_goal,
    specJson: row.spec_json,
    specSource: row.spec_source,
    specHash: row.spec_hash,
    createdAt: row.created_at,
  };
}

export function insertSweep(db: Database.Database, sweep: SweepRecord): void {
  db.prepare(
    `INSERT INTO sweep (id, name, method, metric_name, metric_goal, spec_json, spec_source, spec_hash, created_at)
     VALUES (1, @name, @method, @metricName, @metricGoal, @specJson, @specSource, @specHash, @createdAt)`,
  ).run({ ...sweep });
}

/** ORDER BY direction for "best first"; the only SQL built from a value, and that value is one of two words. */
export function bestFirst(goal: SweepRecord['metricGoal']): 'ASC' | 'DESC' {
  return goal === 'maximize' ? 'DESC' : 'ASC';
}

/** Puts every 'running' trial back in the queue (for the single writer, at open: no one else runs them). */
export function requeueOrphans(db: Database.Database): void {
  db.exec(`DELETE FROM metrics WHERE trial_id IN (SELECT id FROM trials WHERE state = 'running');
    UPDATE trials SET state = 'queued', value = NULL, step = NULL, worker = NULL, backend = NULL, error = NULL, started_at = NULL,
      finished_at = NULL, claim_token = NULL, host = NULL, agent = NULL, retries = retries + 1,
      revision = (SELECT coalesce(max(revision), 0) + 1 FROM trials)
    WHERE state = 'running'`);
}
