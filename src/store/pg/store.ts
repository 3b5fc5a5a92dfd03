// The writer's side of one sweep in PostgreSQL, for `run --db postgresql://…` and `agent`: many
// processes on many machines write the same sweep. A claim locks the sweep's row (so claims are
// serialised and the planner asked inside one sees every earlier claim), every later write carries
// the claim token, and metrics are buffered and written in batches, as in the SQLite store.
import { randomUUID } from 'node:crypto';
import { MODEL_FORMAT, encodeModel } from '../../artifacts/blob.js';
import type { TrainedModel } from '../../train/model.js';
import { keepModelsOf, type KeepModels } from '../models.js';
import type { SweepRecord } from '../open.js';
import type { CurvePoint, TrialState, TrialSummary } from '../read.js';
import type { ModelBlob } from '../models.js';
import { bestFirst } from '../schema.js';
import type { ClaimRequest, ClaimedTrial, LedgerDelta, Liveness, MetricPoint, StoredTrial, SweepStore, TrialEnd } from '../types.js';
import { FLUSH_ROWS } from '../write.js';
import type { PgConnection, Query } from './connection.js';
import { SERVER_NOW, TX_REVISION } from './schema.js';

const now = (): string => new Date().toISOString();

interface MetricRow {
  trialId: number;
  step: number;
  name: string;
  value: number | null;
}

export class PgSweepStore implements SweepStore {
  readonly location: string;
  private pending: MetricRow[] = [];
  private readonly held = new Map<number, string>();
  /** The transaction-id horizon of the last changes() read: rows written at or after it are read again. */
  private horizon = '0';
  private readonly keep: KeepModels;
  private closed = false;

  constructor(
    private readonly connection: PgConnection,
    private readonly sweepId: number,
    private readonly record: SweepRecord,
    private readonly liveness: Liveness,
  ) {
    this.location = connection.shown;
    this.keep = keepModelsOf(record);
  }

  sweep(): SweepRecord {
    return { ...this.record };
  }

  async trialRecords(): Promise<StoredTrial[]> {
    return this.connection.run(async (query) => {
      this.horizon = await horizonNow(query);
      const rows = await query<TrialRow>('SELECT id, number, state, params, value, step FROM trials WHERE sweep_id = $1 ORDER BY number', [this.sweepId]);
      return rows.map(storedTrial);
    });
  }

  async metricPoints(name: string): Promise<MetricPoint[]> {
    return this.connection.run((query) =>
      query<MetricPoint>(
        `SELECT t.number, m.step, m.value FROM metrics m JOIN trials t ON t.id = m.trial_id
         WHERE t.sweep_id = $1 AND m.name = $2 ORDER BY t.number, m.step`,
        [this.sweepId, name],
      ),
    );
  }

  async best(): Promise<{ number: number; value: number } | null> {
    const rows = await this.connection.run((query) =>
      query<{ number: number; value: number }>(
        `SELECT number, value FROM trials WHERE sweep_id = $1 AND state = 'complete' AND value IS NOT NULL
         ORDER BY value ${bestFirst(this.record.metricGoal)}, number LIMIT 1`,
        [this.sweepId],
      ),
    );
    return rows[0] ?? null;
  }

  async changes(): Promise<LedgerDelta> {
    return this.connection.run((query) => this.readChanges(query));
  }

  async claimTrial(request: ClaimRequest): Promise<ClaimedTrial | undefined> {
    const token = randomUUID();
    const claimed = await this.connection.transaction(async (query): Promise<ClaimedTrial | undefined> => {
      // The sweep's row lock serialises claims: the trial numbers and the planner's view of every
      // earlier claim are decided by one agent at a time (the rest of the sweep's writes go on).
      await query('SELECT id FROM sweeps WHERE id = $1 FOR UPDATE', [this.sweepId]);
      await this.requeueStale(query);
      request.sync(await this.readChanges(query));
      const queued = await query<{ id: number; number: number; params: string; retries: number }>(
        `SELECT id, number, params, retries FROM trials WHERE sweep_id = $1 AND state = 'queued'
         ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [this.sweepId],
      );
      const row = queued[0];
      const number = row?.number ?? Number((await query<{ next: number }>('SELECT coalesce(max(number), -1) + 1 AS next FROM trials WHERE sweep_id = $1', [this.sweepId]))[0]!.next);
      if (number >= request.total) return undefined;
      const planned = request.plan(number, row ? (JSON.parse(row.params) as Record<string, unknown>) : undefined);
      const params = JSON.stringify(planned.params);
      const config = planned.config === null || planned.config === undefined ? null : JSON.stringify(planned.config);
      let id: number;
      if (row) {
        id = row.id;
        await query(
          `UPDATE trials SET state = 'running', params = $2, config = $3, steps = $4, claim_token = $5, host = $6, agent = $7,
             heartbeat_at = ${SERVER_NOW}, revision = ${TX_REVISION}
           WHERE id = $1`,
          [id, params, config, planned.steps, token, request.owner.host, request.owner.agent],
        );
      } else {
        const inserted = await query<{ id: number }>(
          `INSERT INTO trials (sweep_id, number, state, params, config, steps, queued_at, claim_token, host, agent, heartbeat_at, revision)
           VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9, ${SERVER_NOW}, ${TX_REVISION}) RETURNING id`,
          [this.sweepId, number, params, config, planned.steps, now(), token, request.owner.host, request.owner.agent],
        );
        id = inserted[0]!.id;
      }
      return { id, number, params: planned.params, config: planned.config, steps: planned.steps, retried: (row?.retries ?? 0) > 0 };
    });
    if (claimed) {
      this.dropPending(claimed.id);
      this.held.set(claimed.id, token);
    }
    return claimed;
  }

  async markRunning(id: number, worker: number, backend: string): Promise<void> {
    const token = this.tokenOf(id, 'mark running');
    await this.connection.run((query) =>
      query(
        `UPDATE trials SET worker = $2, backend = $3, started_at = $4, step = 0, heartbeat_at = ${SERVER_NOW}, revision = ${TX_REVISION}
         WHERE id = $1 AND state = 'running' AND claim_token = $5`,
        [id, worker, backend, now(), token],
      ),
    );
  }

  async addMetrics(id: number, step: number, values: Record<string, number>): Promise<void> {
    if (!this.held.has(id)) throw new Error(`metrics for trial id ${id}, which this store did not claim`);
    for (const [name, value] of Object.entries(values)) this.pending.push({ trialId: id, step, name, value: Number.isFinite(value) ? value : null });
    if (this.pending.length >= FLUSH_ROWS) await this.flush();
  }

  async finishTrial(id: number, end: TrialEnd, model?: TrainedModel): Promise<boolean> {
    const token = this.tokenOf(id, 'finish');
    const keepable = end.state === 'complete' && end.value !== null && Number.isFinite(end.value) ? end.value : null;
    const blob = model && keepable !== null && this.keep !== 0 ? encodeModel(model) : undefined;
    const rows = this.takePending();
    try {
      const value = end.state !== 'failed' && end.value !== null && Number.isFinite(end.value) ? end.value : null;
      // The finished row keeps its claim token: a retry after a COMMIT whose reply was lost (the
      // connection dropped) finds its own result already there, instead of a claim taken back.
      const recorded = await this.connection.transaction(async (query) => {
        await this.writeMetrics(query, rows);
        const changed = await query(
          `UPDATE trials SET state = $2, value = $3, step = $4, error = $5, finished_at = $6, revision = ${TX_REVISION}
           WHERE id = $1 AND state = 'running' AND claim_token = $7 RETURNING number`,
          [id, end.state, value, end.step, end.error ?? null, now(), token],
        );
        if (changed.length === 1) {
          if (blob) await this.keepModel(query, id, changed[0]!.number as number, keepable!, blob);
          return true;
        }
        // Not running under our claim: either this is the retry of our own committed finish (the
        // same end, under our token; its model was kept in that transaction), or the claim was taken back.
        const mine = await query<{ state: string; value: number | null; step: number | null }>(
          'SELECT state, value, step FROM trials WHERE id = $1 AND claim_token = $2',
          [id, token],
        );
        const row = mine[0];
        return row !== undefined && row.state === end.state && row.value === value && row.step === end.step;
      });
      this.held.delete(id);
      return recorded;
    } catch (error) {
      // Not written: the rows wait for the next attempt.
      this.pending = [...rows, ...this.pending];
      throw error;
    }
  }

  async requeueTrial(id: number): Promise<void> {
    const token = this.held.get(id);
    this.dropPending(id);
    this.held.delete(id);
    if (token === undefined) return;
    await this.connection.transaction(async (query) => {
      const reset = await query(
        `UPDATE trials SET state = 'queued', value = NULL, step = NULL, worker = NULL, backend = NULL, error = NULL, started_at = NULL,
           finished_at = NULL, claim_token = NULL, host = NULL, agent = NULL, retries = retries + 1, queued_at = $3, revision = ${TX_REVISION}
         WHERE id = $1 AND state = 'running' AND claim_token = $2 RETURNING id`,
        [id, token, now()],
      );
      if (reset.length === 1) await query('DELETE FROM metrics WHERE trial_id = $1', [id]);
    });
  }

  async importTrial(trial: TrialSummary, metrics: readonly CurvePoint[], model?: ModelBlob): Promise<void> {
    await this.connection.transaction(async (query) => {
      const [row] = await query<{ id: number }>(
        `INSERT INTO trials (sweep_id, number, state, value, params, config, step, steps, worker, backend, error, queued_at, started_at,
           finished_at, host, agent, retries, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, ${TX_REVISION}) RETURNING id`,
        [
          this.sweepId, trial.number, trial.state === 'running' ? 'queued' : trial.state, trial.value, JSON.stringify(trial.params),
          trial.config === null || trial.config === undefined ? null : JSON.stringify(trial.config), trial.step, trial.steps, trial.worker,
          trial.backend, trial.error, trial.queuedAt, trial.startedAt, trial.finishedAt, trial.host, trial.agent, trial.retries,
        ],
      );
      if (metrics.length > 0) {
        await query(
          'INSERT INTO metrics (trial_id, step, name, value) SELECT $1, * FROM unnest($2::int[], $3::text[], $4::float8[])',
          [row!.id, metrics.map((m) => m.step), metrics.map((m) => m.name), metrics.map((m) => m.value)],
        );
      }
      if (model) {
        await query('INSERT INTO models (trial_id, format, data, saved_at) VALUES ($1, $2, $3, $4)', [
          row!.id, model.format, Buffer.from(model.data.buffer, model.data.byteOffset, model.data.byteLength), model.savedAt,
        ]);
      }
    });
  }

  async heartbeat(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = [...this.held.keys()];
    const tokens = ids.map((id) => this.held.get(id)!);
    await this.connection.run((query) =>
      query(
        `UPDATE trials t SET heartbeat_at = ${SERVER_NOW} FROM unnest($1::int[], $2::text[]) AS h(id, token)
         WHERE t.id = h.id AND t.claim_token = h.token`,
        [ids, tokens],
      ),
    );
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const rows = this.takePending();
    try {
      await this.connection.transaction((query) => this.writeMetrics(query, rows));
    } catch (error) {
      this.pending = [...rows, ...this.pending];
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.connection.close();
    }
  }

  private tokenOf(id: number, what: string): string {
    const token = this.held.get(id);
    if (token === undefined) throw new Error(`cannot ${what} trial id ${id}: no such queued or running trial`);
    return token;
  }

  private takePending(): MetricRow[] {
    const rows = this.pending;
    this.pending = [];
    return rows;
  }

  private dropPending(id: number): void {
    if (this.pending.some((row) => row.trialId === id)) this.pending = this.pending.filter((row) => row.trialId !== id);
  }

  /** One INSERT for the whole batch; rows of trials whose claim was taken over are left out by the join. */
  private async writeMetrics(query: Query, rows: readonly MetricRow[]): Promise<void> {
    // The same (trial, name, step) twice in one INSERT … ON CONFLICT is an error: the latest wins here.
    const latest = new Map<string, MetricRow>();
    for (const row of rows) if (this.held.has(row.trialId)) latest.set(`${row.trialId}\u0000${row.name}\u0000${row.step}`, row);
    if (latest.size === 0) return;
    const batch = [...latest.values()];
    const tokens = batch.map((row) => this.held.get(row.trialId)!);
    await query(
      `INSERT INTO metrics (trial_id, step, name, value)
       SELECT m.trial_id, m.step, m.name, m.value
       FROM unnest($1::int[], $2::int[], $3::text[], $4::float8[], $5::text[]) AS m(trial_id, step, name, value, token)
       JOIN trials t ON t.id = m.trial_id AND t.claim_token = m.token
       ON CONFLICT (trial_id, name, step) DO UPDATE SET value = excluded.value`,
      [batch.map((r) => r.trialId), batch.map((r) => r.step), batch.map((r) => r.name), batch.map((r) => r.value), tokens],
    );
    const lastStep = new Map<number, number>();
    for (const row of batch) lastStep.set(row.trialId, Math.max(lastStep.get(row.trialId) ?? row.step, row.step));
    const ids = [...lastStep.keys()];
    await query(
      `UPDATE trials t SET step = GREATEST(coalesce(t.step, 0), s.step), revision = ${TX_REVISION}
       FROM unnest($1::int[], $2::int[], $3::text[]) AS s(id, step, token)
       WHERE t.id = s.id AND t.state = 'running' AND t.claim_token = s.token`,
      [ids, ids.map((id) => lastStep.get(id)!), ids.map((id) => this.held.get(id)!)],
    );
  }

  /** Trials whose agent missed its heartbeats for the grace period go back to the queue, counted as retried. */
  private async requeueStale(query: Query): Promise<void> {
    const stale = await query<{ id: number }>(
      `UPDATE trials SET state = 'queued', value = NULL, step = NULL, worker = NULL, backend = NULL, error = NULL, started_at = NULL,
         finished_at = NULL, claim_token = NULL, host = NULL, agent = NULL, retries = retries + 1, revision = ${TX_REVISION}
       WHERE sweep_id = $1 AND state = 'running' AND heartbeat_at < ${SERVER_NOW} - $2 RETURNING id`,
      [this.sweepId, this.liveness.graceSeconds],
    );
    if (stale.length > 0) await query('DELETE FROM metrics WHERE trial_id = ANY($1::int[])', [stale.map((s) => s.id)]);
  }

  /**
   * Trials written since the last read, with their sweep-metric curves. A row's revision is the id
   * of the transaction that wrote it; the horizon is the oldest transaction still running when we
   * read, so a transaction that commits after our read (with an older id) is still seen next time.
   */
  private async readChanges(query: Query): Promise<LedgerDelta> {
    const horizon = await horizonNow(query);
    const rows = await query<TrialRow>(
      'SELECT id, number, state, params, value, step FROM trials WHERE sweep_id = $1 AND revision >= $2 ORDER BY number',
      [this.sweepId, this.horizon],
    );
    this.horizon = horizon;
    if (rows.length === 0) return { trials: [], points: [] };
    const points = await query<MetricPoint>(
      `SELECT t.number, m.step, m.value FROM metrics m JOIN trials t ON t.id = m.trial_id
       WHERE m.trial_id = ANY($1::int[]) AND m.name = $2 ORDER BY t.number, m.step`,
      [rows.map((r) => r.id), this.record.metricName],
    );
    return { trials: rows.map(storedTrial), points };
  }

  /** The keep_models policy (as store/models.ts's ModelKeeper), inside finishTrial's transaction. */
  private async keepModel(query: Query, trialId: number, number: number, value: number, data: Uint8Array): Promise<void> {
    const better = this.record.metricGoal === 'maximize' ? '>' : '<';
    if (this.keep !== 'all') {
      const ahead = await query<{ n: number }>(
        `SELECT count(*)::int AS n FROM models m JOIN trials t ON t.id = m.trial_id
         WHERE t.sweep_id = $1 AND (t.value ${better} $2 OR (t.value = $2 AND t.number < $3))`,
        [this.sweepId, value, number],
      );
      if (ahead[0]!.n >= this.keep) return;
    }
    await query(
      `INSERT INTO models (trial_id, format, data, saved_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (trial_id) DO UPDATE SET format = excluded.format, data = excluded.data, saved_at = excluded.saved_at`,
      [trialId, MODEL_FORMAT, Buffer.from(data.buffer, data.byteOffset, data.byteLength), now()],
    );
    if (this.keep !== 'all') {
      await query(
        `DELETE FROM models WHERE trial_id IN (
           SELECT m.trial_id FROM models m JOIN trials t ON t.id = m.trial_id WHERE t.sweep_id = $1
           ORDER BY t.value ${bestFirst(this.record.metricGoal)}, t.number OFFSET $2)`,
        [this.sweepId, this.keep],
      );
    }
  }
}

interface TrialRow {
  id: number;
  number: number;
  state: TrialState;
  params: string;
  value: number | null;
  step: number | null;
}

function storedTrial(row: TrialRow): StoredTrial {
  return { number: row.number, state: row.state, params: JSON.parse(row.params) as Record<string, unknown>, value: row.value, step: row.step };
}

async function horizonNow(query: Query): Promise<string> {
  return (await query<{ horizon: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon'))[0]!.horizon;
}
