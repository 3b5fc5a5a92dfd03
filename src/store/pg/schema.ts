// The PostgreSQL schema: the same tables, columns and view as the SQLite store's (schema.ts), plus
// a `sweeps` table so one database holds many named sweeps (trials carry sweep_id). Versioned
// migrations, recorded in meta('schema_version'), applied under an advisory lock so agents that
// start together do not race.
import type { Query } from './connection.js';
import type { SweepRecord } from '../open.js';

/** pg_advisory_xact_lock key for migrations: 'SWDK' as a number, as in the SQLite application_id. */
const MIGRATION_LOCK = 0x5357444b;

const SCHEMA_V1 = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE sweeps (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  method TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  metric_goal TEXT NOT NULL CHECK (metric_goal IN ('minimize','maximize')),
  spec_json TEXT NOT NULL,
  spec_source TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE trials (
  id SERIAL PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','running','complete','pruned','failed')),
  value DOUBLE PRECISION,
  params TEXT NOT NULL,
  config TEXT,
  step INTEGER,
  steps INTEGER,
  worker INTEGER,
  backend TEXT,
  error TEXT,
  queued_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  host TEXT,
  agent TEXT,
  claim_token TEXT,
  heartbeat_at DOUBLE PRECISION,
  retries INTEGER NOT NULL DEFAULT 0,
  revision BIGINT NOT NULL DEFAULT 0,
  UNIQUE (sweep_id, number)
);
CREATE INDEX trials_state_value ON trials(sweep_id, state, value);
CREATE INDEX trials_revision ON trials(sweep_id, revision);
CREATE TABLE metrics (
  trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  name TEXT NOT NULL,
  value DOUBLE PRECISION,
  PRIMARY KEY (trial_id, name, step)
);
CREATE VIEW final_metrics AS
  SELECT DISTINCT ON (trial_id, name) trial_id, name, value, step FROM metrics ORDER BY trial_id, name, step DESC;
CREATE TABLE models (
  trial_id INTEGER PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
  format INTEGER NOT NULL,
  data BYTEA NOT NULL,
  saved_at TEXT NOT NULL
);
`;

/** Migration N takes the database from schema version N-1 to N. Append; never edit shipped ones. */
const MIGRATIONS: readonly string[] = [SCHEMA_V1];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** The schema version of the database (0: no sweepdeck tables), or why it is not ours. */
async function schemaVersion(query: Query): Promise<number | { foreign: string }> {
  const tables = await query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
  );
  if (tables.length === 0) return 0;
  if (!tables.some((t) => t.name === 'meta')) {
    const shown = tables.slice(0, 5).map((t) => t.name).join(', ') + (tables.length > 5 ? ', …' : '');
    return { foreign: `it holds other tables (${shown})` };
  }
  const rows = await query<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'");
  if (rows.length === 0) return { foreign: 'its meta table has no sweepdeck schema_version' };
  return Number(rows[0]!.value);
}

/**
 * Brings the database to this build's schema. Returns null when it is (now) ours, otherwise why it
 * is not: another application's tables, or a newer sweepdeck's schema (left untouched).
 */
export async function migratePg(query: Query, options: { write: boolean }): Promise<{ problem: 'foreign' | 'newer' | 'empty'; detail: string } | null> {
  if (options.write) await query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  const version = await schemaVersion(query);
  if (typeof version === 'object') return { problem: 'foreign', detail: version.foreign };
  if (version > PG_SCHEMA_VERSION) return { problem: 'newer', detail: `schema version ${version}` };
  if (!options.write) return version === 0 ? { problem: 'empty', detail: 'it holds no sweepdeck tables' } : null;
  for (let next = version + 1; next <= PG_SCHEMA_VERSION; next++) {
    await query(MIGRATIONS[next - 1]!);
    await query(
      "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [String(next)],
    );
  }
  return null;
}

export interface SweepRow {
  id: number;
  name: string;
  method: string;
  metric_name: string;
  metric_goal: 'minimize' | 'maximize';
  spec_json: string;
  spec_source: string;
  spec_hash: string;
  created_at: string;
}

export const SWEEP_COLUMNS = 'id, name, method, metric_name, metric_goal, spec_json, spec_source, spec_hash, created_at';

export function sweepRecordOf(row: SweepRow): SweepRecord {
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

/** SQL for "the transaction's id", the revision a changed trial row gets (see PgSweepStore.changes). */
export const TX_REVISION = 'pg_current_xact_id()::text::bigint';
/** Now, on the server's clock, in epoch seconds (heartbeats are compared on one clock). */
export const SERVER_NOW = 'extract(epoch from clock_timestamp())';
