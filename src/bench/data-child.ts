// One measurement of the data bench (data.ts), in a process of its own so its peak RSS is its own:
//   node data-child.js load SWEEP    → {loadSeconds, loadPeakRssBytes, readSeconds}: the peak RSS is the process's after the load, before the extra read
//   node data-child.js sweep SWEEP   → {peakRssBytes, sweepSeconds}: a 2-worker wasm run into a temp DB
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSweepFile } from '../spec/load.js';
import { scanTable, readTableInto, sharedColumns } from '../data/read-table.js';
import { openWriteStore } from '../store/index.js';
import { runSweep } from '../run/orchestrator.js';
import { sweepRecord } from '../commands/run.js';

const [mode, sweep] = process.argv.slice(2) as ['load' | 'sweep', string];

if (mode === 'load') {
  const started = performance.now();
  const { spec } = await loadSweepFile(sweep);
  const loadSeconds = (performance.now() - started) / 1000;
  // maxRSS (KiB): the peak resident set so far, i.e. of node, the modules and the load.
  const loadPeakRssBytes = process.resourceUsage().maxRSS * 1024;
  const path = spec.problem.data!.file.path;
  const readStarted = performance.now();
  const scan = scanTable(path, path, 'csv');
  readTableInto(path, path, 'csv', scan.header, sharedColumns(scan.header, scan.rows), 0, scan.rows);
  const readSeconds = (performance.now() - readStarted) / 1000;
  console.log(JSON.stringify({ loadSeconds, loadPeakRssBytes, readSeconds }));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'sweepdeck-bench-data-db-'));
  try {
    const started = performance.now();
    const loaded = await loadSweepFile(sweep);
    const store = await openWriteStore(join(dir, 'bench.db'), sweepRecord(loaded.spec, loaded.source.text));
    await runSweep({ spec: loaded.spec, store, dbPath: join(dir, 'bench.db'), workers: Number(process.env.BENCH_DATA_WORKERS ?? 2), backend: 'wasm', emit: () => {}, table: loaded.table!.table });
    await store.close();
    const sweepSeconds = (performance.now() - started) / 1000;
    // maxRSS: the peak resident set of the whole process (main thread and workers), in KiB.
    console.log(JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024, sweepSeconds }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
