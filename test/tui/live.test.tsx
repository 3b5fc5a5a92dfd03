// The live dashboard as run.ts and the bench use it: a reporter drawing into a TTY-like stream.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { SweepEvent } from '../../src/run/events.js';
import { evaluated, finished, recordingTerminal, started, trialStarted } from './fixtures.js';

// In CI (CI=true), ink draws only the last frame, on unmount; these tests are about the frames a
// terminal gets, so they load ink as it runs outside CI (vitest gives each test file its own modules).
let startLiveDashboard: typeof import('../../src/tui/index.js').startLiveDashboard;
let discardingTerminal: typeof import('../../src/tui/index.js').discardingTerminal;
let dashboardSupported: typeof import('../../src/tui/index.js').dashboardSupported;
beforeAll(async () => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  ({ startLiveDashboard, discardingTerminal, dashboardSupported } = await import('../../src/tui/index.js'));
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sweepEvents: SweepEvent[] = [
  started({ total: 2 }),
  trialStarted(0, 1),
  evaluated(0, 20, 0.5),
  finished(0, 'complete', 0.5, { number: 0, value: 0.5 }),
  trialStarted(1, 2),
  finished(1, 'failed', null, { number: 0, value: 0.5 }, 'diverged'),
  { type: 'sweep-finished', counts: { complete: 1, pruned: 0, failed: 1 }, interrupted: 0, best: { number: 0, value: 0.5 }, seconds: 3.2, stopped: false },
];

describe('startLiveDashboard', () => {
  it('draws on the alternate screen, then leaves it and prints the summary lines', async () => {
    const terminal = recordingTerminal(100, 30);
    const printed: string[] = [];
    const dashboard = await startLiveDashboard({ stdout: terminal.stream, onInterrupt: () => {}, print: (l) => printed.push(l), refreshMs: 20 });
    for (const event of sweepEvents) dashboard.emit(event);
    await wait(100);
    expect(terminal.text()).toContain('best: trial 0');
    // without a keyboard, finish does not wait for q
    await dashboard.finish();
    const text = terminal.text();
    expect(text.startsWith('\u001B[?1049h')).toBe(true);
    expect(text.endsWith('\u001B[?1049l')).toBe(true);
    expect(printed).toEqual([
      'sweep smoke: grid, 2 trials, 2 workers, backend wasm → results/smoke.db',
      'done in 3.2s: 1 complete, 0 pruned, 1 failed; best: trial 0, rel_l1=0.5',
    ]);
    const length = text.length;
    dashboard.close();
    expect(terminal.text().length).toBe(length);
  });

  it('q while running asks the caller to stop; the header says stopping', async () => {
    const terminal = recordingTerminal(100, 30);
    const onInterrupt = vi.fn();
    const dashboard = await startLiveDashboard({ stdout: terminal.stream, onInterrupt, print: () => {}, refreshMs: 20 });
    dashboard.emit(started());
    dashboard.stopping();
    await wait(60);
    expect(terminal.text()).toContain('■ stopping…');
    dashboard.close();
  });

  it('costs a reducer step per event, not a frame: 5000 events in a burst draw a handful of frames', async () => {
    const terminal = recordingTerminal(100, 30);
    const dashboard = await startLiveDashboard({ stdout: terminal.stream, onInterrupt: () => {}, print: () => {}, refreshMs: 100 });
    dashboard.emit(started());
    dashboard.emit(trialStarted(0, 1));
    await wait(150);
    const before = terminal.writes();
    const since = Date.now();
    for (let step = 1; step <= 5000; step++) dashboard.emit(evaluated(0, step, 1 / step, 5000));
    while (!terminal.text().includes('5000/5000')) {
      if (Date.now() - since > 5000) throw new Error('the last evaluation was never drawn');
      await wait(20);
    }
    const writes = terminal.writes() - before;
    expect(writes).toBeGreaterThanOrEqual(1);
    // a frame is a few writes (erase + content, synchronized-output brackets), at most one per 100 ms
    expect(writes).toBeLessThanOrEqual(4 * Math.ceil((Date.now() - since) / 100 + 1));
    dashboard.close();
  });

  it('can draw into a terminal that discards its output (for the bench)', async () => {
    const terminal = discardingTerminal({ columns: 120, rows: 40 });
    const dashboard = await startLiveDashboard({ stdout: terminal, onInterrupt: () => {}, print: () => {} , refreshMs: 20 });
    for (const event of sweepEvents) dashboard.emit(event);
    await wait(60);
    await dashboard.finish();
    expect(terminal.bytesWritten).toBeGreaterThan(1000);
  });
});

describe('dashboardSupported', () => {
  it('needs a TTY, not a dumb terminal, not CI', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    expect(dashboardSupported(tty, { TERM: 'xterm-256color' })).toBe(true);
    expect(dashboardSupported({ isTTY: false } as NodeJS.WriteStream, {})).toBe(false);
    expect(dashboardSupported(tty, { TERM: 'dumb' })).toBe(false);
    expect(dashboardSupported(tty, { CI: 'true' })).toBe(false);
    expect(dashboardSupported(tty, { CI: 'false' })).toBe(true);
  });
});
