// `sweepdeck copy SRC DST`: a sweep moved between stores (a SQLite file, a PostgreSQL database)
// with its trials as they were, every metric point and the kept models. The destination must not
// hold trials of that sweep yet; the source is only read.
import fs from 'node:fs';
import { openReadStore, openSweepStore, StoreError } from './open.js';
import { isPostgresUrl } from './pg/connection.js';
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
    if (!isPostgresUrl(destination)) await refuseFilledFile(source, destination, record.name);
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

/**
 * A SQLite destination that already holds trials is refused before a writer opens it: opening one
 * migrates the file and requeues its running trials, and a refused destination must stay as it was.
 * (A file of another sweep, or not ours, or damaged, is refused by openSweepStore without writing.)
 */
async function refuseFilledFile(source: string, destination: string, sweep: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(destination);
  } catch {
    return; // a new file
  }
  if (!isPostgresUrl(source) && stat.isFile()) {
    const sourceStat = fs.statSync(source);
    if (sourceStat.dev === stat.dev && sourceStat.ino === stat.ino) throw new StoreError('different_sweep', destination, `${destination} is the source itself; copy into a new DB`);
  }
  if (!stat.isFile() || stat.size === 0) return;
  let held: number | undefined;
  let same = false;
  try {
    const existing = await openReadStore(destination);
    try {
      same = existing.sweep().name === sweep;
      held = Object.values(await existing.counts()).reduce((a, b) => a + b, 0);
    } finally {
      await existing.close();
    }
  } catch {
    return; // not a results DB (or damaged): openSweepStore refuses it with the precise reason
  }
  if (held > 0) {
    throw new StoreError(
      'different_sweep',
      destination,
      `${destination} already holds ${held} trial${held === 1 ? '' : 's'}${same ? ` of sweep "${sweep}"` : ''}; nothing was written to it: copy into a new DB`,
    );
  }
}
