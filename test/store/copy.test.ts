// copySweep into a SQLite file: a new file gets the whole sweep; a file that already holds trials,
// or the source itself, is refused byte for byte unchanged (opening a writer would migrate it and
// requeue its running trials).
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StoreError, openReadStore, openWriteStore } from '../../src/store/index.js';
import { copySweep } from '../../src/store/copy.js';
import { sweepRecord, tempDbPath } from './fixtures.js';

async function sourceDb(): Promise<string> {
  const dbPath = tempDbPath();
  const store = await openWriteStore(dbPath, sweepRecord());
  for (let number = 0; number < 3; number++) {
    const id = await store.insertTrial({ number, params: { 'model.width': 8 * (number + 1) }, config: null, steps: 10 });
    await store.markRunning(id, 1, 'wasm');
    await store.addMetrics(id, 10, { rel_l1: 0.1 * (number + 1) });
    // The last one stays running: a destination holding it must not have it requeued by a refused copy.
    if (number < 2) await store.finishTrial(id, { state: 'complete', value: 0.1 * (number + 1), step: 10 });
  }
  await store.flush();
  await store.close();
  return dbPath;
}

const hash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('copySweep into a SQLite file', () => {
  it('copies every trial and metric point into a new file', async () => {
    const source = await sourceDb();
    const destination = tempDbPath();
    const copied = await copySweep(source, destination);
    expect(copied).toMatchObject({ sweep: sweepRecord().name, trials: 3, metrics: 3 });
    const reader = await openReadStore(destination);
    expect((await reader.trials()).map((t) => [t.number, t.value])).toEqual([[0, 0.1], [1, 0.2], [2, null]]);
    await reader.close();
  });

  it('refuses a destination that already holds trials, and the source itself, leaving both unchanged', async () => {
    const source = await sourceDb();
    const destination = tempDbPath();
    await copySweep(source, destination);
    const before = [hash(source), hash(destination)];
    const again = copySweep(source, destination);
    await expect(again).rejects.toBeInstanceOf(StoreError);
    await expect(copySweep(source, destination)).rejects.toThrow(`${destination} already holds 3 trials of sweep "${sweepRecord().name}"; nothing was written to it`);
    await expect(copySweep(source, source)).rejects.toThrow(`${source} is the source itself`);
    expect([hash(source), hash(destination)]).toEqual(before);
  });
});
