// Kept trained models (the `models` table, schema version 2): the keep policy's SQL for the writer,
// and the queries readers use. A model is stored only for a complete trial, and only while that
// trial is among the best `keep_models` complete trials that have one.
import type Database from 'better-sqlite3';
import { blobFormat, encodeModel } from '../artifacts/blob.js';
import type { TrainedModel } from '../train/model.js';
import type { SweepRecord } from './open.js';
import { bestFirst } from './schema.js';

/** `keep_models` when the sweep file does not say. */
export const DEFAULT_KEEP_MODELS = 5;

export type KeepModels = number | 'all';

/** The keep policy of a stored sweep (its normalised spec carries `keepModels` when the file set `keep_models`). */
export function keepModelsOf(record: SweepRecord): KeepModels {
  const keep = (JSON.parse(record.specJson) as { keepModels?: unknown }).keepModels;
  return keep === 'all' || (typeof keep === 'number' && Number.isInteger(keep) && keep >= 0) ? keep : DEFAULT_KEEP_MODELS;
}

/** What a reader learns about a kept model without loading it. */
export interface KeptModel {
  /** The trial's number (its plan index). */
  number: number;
  trialId: number;
  /** The sweep metric of the trial. */
  value: number;
  /** The blob's format version (src/artifacts/blob.ts). */
  format: number;
  bytes: number;
  savedAt: string;
}

export interface ModelBlob {
  format: number;
  data: Uint8Array;
  savedAt: string;
}

/**
 * The writer's side: runs inside finishTrial's transaction, so a model that enters the top K and
 * the one it pushes out change together, or (on any failure) not at all.
 */
export class ModelKeeper {
  private readonly countBetter;
  private readonly insert;
  private readonly dropBeyond;

  constructor(
    db: Database.Database,
    record: SweepRecord,
    private readonly keep: KeepModels,
  ) {
    // Ranking: the sweep's goal, ties to the lower trial number (as `best` orders them).
    const better = record.metricGoal === 'maximize' ? '>' : '<';
    this.countBetter = db.prepare<[{ value: number; trialId: number }], number>(
      `SELECT count(*) FROM models m JOIN trials t ON t.id = m.trial_id
       WHERE t.value ${better} @value OR (t.value = @value AND t.number < (SELECT number FROM trials WHERE id = @trialId))`,
    ).pluck();
    this.insert = db.prepare<[{ trialId: number; format: number; data: Uint8Array; savedAt: string }]>(
      'INSERT OR REPLACE INTO models (trial_id, format, data, saved_at) VALUES (@trialId, @format, @data, @savedAt)',
    );
    this.dropBeyond = db.prepare<[number]>(
      `DELETE FROM models WHERE trial_id IN (
         SELECT m.trial_id FROM models m JOIN trials t ON t.id = m.trial_id
         ORDER BY t.value ${bestFirst(record.metricGoal)}, t.number LIMIT -1 OFFSET ?)`,
    );
  }

  /** Encodes outside any transaction (the slow part), so the write lock is held only for the writes. */
  encode(model: TrainedModel): Uint8Array {
    return encodeModel(model);
  }

  /** Keeps trial `trialId`'s model if it ranks among the best K, and drops whatever it pushes out. Call inside a transaction. */
  save(trialId: number, value: number, data: Uint8Array, savedAt: string): void {
    if (this.keep === 0) return;
    if (this.keep !== 'all' && this.countBetter.get({ value, trialId })! >= this.keep) return;
    this.insert.run({ trialId, format: blobFormat(data), data, savedAt });
    if (this.keep !== 'all') this.dropBeyond.run(this.keep);
  }
}

/** The readers' side; a DB of schema version 1 has no models table and so no kept models. */
export class ModelQueries {
  private readonly selectKept;
  private readonly selectBlob;

  constructor(db: Database.Database, record: SweepRecord) {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'models'").get() !== undefined;
    this.selectKept = hasTable
      ? db.prepare<[], { number: number; trialId: number; value: number; format: number; bytes: number; savedAt: string }>(
          `SELECT t.number, t.id AS trialId, t.value, m.format, length(m.data) AS bytes, m.saved_at AS savedAt
           FROM models m JOIN trials t ON t.id = m.trial_id
           ORDER BY t.value ${bestFirst(record.metricGoal)}, t.number`,
        )
      : undefined;
    this.selectBlob = hasTable
      ? db.prepare<[number], { format: number; data: Buffer; savedAt: string }>(
          'SELECT m.format, m.data, m.saved_at AS savedAt FROM models m JOIN trials t ON t.id = m.trial_id WHERE t.number = ?',
        )
      : undefined;
  }

  /** Every kept model, best trial first (metadata only: cheap enough for a dashboard to poll). */
  kept(): KeptModel[] {
    return this.selectKept?.all() ?? [];
  }

  /** The stored blob of trial `number`, or undefined when its model is not kept. */
  blob(number: number): ModelBlob | undefined {
    const row = this.selectBlob?.get(number);
    return row ? { format: row.format, data: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength), savedAt: row.savedAt } : undefined;
  }
}
