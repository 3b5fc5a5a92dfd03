// Export rows (one per trial, flattened params and final metrics) and their CSV form.
import { describe, expect, it } from 'vitest';
import { exportRows, openReadStore, openWriteStore, toCsv } from '../../src/store/index.js';
import { sweepRecord, tempDbPath } from './fixtures.js';

async function exportedSweep(): ReturnType<typeof exportRows> {
  const dbPath = tempDbPath();
  const store = await openWriteStore(dbPath, sweepRecord());
  const first = await store.insertTrial({
    number: 0,
    params: { features: 'log, "scaled"', 'model.width': 16, 'model.layers': [8, 8], 'training.decay': true },
    config: {},
    steps: 20,
  });
  await store.markRunning(first, 2, 'wasm');
  await store.addMetrics(first, 10, { rel_l1: 0.5, train_loss: 3 });
  await store.addMetrics(first, 20, { rel_l1: 0.25, train_loss: 1 });
  await store.finishTrial(first, { state: 'complete', value: 0.25, step: 20 });
  // A trial with a parameter the first one lacks, and a multi-line error.
  const second = await store.insertTrial({ number: 1, params: { features: 'raw', 'model.width': 32, 'training.lr': 0.1 }, config: null, steps: 20 });
  await store.finishTrial(second, { state: 'failed', value: null, step: 0, error: 'bad config:\nwidth, "32" too wide' });
  await store.close();
  const reader = await openReadStore(dbPath);
  const rows = await exportRows(reader);
  await reader.close();
  return rows;
}

describe('exportRows', () => {
  it('gives every trial every column, in a stable order', async () => {
    const rows = await exportedSweep();
    expect(rows).toHaveLength(2);
    const columns = [
      'number',
      'state',
      'value',
      'param.features',
      'param.model.width',
      'param.model.layers',
      'param.training.decay',
      'param.training.lr',
      'metric.rel_l1',
      'metric.train_loss',
      'step',
      'backend',
      'worker',
      'error',
      'started_at',
      'finished_at',
      'duration_s',
    ];
    expect(rows.map((row) => Object.keys(row))).toEqual([columns, columns]);
    expect(rows[0]).toMatchObject({
      number: 0,
      state: 'complete',
      value: 0.25,
      'param.features': 'log, "scaled"',
      'param.model.width': 16,
      'param.model.layers': '[8,8]',
      'param.training.decay': 'true',
      'param.training.lr': null,
      'metric.rel_l1': 0.25,
      'metric.train_loss': 1,
      step: 20,
      backend: 'wasm',
      worker: 2,
      error: null,
    });
    const duration = rows[0]?.duration_s;
    expect(typeof duration).toBe('number');
    expect(duration).toBeGreaterThanOrEqual(0);
    expect(rows[1]).toMatchObject({ number: 1, state: 'failed', value: null, 'param.training.lr': 0.1, 'metric.rel_l1': null, started_at: null, duration_s: null });
  });
});

describe('toCsv', () => {
  it('quotes commas, quotes and newlines (RFC 4180) and leaves other fields bare', async () => {
    const csv = toCsv([{ a: 'plain', b: 'x,y', c: 'say "hi"', d: 'two\nlines', e: 1.5, f: null, g: 'cr\r' }]);
    expect(csv).toBe('a,b,c,d,e,f,g\r\nplain,"x,y","say ""hi""","two\nlines",1.5,,"cr\r"\r\n');
  });

  it('writes the union of the columns of all rows, in a stable order', async () => {
    const csv = toCsv([
      { number: 0, 'param.a': 1, duration_s: 2 },
      { number: 1, 'param.b': 'x', 'metric.m': 0.5, extra: 'e', state: 'complete' },
    ]);
    expect(csv.split('\r\n')).toEqual(['number,state,param.a,param.b,metric.m,duration_s,extra', '0,,1,,,2,', '1,complete,,x,0.5,,e', '']);
  });

  it('round-trips an exported sweep through a CSV parser', async () => {
    const rows = await exportedSweep();
    const parsed = parseCsv(toCsv(rows));
    expect(parsed[0]).toEqual(Object.keys(rows[0] ?? {}));
    expect(parsed).toHaveLength(3);
    const [header = [], , failed = []] = parsed;
    expect(failed[header.indexOf('error')]).toBe('bad config:\nwidth, "32" too wide');
    expect(parsed[1]?.[header.indexOf('param.features')]).toBe('log, "scaled"');
  });
});

/** A strict RFC 4180 parser, to check the output independently of how it was produced. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += char;
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}
