// Memory stays flat over a long sweep: 10 000 trials through the real orchestrator, with the heap
// (after a forced GC) and the process RSS (workers and their wasm memory included) compared between
// the first quarter and the end. A leak of one tensor, listener or buffer per trial shows up here.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/sweep-text.js';

describe('a 10 000-trial sweep', () => {
  it('finishes every trial with flat memory', async () => {
    const db = join(tempDir(), 'many.db');
    // Asynchronously: a synchronous spawn would block this test worker's event loop for over a
    // minute, and vitest's RPC to it times out ("Timeout calling onTaskUpdate").
    const run = await promisify(execFile)(process.execPath, ['--expose-gc', 'test/fixtures/many-trials.mjs', '10000', db], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 64 << 20,
    });
    const { counts, samples } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      counts: { complete: number; failed: number };
      samples: { finished: number; heap: number; rss: number }[];
    };
    expect(counts).toMatchObject({ complete: 10000, failed: 0 });
    const [quarter, end] = samples as [(typeof samples)[0], (typeof samples)[0]];
    const MB = 1024 * 1024;
    // The orchestrator keeps one small history record per trial on purpose (TPE reads it): ~0.5 KB
    // each, so 7 500 more trials may add ~4 MB; a leak of anything per-trial tensor-sized would not fit.
    expect((end.heap - quarter.heap) / MB).toBeLessThan(8);
    expect((end.rss - quarter.rss) / MB).toBeLessThan(64);
  }, 600_000);
});
