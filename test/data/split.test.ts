// The split of a data problem, at the DataSource: no validation row is ever in a training batch,
// every training row is in each epoch exactly once, in a new order per epoch, for a table small
// enough to be prebuilt and for one built a block at a time.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSweepFile } from '../../src/spec/load.js';
import { resolveTrial } from '../../src/spec/resolve.js';
import { ProblemData } from '../../src/train/data.js';
import { BatchBuilder } from '../../src/problem/dataset.js';
import { tableSource } from '../../src/problem/data-source.js';
import { tempDir } from '../helpers/sweep-text.js';

async function sweepOn(rows: number, validation: string): Promise<{ data: ProblemData; validationIds: Set<number>; trainRows: number }> {
  const dir = tempDir();
  const lines = ['id,x,y'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(i % 97) / 10},${(i % 13) + 1}`);
  writeFileSync(join(dir, 'data.csv'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'sweep.yaml'),
    `name: split
method: grid
metric: { name: l1, goal: minimize }
problem:
  data: { path: data.csv, inputs: [id, x], targets: y }
  validation: ${validation}
features: { raw: [x] }
training: { batch_size: 1000, steps: 10 }
`,
  );
  const { spec, table } = await loadSweepFile(join(dir, 'sweep.yaml'));
  const data = new ProblemData(spec, () => tableSource(spec, table!.table));
  return { data, validationIds: new Set(data.validation.columns.get('id')!), trainRows: table!.table.trainRows };
}

function epochs(data: ProblemData, count: number, batch: number): number[][] {
  const spec = { features: 'raw', input_norm: 'standardize' as const, train: { seed: 1, size: 'stream' as const } };
  const norm = data.norm(spec.features, spec.input_norm, spec.train);
  const builder = new BatchBuilder(data.problem, spec.features, norm, ['id']);
  const next = data.trainBatches(builder, batch, 7, spec.train);
  const trainRows = data.source.training(spec.train).kind === 'finite' ? (data.source.training(spec.train) as { rows: { n: number } }).rows.n : 0;
  const perEpoch = Math.floor(trainRows / batch);
  return Array.from({ length: count }, () => Array.from({ length: perEpoch }, () => [...next().columns.get('id')!]).flat());
}

describe('a data problem split into training and validation rows', () => {
  for (const [what, rows] of [
    ['prebuilt (small table)', 5000],
    ['built a block at a time (large table)', 150_000],
  ] as const) {
    it(`never trains on a validation row, and covers every training row once per epoch: ${what}`, async () => {
      const { data, validationIds, trainRows } = await sweepOn(rows, '{ fraction: 0.25, seed: 3 }');
      expect(validationIds.size).toBe(Math.round(rows * 0.25));
      expect(trainRows + validationIds.size).toBe(rows);
      const seen = epochs(data, 3, 1000);
      for (const epoch of seen) {
        expect(epoch.some((id) => validationIds.has(id))).toBe(false);
        // drop_last: a remainder smaller than a batch is not trained on in that epoch.
        expect(new Set(epoch).size).toBe(epoch.length);
        expect(epoch.length).toBe(Math.floor(trainRows / 1000) * 1000);
      }
      expect(seen[0]).not.toEqual(seen[1]);
    }, 60_000);
  }

  it('holds out exactly the rows a validation column marks', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.csv'), 'id,x,y,held\n' + Array.from({ length: 300 }, (_, i) => `${i},${i / 10},${i % 7},${i % 3 === 0 ? 1 : 0}`).join('\n') + '\n');
    writeFileSync(
      join(dir, 'sweep.yaml'),
      `name: split\nmethod: grid\nmetric: { name: l1, goal: minimize }\nproblem:\n  data: { path: data.csv, inputs: [id, x], targets: y }\n  validation: { column: held }\nfeatures: { raw: [x] }\ntraining: { batch_size: 50, steps: 10 }\n`,
    );
    const { spec, table } = await loadSweepFile(join(dir, 'sweep.yaml'));
    const data = new ProblemData(spec, () => tableSource(spec, table!.table));
    expect([...data.validation.columns.get('id')!]).toEqual(Array.from({ length: 100 }, (_, i) => i * 3));
    expect(resolveTrial(spec, 0, {}).ok).toBe(true);
    for (const epoch of epochs(data, 2, 50)) expect(epoch.every((id) => id % 3 !== 0)).toBe(true);
  });
});
