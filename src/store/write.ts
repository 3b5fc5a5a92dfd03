// The single writer of a results DB (the run orchestrator holds it): trials' lifecycle and the
// metrics stream, buffered and written in batched transactions.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SweepRecord } from './open.js';
import type { CurvePoint, TrialState, TrialSummary } from './read.js';
import type { ModelBlob } from './models.js';
import type { ClaimRequest, ClaimedTrial, LedgerDelta, MetricPoint, StoredTrial, SweepStore, TrialEnd } from './types.js';
import { bestFirst } from './schema.js';
import { releaseWriter } from './writer-lock.js';
import { ModelKeeper, keepModelsOf } from './models.js';
import type { TrainedModel } from '../train/model.js';

/** Buffered metric rows that trigger a flush on their own (the orchestrator also flushes on a timer). */
export const FLUSH_ROWS = 2000;

export interface NewTrial {
  number: number;
  params: Record<string, unknown>;
  config: unknown;
  steps: number;
}

interface MetricRow {
  trialId: number;
  step: number;
  name: string;
  value: number | null;
}

const now = (): string => new Date().toISOString();

/** SQL that gives a changed trial row the next revision (SQLite has one writer at a time, so they are in commit order). */
const NEXT_REVISION = '(SELECT coalesce(max(revision), 0) + 1 FROM trials)';

export class WriteStore implements SweepStore {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly record: SweepRecord;
  private readonly lockKey: string;
  private pending: MetricRow[] = [];
  /**
   * The claim token of each trial this store holds (claimed or inserted, not finished yet): every
   * write carries it, so metrics for an unknown id fail at the call, not at a later flush.
   */
  private readonly held = new Map<number, string>();
  /** The highest trial revision that changes() has reported. */
  private revisionSeen = 0;
  private closed = false;

  private readonly selectStates;
  private readonly selectByNumber;
  private readonly insertTrialRow;
  private readonly resetTrialRow;
  private readonly deleteMetrics;
  private readonly updateRunning;
  private readonly upsertMetric;
  private readonly advanceStep;
  private readonly updateFinished;
  private readonly selectBest;
  private readonly models: ModelKeeper;

  /** Use openWriteStore: it migrates the DB and claims it before handing it over. */
  constructor(db: Database.Database, record: SweepRecord, lockKey: string, location = '') {
    this.db = db;
    this.location = location;
    this.record = record;
    this.lockKey = lockKey;
    this.selectStates = db.prepare<[], { number: number; state: TrialState }>('SELECT number, state FROM trials ORDER BY number');
    this.selectByNumber = db.prepare<[number], { id: number; state: TrialState }>('SELECT id, state FROM trials WHERE number = ?');
    this.insertTrialRow = db.prepare<[{ number: number; state: 'queued' | 'running'; params: string; config: string | null; steps: number; queuedAt: string; token: string; host: string | null; agent: string | null }]>(
      `INSERT INTO trials (number, state, params, config, steps, queued_at, claim_token, host, agent, heartbeat_at, revision)
       VALUES (@number, @state, @params, @config, @steps, @queuedAt, @token, @host, @agent, unixepoch('subsec'), ${NEXT_REVISION})`,
    );
    // Back to a fresh 'queued' trial: everything a previous attempt recorded is cleared.
    // @replace = 1 also replaces what the trial is (insertTrial); 0 keeps it (requeueTrial).
    this.resetTrialRow = db.prepare<[{ id: number; replace: 0 | 1; params: string; config: string | null; steps: number; queuedAt: string; token: string | null; retry: 0 | 1 }]>(
      `UPDATE trials SET state = 'queued', value = NULL,
         params = iif(@replace, @params, params), config = iif(@replace, @config, config), steps = iif(@replace, @steps, steps),
         step = NULL, worker = NULL, backend = NULL, error = NULL, queued_at = @queuedAt, started_at = NULL, finished_at = NULL,
         claim_token = @token, host = NULL, agent = NULL, retries = retries + @retry, revision = ${NEXT_REVISION}
       WHERE id = @id AND state IN ('queued', 'running')`,
    );
    this.deleteMetrics = db.prepare<[number]>('DELETE FROM metrics WHERE trial_id = ?');
    this.updateRunning = db.prepare<[{ id: number; worker: number; backend: string; startedAt: string; token: string }]>(
      `UPDATE trials SET state = 'running', worker = @worker, backend = @backend, started_at = @startedAt, step = 0,
         heartbeat_at = unixepoch('subsec'), revision = ${NEXT_REVISION}
       WHERE id = @id AND state IN ('queued', 'running') AND claim_token = @token`,
    );
    // The same (trial, name, step) reported twice keeps the latest value; a trial whose claim was
    // taken over gets none (WHERE EXISTS: the claim token is checked on every write).
    this.upsertMetric = db.prepare<[number, number, string, number | null, number, string]>(
      `INSERT INTO metrics (trial_id, step, name, value)
       SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM trials WHERE id = ? AND claim_token = ?)
       ON CONFLICT (trial_id, name, step) DO UPDATE SET value = excluded.value`,
    );
    // Progress for readers watching a running trial (the final step is set by finishTrial).
    this.advanceStep = db.prepare<[number, number, string]>(
      `UPDATE trials SET step = max(coalesce(step, 0), ?), revision = ${NEXT_REVISION} WHERE id = ? AND state = 'running' AND claim_token = ?`,
    );
    this.updateFinished = db.prepare<[{ id: number; state: TrialEnd['state']; value: number | null; step: number; error: string | null; finishedAt: string; token: string }]>(
      `UPDATE trials SET state = @state, value = @value, step = @step, error = @error, finished_at = @finishedAt,
         claim_token = NULL, revision = ${NEXT_REVISION}
       WHERE id = @id AND state IN ('queued', 'running') AND claim_token = @token`,
    );
    this.selectBest = db.prepare<[], { number: number; value: number }>(
      `SELECT number, value FROM trials WHERE state = 'complete' AND value IS NOT NULL
       ORDER BY value ${bestFirst(record.metricGoal)}, number LIMIT 1`,
    );
    this.models = new ModelKeeper(db, record, keepModelsOf(record));
  }

  sweep(): SweepRecord {
    return { ...this.record };
  }

  /** Trials already in the DB, number -> state (to continue a sweep where it stopped). */
  async trialStates(): Promise<Map<number, TrialState>> {
    return new Map(this.selectStates.all().map((row) => [row.number, row.state]));
  }

  /** The best complete trial so far (per the sweep's goal), or null. */
  async best(): Promise<{ number: number; value: number } | null> {
    return this.selectBest.get() ?? null;
  }

  /** Every trial in the DB with what a planner needs of it (to continue a sweep where it stopped). */
  async trialRecords(): Promise<StoredTrial[]> {
    this.revisionSeen = this.db.prepare<[], number>('SELECT coalesce(max(revision), 0) FROM trials').pluck().get()!;
    return this.db
      .prepare<[], { number: number; state: TrialState; params: string; value: number | null; step: number | null }>(
        'SELECT number, state, params, value, step FROM trials ORDER BY number',
      )
      .all()
      .map((row) => ({ ...row, params: JSON.parse(row.params) as Record<string, unknown> }));
  }

  /** Every recorded value of one metric, by trial number then step (what pruners compare against). */
  async metricPoints(name: string): Promise<{ number: number; step: number; value: number | null }[]> {
    return this.db
      .prepare<[string], { number: number; step: number; value: number | null }>(
        `SELECT t.number, m.step, m.value FROM metrics m JOIN trials t ON t.id = m.trial_id
         WHERE m.name = ? ORDER BY t.number, m.step`,
      )
      .all(name);
  }

  /**
   * Adds trial `number` as 'queued' and returns its id. A trial with that number left 'queued' or
   * 'running' by an earlier process is reset (its metrics dropped) and keeps its id; a finished
   * one is an error, since finished trials are never run again.
   */
  async insertTrial(trial: NewTrial): Promise<number> {
    const params = JSON.stringify(trial.params);
    // SQL NULL (not the text 'null') when there is no configuration, e.g. one that failed to resolve.
    const config = configText(trial.config);
    const token = randomUUID();
    const id = this.db.transaction((): number => {
      const existing = this.selectByNumber.get(trial.number);
      if (!existing) {
        return Number(
          this.insertTrialRow.run({ number: trial.number, state: 'queued', params, config, steps: trial.steps, queuedAt: now(), token, host: null, agent: null }).lastInsertRowid,
        );
      }
      if (existing.state !== 'queued' && existing.state !== 'running') {
        throw new Error(`trial ${trial.number} is already ${existing.state}; finished trials are not run again`);
      }
      this.reset(existing.id, { replace: 1, params, config, steps: trial.steps, token, retry: 0 });
      return existing.id;
    })();
    this.dropPending(id);
    this.held.set(id, token);
    return id;
  }

  async markRunning(id: number, worker: number, backend: string): Promise<void> {
    const token = this.held.get(id);
    const changed = token === undefined ? 0 : this.updateRunning.run({ id, worker, backend, startedAt: now(), token }).changes;
    if (changed !== 1 && (token === undefined || !this.claimLost(id))) throw new Error(`cannot mark trial id ${id} running: no such queued or running trial`);
  }

  /** Buffers one evaluation's metrics (non-finite values become NULL); written by flush or finishTrial. */
  async addMetrics(id: number, step: number, values: Record<string, number>): Promise<void> {
    if (!this.held.has(id)) throw new Error(`metrics for trial id ${id}, which this store did not insert`);
    for (const [name, value] of Object.entries(values)) {
      this.pending.push({ trialId: id, step, name, value: Number.isFinite(value) ? value : null });
    }
    if (this.pending.length >= FLUSH_ROWS) await this.flush();
  }

  /**
   * Ends a trial: its pending metrics and its new state are committed in one transaction, together
   * with its trained model (complete trials only) when that ranks among the sweep's keep_models best.
   */
  async finishTrial(id: number, end: TrialEnd, model?: TrainedModel): Promise<boolean> {
    const token = this.held.get(id);
    if (token === undefined) throw new Error(`cannot finish trial id ${id}: no such queued or running trial`);
    const keepable = end.state === 'complete' && end.value !== null && Number.isFinite(end.value) ? end.value : null;
    const blob = model && keepable !== null ? this.models.encode(model) : undefined;
    const recorded = this.db.transaction((): boolean => {
      this.writePending();
      const changed = this.updateFinished.run({
        token,
        id,
        state: end.state,
        // A complete trial's value is its final sweep metric, a pruned one's the metric where it was
        // stopped; a failed trial has none.
        value: end.state !== 'failed' && end.value !== null && Number.isFinite(end.value) ? end.value : null,
        step: end.step,
        error: end.error ?? null,
        finishedAt: now(),
      }).changes;
      if (changed !== 1) {
        if (this.claimLost(id)) return false;
        throw new Error(`cannot finish trial id ${id}: no such queued or running trial`);
      }
      if (blob) this.models.save(id, keepable!, blob, now());
      return true;
    })();
    this.pending = [];
    this.held.delete(id);
    return recorded;
  }

  async changes(): Promise<LedgerDelta> {
    return this.db.transaction(() => this.readChanges())();
  }

  async claimTrial(request: ClaimRequest): Promise<ClaimedTrial | undefined> {
    const token = randomUUID();
    const claimed = this.db
      .transaction((): ClaimedTrial | undefined => {
        request.sync(this.readChanges());
        const queued = this.db
          .prepare<[], { id: number; number: number; params: string; retries: number }>(
            "SELECT id, number, params, retries FROM trials WHERE state = 'queued' ORDER BY number LIMIT 1",
          )
          .get();
        const number = queued?.number ?? this.db.prepare<[], number>('SELECT coalesce(max(number), -1) + 1 FROM trials').pluck().get()!;
        if (number >= request.total) return undefined;
        const stored = queued ? (JSON.parse(queued.params) as Record<string, unknown>) : undefined;
        const planned = request.plan(number, stored);
        const fields = { params: JSON.stringify(planned.params), config: configText(planned.config), steps: planned.steps };
        let id: number;
        if (queued) {
          id = queued.id;
          this.db
            .prepare(
              `UPDATE trials SET state = 'running', params = @params, config = @config, steps = @steps, claim_token = @token,
                 host = @host, agent = @agent, heartbeat_at = unixepoch('subsec'), revision = ${NEXT_REVISION}
               WHERE id = @id AND state = 'queued'`,
            )
            .run({ id, ...fields, token, ...request.owner });
        } else {
          id = Number(this.insertTrialRow.run({ number, state: 'running', ...fields, queuedAt: now(), token, ...request.owner }).lastInsertRowid);
        }
        return { id, number, params: planned.params, config: planned.config, steps: planned.steps, retried: (queued?.retries ?? 0) > 0 };
      })
      .immediate();
    if (claimed) {
      this.dropPending(claimed.id);
      this.held.set(claimed.id, token);
    }
    return claimed;
  }

  async importTrial(trial: TrialSummary, metrics: readonly CurvePoint[], model?: ModelBlob): Promise<void> {
    this.db.transaction(() => {
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO trials (number, state, value, params, config, step, steps, worker, backend, error, queued_at, started_at, finished_at,
               host, agent, retries, revision)
             VALUES (@number, @state, @value, @params, @config, @step, @steps, @worker, @backend, @error, @queuedAt, @startedAt, @finishedAt,
               @host, @agent, @retries, ${NEXT_REVISION})`,
          )
          .run({
            ...trial,
            // A trial that was running where it came from is queued here: no one runs it.
            state: trial.state === 'running' ? 'queued' : trial.state,
            params: JSON.stringify(trial.params),
            config: configText(trial.config),
          }).lastInsertRowid,
      );
      const insert = this.db.prepare<[number, number, string, number | null]>('INSERT INTO metrics (trial_id, step, name, value) VALUES (?, ?, ?, ?)');
      for (const point of metrics) insert.run(id, point.step, point.name, point.value);
      if (model) this.db.prepare('INSERT INTO models (trial_id, format, data, saved_at) VALUES (?, ?, ?, ?)').run(id, model.format, model.data, model.savedAt);
    })();
  }

  async heartbeat(): Promise<void> {
    const beat = this.db.prepare<[number, string]>("UPDATE trials SET heartbeat_at = unixepoch('subsec') WHERE id = ? AND claim_token = ?");
    this.db.transaction(() => {
      for (const [id, token] of this.held) beat.run(id, token);
    })();
  }

  /**
   * Puts a trial that was stopped part-way back to 'queued', dropping what it had recorded,
   * so the next run of the sweep trains it again from the start.
   */
  async requeueTrial(id: number): Promise<void> {
    const token = this.held.get(id);
    if (token !== undefined && this.claimLost(id)) {
      // Another process already put it back (and perhaps runs it): nothing of ours to undo.
      this.held.delete(id);
      this.dropPending(id);
      return;
    }
    this.db.transaction(() => this.reset(id, { replace: 0, params: '{}', config: null, steps: 0, token: null, retry: 1 }))();
    this.dropPending(id);
    this.held.delete(id);
  }

  /** Writes every buffered metric in one transaction. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    this.db.transaction(() => this.writePending())();
    // Cleared only after the commit: a failed flush keeps the rows for the next attempt.
    this.pending = [];
  }

  /** Flushes, gives up the writer claim and closes the connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      try {
        releaseWriter(this.db, this.lockKey);
      } catch {
        // Could not clear the record (disk full?): the next writer finds this process gone and takes over.
      }
      closeConnection(this.db);
    }
  }

  /** Forgets buffered metrics of a trial that starts over (called after the reset committed). */
  private dropPending(id: number): void {
    if (this.pending.some((row) => row.trialId === id)) this.pending = this.pending.filter((row) => row.trialId !== id);
  }

  /** Whether trial `id`, which this store held, now carries another claim (or none): it was taken over. */
  private claimLost(id: number): boolean {
    const token = this.held.get(id);
    const current = this.db.prepare<[number], { claim_token: string | null }>('SELECT claim_token FROM trials WHERE id = ?').get(id);
    return token !== undefined && current !== undefined && current.claim_token !== token;
  }

  /** Trials whose revision is past the last one reported, and their sweep-metric curves. Call inside a transaction. */
  private readChanges(): LedgerDelta {
    const rows = this.db
      .prepare<[number], { id: number; number: number; state: TrialState; params: string; value: number | null; step: number | null; revision: number }>(
        'SELECT id, number, state, params, value, step, revision FROM trials WHERE revision > ? ORDER BY number',
      )
      .all(this.revisionSeen);
    const trials: StoredTrial[] = rows.map((row) => ({ number: row.number, state: row.state, params: JSON.parse(row.params) as Record<string, unknown>, value: row.value, step: row.step }));
    const points: MetricPoint[] = [];
    if (rows.length > 0) {
      const curve = this.db.prepare<[number, string], { step: number; value: number | null }>('SELECT step, value FROM metrics WHERE trial_id = ? AND name = ? ORDER BY step');
      for (const row of rows) for (const point of curve.all(row.id, this.record.metricName)) points.push({ number: row.number, ...point });
      this.revisionSeen = Math.max(this.revisionSeen, ...rows.map((row) => row.revision));
    }
    return { trials, points };
  }

  private reset(id: number, fields: { replace: 0 | 1; params: string; config: string | null; steps: number; token: string | null; retry: 0 | 1 }): void {
    this.deleteMetrics.run(id);
    const changed = this.resetTrialRow.run({ id, ...fields, queuedAt: now() }).changes;
    if (changed !== 1) throw new Error(`cannot requeue trial id ${id}: no such queued or running trial`);
  }

  /** The body of flush, for use inside a transaction. */
  private writePending(): void {
    const lastStep = new Map<number, number>();
    for (const row of this.pending) {
      const token = this.held.get(row.trialId);
      if (token === undefined) continue;
      this.upsertMetric.run(row.trialId, row.step, row.name, row.value, row.trialId, token);
      lastStep.set(row.trialId, Math.max(lastStep.get(row.trialId) ?? row.step, row.step));
    }
    for (const [id, step] of lastStep) this.advanceStep.run(step, id, this.held.get(id)!);
  }
}

/**
 * Closes a write connection and leaves the DB as one self-contained file when no one else has it
 * open: the WAL is checkpointed and the journal switched back from WAL, so copies of the .db file
 * are complete and read-only readers create no -wal/-shm files. Both steps are best effort: with
 * another connection open (a reader watching) the DB simply stays in WAL mode.
 */
export function closeConnection(db: Database.Database): void {
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
  } catch {
    // Another connection holds the DB: it stays in WAL mode, which is just as consistent.
  }
  db.close();
}

/** A trial's configuration as stored: SQL NULL (not the text 'null') when there is none, e.g. one that failed to resolve. */
function configText(config: unknown): string | null {
  return config === null || config === undefined ? null : JSON.stringify(config);
}
