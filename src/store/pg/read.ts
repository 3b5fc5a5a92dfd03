// Read-only access to one sweep in PostgreSQL, for the commands and the dashboards: the same
// answers as SqliteReadStore (read.ts) gives for a SQLite file, including its orderings (metric
// names in byte order, COLLATE "C", as SQLite compares them).
import type { KeptModel, ModelBlob } from '../models.js';
import type { SweepRecord } from '../open.js';
import type { CurvePoint, LatestMetric, LiveWriter, ReadStore, TrialListing, TrialState, TrialSummary } from '../read.js';
import { bestFirst } from '../schema.js';
import type { PgConnection, Query } from './connection.js';
import { listingFromRow, summaryFromRow, type ListingRow, type TrialRow } from '../trial-rows.js';

const TRIAL_COLUMNS =
  'id, number, state, value, params, config, step, steps, worker, backend, host, agent, retries, error, queued_at, started_at, finished_at';

export class PgReadStore implements ReadStore {
  readonly location: string;
  /** Inside consistentRead: the query function of its transaction. */
  private snapshotQuery: Query | undefined;

  constructor(
    private readonly connection: PgConnection,
    private readonly sweepId: number,
    private readonly record: SweepRecord,
  ) {
    this.location = connection.shown;
  }

  sweep(): SweepRecord {
    return { ...this.record };
  }

  async counts(): Promise<Record<TrialState, number>> {
    const counts: Record<TrialState, number> = { queued: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
    const rows = await this.read((q) => q<{ state: TrialState; n: number }>('SELECT state, count(*)::int AS n FROM trials WHERE sweep_id = $1 GROUP BY state', [this.sweepId]));
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  async best(top: number): Promise<TrialSummary[]> {
    if (!(top > 0)) return [];
    const limit = Number.isFinite(top) ? Math.floor(top) : null;
    return this.summaries(
      `SELECT ${TRIAL_COLUMNS} FROM trials WHERE sweep_id = $1 AND state = 'complete' AND value IS NOT NULL
       ORDER BY value ${bestFirst(this.record.metricGoal)}, number LIMIT $2`,
      [this.sweepId, limit],
    );
  }

  async trials(options: { states?: TrialState[] } = {}): Promise<TrialSummary[]> {
    return this.summaries(
      `SELECT ${TRIAL_COLUMNS} FROM trials WHERE sweep_id = $1 AND ($2::text[] IS NULL OR state = ANY($2::text[])) ORDER BY number`,
      [this.sweepId, options.states ?? null],
    );
  }

  async trial(number: number): Promise<TrialSummary | undefined> {
    return (await this.summaries(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE sweep_id = $1 AND number = $2`, [this.sweepId, number]))[0];
  }

  async curve(trialId: number, name?: string): Promise<CurvePoint[]> {
    return this.read((q) =>
      q<CurvePoint>(
        `SELECT m.step, m.name, m.value FROM metrics m JOIN trials t ON t.id = m.trial_id
         WHERE t.sweep_id = $1 AND m.trial_id = $2 AND ($3::text IS NULL OR m.name = $3) ORDER BY m.name COLLATE "C", m.step`,
        [this.sweepId, trialId, name ?? null],
      ),
    );
  }

  async keptModels(): Promise<KeptModel[]> {
    return this.read((q) =>
      q<KeptModel>(
        `SELECT t.number, t.id AS "trialId", t.value, m.format, octet_length(m.data) AS bytes, m.saved_at AS "savedAt"
         FROM models m JOIN trials t ON t.id = m.trial_id WHERE t.sweep_id = $1
         ORDER BY t.value ${bestFirst(this.record.metricGoal)}, t.number`,
        [this.sweepId],
      ),
    );
  }

  async modelBlob(number: number): Promise<ModelBlob | undefined> {
    const rows = await this.read((q) =>
      q<{ format: number; data: Buffer; savedAt: string }>(
        `SELECT m.format, m.data, m.saved_at AS "savedAt" FROM models m JOIN trials t ON t.id = m.trial_id
         WHERE t.sweep_id = $1 AND t.number = $2`,
        [this.sweepId, number],
      ),
    );
    const row = rows[0];
    return row ? { format: row.format, data: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength), savedAt: row.savedAt } : undefined;
  }

  async trialListing(): Promise<TrialListing[]> {
    const rows = await this.read((q) =>
      q<ListingRow>(
        `SELECT id, number, state, value, params, step, steps, worker, backend, host, agent, error, started_at, finished_at
         FROM trials WHERE sweep_id = $1 ORDER BY number`,
        [this.sweepId],
      ),
    );
    return rows.map(listingFromRow);
  }

  async latestMetrics(trialIds: readonly number[], names: readonly string[]): Promise<LatestMetric[]> {
    if (trialIds.length === 0 || names.length === 0) return [];
    return this.read((q) =>
      q<LatestMetric>(
        `SELECT DISTINCT ON (trial_id, name) trial_id AS "trialId", name, step, value FROM metrics
         WHERE trial_id = ANY($1::int[]) AND name = ANY($2::text[]) ORDER BY trial_id, name, step DESC`,
        [trialIds, names],
      ),
    );
  }

  async bestMetricValues(trialIds: readonly number[], name: string): Promise<{ trialId: number; value: number }[]> {
    if (trialIds.length === 0) return [];
    return this.read((q) =>
      q<{ trialId: number; value: number }>(
        `SELECT trial_id AS "trialId", ${this.record.metricGoal === 'maximize' ? 'max' : 'min'}(value) AS value FROM metrics
         WHERE trial_id = ANY($1::int[]) AND name = $2 AND value IS NOT NULL GROUP BY trial_id`,
        [trialIds, name],
      ),
    );
  }

  /** An agent writing this sweep now (a host with a recently heartbeated running trial); pid 0: agents are not one local process. */
  async liveWriter(): Promise<LiveWriter | undefined> {
    const rows = await this.read((q) =>
      q<{ host: string; since: string }>(
        `SELECT host, min(started_at) AS since FROM trials
         WHERE sweep_id = $1 AND state = 'running' AND heartbeat_at > extract(epoch from clock_timestamp()) - 60 AND host IS NOT NULL
         GROUP BY host ORDER BY since LIMIT 1`,
        [this.sweepId],
      ),
    );
    const row = rows[0];
    return row ? { pid: 0, host: row.host, since: row.since ?? new Date().toISOString() } : undefined;
  }

  /** Grows with every write to the sweep's trials (the newest revision), so a poller can skip a read. */
  async dataVersion(): Promise<number> {
    const rows = await this.read((q) => q<{ v: string | null }>('SELECT max(revision)::text AS v FROM trials WHERE sweep_id = $1', [this.sweepId]));
    return Number(rows[0]?.v ?? 0);
  }

  async consistentRead<T>(read: () => Promise<T>): Promise<T> {
    if (this.snapshotQuery) return read();
    return this.connection.run(async (query) => {
      await query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      this.snapshotQuery = query;
      try {
        return await read();
      } finally {
        this.snapshotQuery = undefined;
        await query('COMMIT').catch(() => {});
      }
    });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Runs `work` on the open snapshot (inside consistentRead), or on its own. */
  private read<T>(work: (query: Query) => Promise<T>): Promise<T> {
    return this.snapshotQuery ? work(this.snapshotQuery) : this.connection.run(work);
  }

  /** Trials with their final metrics: two queries, however many trials. */
  private async summaries(sql: string, values: unknown[]): Promise<TrialSummary[]> {
    const load = async (): Promise<TrialSummary[]> => {
      const rows = await this.read((q) => q<TrialRow>(sql, values));
      if (rows.length === 0) return [];
      const finals = await this.read((q) =>
        q<{ trial_id: number; name: string; value: number | null }>(
          'SELECT trial_id, name, value FROM final_metrics WHERE trial_id = ANY($1::int[]) ORDER BY trial_id, name COLLATE "C"',
          [rows.map((r) => r.id)],
        ),
      );
      const metrics = new Map<number, Record<string, number | null>>();
      for (const f of finals) {
        let m = metrics.get(f.trial_id);
        if (!m) metrics.set(f.trial_id, (m = {}));
        m[f.name] = f.value;
      }
      return rows.map((row) => summaryFromRow(row, metrics.get(row.id) ?? {}));
    };
    return this.snapshotQuery ? load() : this.consistentRead(load);
  }
}
