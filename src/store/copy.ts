// `sweepdeck copy SRC DST`: a sweep moved between stores (a SQLite file, a PostgreSQL database)
// with its trials as they were, every metric point and the kept models. The destination must not
// hold trials of that sweep yet; the source is only read.
import { openReadStore, openSweepStore, StoreError } from './open.js';
import type { Liveness } from './types.js';

export interface CopyResult {
  sweep: string;
  trials: number;
  metrics: number;
  models: number;
}

/** Nobody runs trials during a copy: the liveness settings are never used. */
const COPY_LIVENESS: Liveness = { heartbeatSeconds: 3600, graceSeconds: 3600 };

export async function copySweep(source: string, destination: string, options: { sweep?: string } = {}): Promise<CopyResult> {
  const reader = await openReadStore(source, options.sweep !== undefined ? { sweep: options.sweep } : {});
  try {
    const record = reader.sweep();
    const writer = await openSweepStore(destination, record, { liveness: COPY_LIVENESS });
    try {
      if ((await writer.trialRecords()).length > 0) {
        throw new StoreError('different_sweep', writer.location, `${writer.location} already holds trials of sweep "${record.name}"; copy into a new DB (or another database)`);
      }
      const kept = new Set((await reader.keptModels()).map((k) => k.number));
      let metrics = 0;
      // One consistent snapshot of the source, so a sweep being written is copied as of one moment.
      const trials = await reader.consistentRead(() => reader.trials());
      for (const trial of trials) {
        const points = await reader.curve(trial.id);
        metrics += points.length;
        const model = kept.has(trial.number) ? await reader.modelBlob(trial.number) : undefined;
        await writer.importTrial(trial, points, model);
      }
      return { sweep: record.name, trials: trials.length, metrics, models: kept.size };
    } finally {
      await writer.close();
    }
  } finally {
    await reader.close();
  }
}
