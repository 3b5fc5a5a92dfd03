// Read-only access to a results DB for the CLIs (best, show, export, watch). Safe to use while
// another process writes: in WAL mode readers and the writer do not block each other.
import type Database from 'better-sqlite3';
import type { SweepRecord } from './open.js';
import { bestFirst } from './schema.js';
import { liveWriter } from './writer-lock.js';
import { ModelQueries, type KeptModel, type ModelBlob } from './models.js';
import { findDamage, isCorruption } from './damage.js';
import { listingFromRow, summaryFromRow, type ListingRow, type TrialRow } from './trial-rows.js';

export type TrialState = 'queued' | 'running' | 'complete' | 'pruned' | 'failed';

export const TRIAL_STATES: readonly TrialState[] = ['queued', 'running', 'complete', 'pruned', 'failed'];

export interface TrialSummary {
  id: number;
  number: number;
  state: TrialState;
  value: number | null;
  params: Record<string, unknown>;
  config: unknown;
  step: number | null;
  steps: number | null;
  worker: number | null;
  backend: string | null;
  /** The machine and agent that ran it (null for trials recorded before schema version 3). */
  host: string | null;
  agent: string | null;
  /** How often it went back to the queue before this run (interrupted, or its agent went silent). */
  retries: number;
  error: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The last recorded value of each metric, by name. */
  metrics: Record<string, number | null>;
}

export interface CurvePoint {
  step: number;
  name: string;
  value: number | null;
}

/** A trial without its config or metrics: what a dashboard polls (see trialListing). */
export interface TrialListing {
  id: number;
  number: number;
  state: TrialState;
  value: number | null;
  params: Record<string, unknown>;
  step: number | null;
  steps: number | null;
  worker: number | null;
  backend: string | null;
  host: string | null;
  agent: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A trial's last recorded value of one metric (see latestMetrics). */
export interface LatestMetric {
  trialId: number;
  name: string;
  step: number;
  value: number | null;
}

/** The process writing the DB (its meta record), when it is alive. */
export interface LiveWriter {
  pid: number;
  host: string;
  since: string;
}

/** The trial columns read; a DB from before schema version 3 (read as it is: readers never migrate) has no owner columns. */
function trialColumns(claimed: boolean): { all: string; owner: string } {
  const owner = claimed ? 'host, agent' : 'NULL AS host, NULL AS agent';
  return {
    all: `id, number, state, value, params, config, step, steps, worker, backend, ${owner}, ${claimed ? 'retries' : '0 AS retries'}, error, queued_at, started_at, finished_at`,
    owner,
  };
}

/**
 * The read side of one sweep, for the commands and the dashboards: SqliteReadStore here, and
 * PgReadStore (pg/read.ts) for a sweep in PostgreSQL. Every method reads; none writes.
 */
export interface ReadStore {
  /** Where the sweep lives, for messages (a path, or a URL without its password). */
  readonly location: string;
  sweep(): SweepRecord;
  counts(): Promise<Record<TrialState, number>>;
  best(top: number): Promise<TrialSummary[]>;
  trials(options?: { states?: TrialState[] }): Promise<TrialSummary[]>;
  trial(number: number): Promise<TrialSummary | undefined>;
  curve(trialId: number, name?: string): Promise<CurvePoint[]>;
  keptModels(): Promise<KeptModel[]>;
  modelBlob(number: number): Promise<ModelBlob | undefined>;
  trialListing(): Promise<TrialListing[]>;
  latestMetrics(trialIds: readonly number[], names: readonly string[]): Promise<LatestMetric[]>;
  bestMetricValues(trialIds: readonly number[], name: string): Promise<{ trialId: number; value: number }[]>;
  liveWriter(): Promise<LiveWriter | undefined>;
  dataVersion(): Promise<number>;
  consistentRead<T>(read: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class SqliteReadStore implements ReadStore {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly record: SweepRecord;

  private readonly selectCounts;
  private readonly selectBest;
  private readonly selectTrials;
  private readonly selectTrial;
  private readonly selectFinalMetrics;
  private readonly selectCurve;
  private readonly selectListing;
  private readonly selectLatest;
  private readonly selectBestValues;
  private readonly models: ModelQueries;

  /** Use openReadStore: it checks the file is a sweepdeck DB first. */
  constructor(db: Database.Database, record: SweepRecord, location = '') {
    this.db = db;
    this.location = location;
    const claimed = db.prepare("SELECT 1 FROM pragma_table_info('trials') WHERE name = 'host'").get() !== undefined;
    const columns = trialColumns(claimed);
    const TRIAL_COLUMNS = columns.all;
    this.record = record;
    this.selectCounts = db.prepare<[], { state: TrialState; n: number }>('SELECT state, count(*) AS n FROM trials GROUP BY state');
    this.selectBest = db.prepare<[number], TrialRow>(
      `SELECT ${TRIAL_COLUMNS} FROM trials WHERE state = 'complete' AND value IS NOT NULL
       ORDER BY value ${bestFirst(record.metricGoal)}, number LIMIT ?`,
    );
    // @states: a JSON array of states, or NULL for all of them.
    this.selectTrials = db.prepare<[{ states: string | null }], TrialRow>(
      `SELECT ${TRIAL_COLUMNS} FROM trials
       WHERE @states IS NULL OR state IN (SELECT value FROM json_each(@states))
       ORDER BY number`,
    );
    this.selectTrial = db.prepare<[number], TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE number = ?`);
    this.selectFinalMetrics = db.prepare<[number], { name: string; value: number | null }>(
      'SELECT name, value FROM final_metrics WHERE trial_id = ? ORDER BY name',
    );
    this.selectCurve = db.prepare<[{ trialId: number; name: string | null }], CurvePoint>(
      `SELECT step, name, value FROM metrics
       WHERE trial_id = @trialId AND (@name IS NULL OR name = @name)
       ORDER BY name, step`,
    );
    this.selectListing = db.prepare<[], ListingRow>(
      `SELECT id, number, state, value, params, step, steps, worker, backend, ${columns.owner}, error, started_at, finished_at
       FROM trials ORDER BY number`,
    );
    // @ids, @names: JSON arrays. SQLite fills the bare column `value` from the row where max(step) is
    // found; the (trial_id, name, step) key makes this a lookup per trial, not a scan of all metrics.
    this.selectLatest = db.prepare<[{ ids: string; names: string }], LatestMetric>(
      `SELECT trial_id AS trialId, name, max(step) AS step, value FROM metrics
       WHERE trial_id IN (SELECT value FROM json_each(@ids)) AND name IN (SELECT value FROM json_each(@names))
       GROUP BY trial_id, name`,
    );
    this.selectBestValues = db.prepare<[{ ids: string; name: string }], { trialId: number; value: number }>(
      `SELECT trial_id AS trialId, ${record.metricGoal === 'maximize' ? 'max' : 'min'}(value) AS value FROM metrics
       WHERE trial_id IN (SELECT value FROM json_each(@ids)) AND name = @name AND value IS NOT NULL
       GROUP BY trial_id`,
    );
    this.models = new ModelQueries(db, record);
  }

  sweep(): SweepRecord {
    return { ...this.record };
  }

  /** Trials per state, every state present. */
  async counts(): Promise<Record<TrialState, number>> {
    const counts: Record<TrialState, number> = { queued: 0, running: 0, complete: 0, pruned: 0, failed: 0 };
    for (const row of this.selectCounts.all()) counts[row.state] = row.n;
    return counts;
  }

  /** The `top` best complete trials per the sweep's goal (trials without a value never), ties by number. */
  async best(top: number): Promise<TrialSummary[]> {
    if (!(top > 0)) return [];
    // LIMIT -1: no limit, for best(Infinity).
    const limit = Number.isFinite(top) ? Math.floor(top) : -1;
    return this.snapshot(() => this.selectBest.all(limit).map((row) => this.summarize(row)));
  }

  /** Trials by number, optionally only those in `states`. */
  async trials(options: { states?: TrialState[] } = {}): Promise<TrialSummary[]> {
    const states = options.states === undefined ? null : JSON.stringify(options.states);
    return this.snapshot(() => this.selectTrials.all({ states }).map((row) => this.summarize(row)));
  }

  async trial(number: number): Promise<TrialSummary | undefined> {
    return this.snapshot(() => {
      const row = this.selectTrial.get(number);
      return row ? this.summarize(row) : undefined;
    });
  }

  /** A trial's metric points (one metric, or all of them), ordered by name, then step. */
  async curve(trialId: number, name?: string): Promise<CurvePoint[]> {
    return this.unlessDamaged('metrics', [], () => this.selectCurve.all({ trialId, name: name ?? null }));
  }

  /** Trials whose trained model is kept in the DB, best first (no blobs are read: cheap to poll). */
  async keptModels(): Promise<KeptModel[]> {
    return this.unlessDamaged('models', [], () => this.models.kept());
  }

  /**
   * What was damaged in the reads so far, in words (SQLite's quick_check), or undefined when every
   * read succeeded (curves, final metrics and kept models that could not be read were left out).
   * With `check`, quick_check runs whatever the reads met. SQLite only: PostgreSQL has no quick_check.
   */
  damage(check = false): string[] | undefined {
    if (this.unreadable.size === 0 && !check) return undefined;
    const found = findDamage(this.db);
    if (found.length) return found;
    return this.unreadable.size ? [...this.unreadable].map((table) => `table ${table}`) : undefined;
  }

  /** The kept model blob of trial `number` (decode it with src/artifacts), or undefined when none is kept. */
  async modelBlob(number: number): Promise<ModelBlob | undefined> {
    return this.models.blob(number);
  }

  /** Every trial by number, without config or metrics: one cheap query, for polling (watch). */
  async trialListing(): Promise<TrialListing[]> {
    return this.selectListing.all().map(listingFromRow);
  }

  /** The last recorded value of each metric in `names` for each trial in `trialIds` (by trials.id). */
  async latestMetrics(trialIds: readonly number[], names: readonly string[]): Promise<LatestMetric[]> {
    if (trialIds.length === 0 || names.length === 0) return [];
    return this.selectLatest.all({ ids: JSON.stringify(trialIds), names: JSON.stringify(names) });
  }

  /** Each trial's best recorded value of metric `name`, per the sweep's goal (trials without one are left out). */
  async bestMetricValues(trialIds: readonly number[], name: string): Promise<{ trialId: number; value: number }[]> {
    if (trialIds.length === 0) return [];
    return this.selectBestValues.all({ ids: JSON.stringify(trialIds), name });
  }

  /** The sweepdeck process writing this DB now, if there is one (a record left by a dead one is not). */
  async liveWriter(): Promise<LiveWriter | undefined> {
    // Our own pid is never a writer to a read-only store: the empty lock key makes liveWriter say so.
    return liveWriter(this.db, '');
  }

  /** Changes whenever another connection commits to the DB: a poller can skip reading when it has not. */
  async dataVersion(): Promise<number> {
    return Number(this.db.pragma('data_version', { simple: true }));
  }

  /** Runs `read` in one read transaction: every query in it sees the same snapshot of the DB. */
  async consistentRead<T>(read: () => Promise<T>): Promise<T> {
    // The reads inside are synchronous SQLite calls behind promises; one connection, so an open
    // read transaction around them is their snapshot (nested snapshots become savepoints).
    if (this.db.inTransaction) return read();
    this.db.exec('BEGIN');
    let done = false;
    try {
      const value = await read();
      done = true;
      return value;
    } finally {
      try {
        if (this.db.inTransaction) this.db.exec('COMMIT');
      } catch (error) {
        // As in snapshot(): a read that met damage (and left it out) can fail the end; what it read is whole.
        if (!(done && isCorruption(error))) throw error;
      }
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Runs several queries in one read transaction, so a concurrent writer cannot show up half-way. */
  private snapshot<T>(read: () => T): T {
    let done: { value: T } | undefined;
    try {
      return this.db.transaction(() => (done = { value: read() }).value).deferred();
    } catch (error) {
      // A read that met damage (and left it out) can fail the transaction's end; what it read is whole.
      if (done && isCorruption(error)) return done.value;
      throw error;
    }
  }

  /** The tables a read found damaged (a damaged DB still shows what can be read; see damage()). */
  private readonly unreadable = new Set<string>();

  /** `read()`, or `fallback` when SQLite finds the pages it needs damaged (noted for damage()). */
  private unlessDamaged<T>(table: string, fallback: T, read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (!isCorruption(error)) throw error;
      this.unreadable.add(table);
      return fallback;
    }
  }

  private summarize(row: TrialRow): TrialSummary {
    const metrics: Record<string, number | null> = {};
    for (const metric of this.unlessDamaged('metrics', [], () => this.selectFinalMetrics.all(row.id))) metrics[metric.name] = metric.value;
    return summaryFromRow(row, metrics);
  }
}
