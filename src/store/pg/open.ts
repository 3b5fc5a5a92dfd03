// Opening a sweep in a PostgreSQL database: for writing (create the schema or migrate it, create
// the named sweep or continue it when its spec is the same), for reading (pick the sweep by name),
// and the list of the database's sweeps (`sweepdeck sweeps URL`).
import { StoreError, type SweepRecord } from '../open.js';
import type { Liveness } from '../types.js';
import { PgConnection, type ConnectionOptions, type Query } from './connection.js';
import { PgReadStore } from './read.js';
import { SWEEP_COLUMNS, migratePg, sweepRecordOf, type SweepRow } from './schema.js';
import { PgSweepStore } from './store.js';

async function connect(url: string, options: ConnectionOptions = {}): Promise<PgConnection> {
  try {
    // The first connection is not retried: a wrong host, role or password is said at once.
    return await PgConnection.open(url, { ...options });
  } catch (error) {
    const shown = new URL(url).host || url;
    throw new StoreError('not_found', shown, `cannot connect to PostgreSQL at ${shown}: ${(error as Error).message}`, { cause: error });
  }
}

async function refuseUnlessOurs(query: Query, shown: string, write: boolean): Promise<void> {
  const problem = await migratePg(query, { write });
  if (!problem) return;
  if (problem.problem === 'newer') {
    throw new StoreError('newer_schema', shown, `${shown} was written by a newer sweepdeck (${problem.detail}); upgrade sweepdeck to use it`);
  }
  throw new StoreError('not_a_sweep_db', shown, `${shown} is not a sweepdeck results DB: ${problem.detail}`);
}

export async function openPgWriteStore(url: string, record: SweepRecord, options: ConnectionOptions & { liveness: Liveness }): Promise<PgSweepStore> {
  const connection = await connect(url, options);
  try {
    const sweepId = await connection.transaction(async (query) => {
      await refuseUnlessOurs(query, connection.shown, true);
      // Agents that start at once create the sweep once: the second insert does nothing.
      await query(
        `INSERT INTO sweeps (name, method, metric_name, metric_goal, spec_json, spec_source, spec_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING`,
        [record.name, record.method, record.metricName, record.metricGoal, record.specJson, record.specSource, record.specHash, record.createdAt],
      );
      const row = (await query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE name = $1`, [record.name]))[0]!;
      if (row.spec_hash !== record.specHash) {
        throw new StoreError(
          'different_sweep',
          connection.shown,
          `${connection.shown} holds sweep "${record.name}" as specified when it was created (${row.created_at}); the spec has changed since: give the sweep another name, or use another database`,
        );
      }
      return { id: row.id, record: sweepRecordOf(row) };
    });
    return new PgSweepStore(connection, sweepId.id, sweepId.record, options.liveness);
  } catch (error) {
    await connection.close();
    throw error;
  }
}

export async function openPgReadStore(url: string, options: { sweep?: string } = {}): Promise<PgReadStore> {
  const connection = await connect(url);
  try {
    const row = await connection.run(async (query) => {
      await refuseUnlessOurs(query, connection.shown, false);
      const rows = await query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps ORDER BY name`);
      return pickSweep(rows, options.sweep, connection.shown);
    });
    return new PgReadStore(connection, row.id, sweepRecordOf(row));
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/** The one sweep asked for, or the only one; otherwise an error that lists them. */
export function pickSweep<R extends { name: string }>(rows: readonly R[], wanted: string | undefined, shown: string): R {
  if (rows.length === 0) throw new StoreError('not_a_sweep_db', shown, `${shown} is not a sweepdeck results DB: it holds no sweep`);
  const names = rows.map((r) => r.name);
  if (wanted === undefined) {
    if (rows.length === 1) return rows[0]!;
    throw new StoreError('different_sweep', shown, `${shown} holds ${rows.length} sweeps (${names.join(', ')}); choose one with --sweep NAME`);
  }
  const row = rows.find((r) => r.name === wanted);
  if (row) return row;
  const close = names.find((n) => n.toLowerCase() === wanted.toLowerCase() || n.startsWith(wanted) || wanted.startsWith(n));
  throw new StoreError(
    'different_sweep',
    shown,
    `${shown} has no sweep "${wanted}"${close ? ` (did you mean "${close}"?)` : ''}; it holds: ${names.join(', ')}`,
  );
}

export interface SweepListing {
  name: string;
  method: string;
  metric: string;
  goal: 'minimize' | 'maximize';
  createdAt: string;
  counts: Record<string, number>;
  best: { number: number; value: number } | null;
  /** Agents that heartbeat a running trial of the sweep now. */
  agents: number;
}

export async function listPgSweeps(url: string): Promise<SweepListing[]> {
  const connection = await connect(url);
  try {
    return await connection.run(async (query) => {
      await refuseUnlessOurs(query, connection.shown, false);
      const sweeps = await query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps ORDER BY name`);
      const counts = await query<{ sweep_id: number; state: string; n: number }>('SELECT sweep_id, state, count(*)::int AS n FROM trials GROUP BY sweep_id, state');
      const agents = await query<{ sweep_id: number; n: number }>(
        `SELECT sweep_id, count(DISTINCT (host, agent))::int AS n FROM trials
         WHERE state = 'running' AND heartbeat_at > extract(epoch from clock_timestamp()) - 60 GROUP BY sweep_id`,
      );
      const listing: SweepListing[] = [];
      for (const s of sweeps) {
        const best = await query<{ number: number; value: number }>(
          `SELECT number, value FROM trials WHERE sweep_id = $1 AND state = 'complete' AND value IS NOT NULL
           ORDER BY value ${s.metric_goal === 'maximize' ? 'DESC' : 'ASC'}, number LIMIT 1`,
          [s.id],
        );
        listing.push({
          name: s.name,
          method: s.method,
          metric: s.metric_name,
          goal: s.metric_goal,
          createdAt: s.created_at,
          counts: Object.fromEntries(counts.filter((c) => c.sweep_id === s.id).map((c) => [c.state, c.n])),
          best: best[0] ?? null,
          agents: agents.find((a) => a.sweep_id === s.id)?.n ?? 0,
        });
      }
      return listing;
    });
  } finally {
    await connection.close();
  }
}
