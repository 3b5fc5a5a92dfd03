// The root component: layout from the state, keys, and rendering at a bounded rate from the store.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { Dashboard, frameClock, quitAction, type FrameClock } from '../../src/tui/components/Dashboard.js';
import { DashboardStore } from '../../src/tui/store.js';
import { emptyState, markStopping } from '../../src/tui/state.js';
import { busySweep, evaluated, started, trialStarted } from './fixtures.js';

const DOWN = '\u001B[B';
const ENTER = '\r';
const ESCAPE = '\u001B';
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let views: ReturnType<typeof render>[] = [];
afterEach(() => {
  for (const view of views) view.unmount();
  views = [];
});

function mount(store: DashboardStore, props: { onQuit?: () => void; onDetails?: (n: number | null) => void; rows?: number; columns?: number } = {}) {
  const view = render(
    <Dashboard
      store={store}
      interactive
      onQuit={props.onQuit ?? (() => {})}
      {...(props.onDetails ? { onDetails: props.onDetails } : {})}
      refreshMs={10}
      size={{ columns: props.columns ?? 100, rows: props.rows ?? 30 }}
    />,
  );
  views.push(view);
  return view;
}

/** Waits until the last frame matches, or fails with that frame. */
async function frameMatching(view: ReturnType<typeof render>, pattern: RegExp, timeoutMs = 2000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = view.lastFrame() ?? '';
    if (pattern.test(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`no frame matched ${pattern}; last frame:\n${frame}`);
    await wait(10);
  }
}

describe('Dashboard', () => {
  it('draws every section within the terminal', async () => {
    const view = mount(new DashboardStore(busySweep()));
    const frame = await frameMatching(view, /best: trial 0/);
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(29);
    expect(lines[0]).toMatch(/▶ running\s+smoke/);
    expect(frame).toMatch(/trials 1–5 of 5/);
    expect(frame).toMatch(/workers · 2 busy of 2/);
    expect(frame).toMatch(/events · last \d of 3|events\n/);
    expect(lines.at(-1)).toMatch(/↑↓ select {2}enter details/);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it('↓ and Enter open a trial’s details and curve; Esc goes back to the best trial', async () => {
    const details: (number | null)[] = [];
    const view = mount(new DashboardStore(busySweep()), { onDetails: (n) => details.push(n) });
    await frameMatching(view, /best: trial 0/);
    view.stdin.write(DOWN);
    await wait(20);
    view.stdin.write(DOWN);
    await wait(20);
    view.stdin.write(DOWN);
    await wait(20);
    view.stdin.write(ENTER);
    const open = await frameMatching(view, /trial 2 · validation rel_l1/);
    expect(open).toContain('reason: diverged: training loss');
    await wait(30);
    expect(details.at(-1)).toBe(2);
    view.stdin.write(ESCAPE);
    await frameMatching(view, /best: trial 0/);
    await wait(30);
    expect(details.at(-1)).toBeNull();
  });

  it('s sorts by the metric, f filters by state', async () => {
    const view = mount(new DashboardStore(busySweep()));
    await frameMatching(view, /sorted by number/);
    view.stdin.write('s');
    const sorted = await frameMatching(view, /sorted by rel_l1/);
    const numbers = sorted
      .split('\n')
      .filter((l) => /^[★ ]\s+\d+ (complete|running|pruned|failed)/.test(l))
      .map((l) => Number(l.slice(1).trim().split(' ')[0]));
    expect(numbers).toEqual([0, 3, 4, 1, 2]);
    view.stdin.write('f');
    const filtered = await frameMatching(view, /running only/);
    const rows = filtered.split('\n').filter((l) => /^[★ ]\s+\d+ \w+ /.test(l));
    expect(rows.map((l) => l.slice(1).trim().split(/\s+/).slice(0, 2).join(' '))).toEqual(['3 running', '4 running']);
  });

  it('q and Ctrl-C call onQuit each time', async () => {
    const onQuit = vi.fn();
    const view = mount(new DashboardStore(busySweep()), { onQuit });
    await frameMatching(view, /best: trial 0/);
    view.stdin.write('q');
    view.stdin.write('\u0003');
    await wait(20);
    expect(onQuit).toHaveBeenCalledTimes(2);
  });

  it('renders from the store at a bounded rate, never once per event', async () => {
    const store = new DashboardStore(emptyState('live'));
    store.dispatch(started());
    store.dispatch(trialStarted(0, 1));
    const view = render(<Dashboard store={store} interactive={false} onQuit={() => {}} refreshMs={100} size={{ columns: 100, rows: 30 }} />);
    views.push(view);
    await wait(150);
    const since = Date.now();
    const before = view.frames.length;
    // 2000 evaluations over about 400 ms
    for (let burst = 0; burst < 8; burst++) {
      for (let i = 0; i < 250; i++) store.dispatch(evaluated(0, burst * 250 + i + 1, 1 / (i + 1), 2000));
      await wait(50);
    }
    await frameMatching(view, /2000\/2000/, 5000);
    const frames = view.frames.length - before;
    expect(frames).toBeGreaterThanOrEqual(1);
    // at most one frame per 100 ms, and fewer when frames are costly (RENDER_BUDGET)
    expect(frames).toBeLessThanOrEqual(Math.ceil((Date.now() - since) / 100));
  });

  it('waits after a frame in proportion to what ink took to render it (the frame clock)', { timeout: 20_000 }, async () => {
    const drawnWith = async (clock: FrameClock | undefined, onFrame: () => void) => {
      const store = new DashboardStore(emptyState('live'));
      store.dispatch(started());
      store.dispatch(trialStarted(0, 1));
      const view = render(
        <Dashboard store={store} interactive={false} onQuit={() => {}} refreshMs={50} size={{ columns: 100, rows: 30 }} {...(clock ? { frameClock: clock } : {})} />,
      );
      views.push(view);
      let seen = view.frames.length;
      const watcher = setInterval(() => {
        if (view.frames.length > seen) {
          seen = view.frames.length;
          onFrame();
        }
      }, 5);
      for (let i = 1; i <= 100; i++) {
        store.dispatch(evaluated(0, i * 10, 1 / i, 2000));
        await wait(40);
      }
      clearInterval(watcher);
      return view.frames.length;
    };
    // A clock that says every frame took 80 ms of CPU to render: at a 1% budget the next data
    // frame may come 8 s later, however often the store changes.
    const real = frameClock();
    const clock: FrameClock = { renderedAt: 0 };
    const paced = await drawnWith(clock, () => {
      real.onRender();
      clock.renderedAt = real.clock.renderedAt + 80;
    });
    const unpaced = await drawnWith(undefined, () => {});
    expect(real.clock.renderedAt).toBeGreaterThan(0);
    // 4 s of changes: without the clock a frame costs what React's commit costs here, so several
    // frames; with it, the mount's frame and the first change's, then nothing for 8 s.
    expect(unpaced).toBeGreaterThanOrEqual(4);
    expect(paced).toBeLessThanOrEqual(2);
  });

  it('says what q does now', () => {
    expect(quitAction(busySweep())).toBe('stop the sweep');
    expect(quitAction(markStopping(busySweep()))).toBe('quit at once');
    expect(quitAction({ ...busySweep(), status: 'finished' })).toBe('quit');
    expect(quitAction({ ...busySweep(), mode: 'watch' })).toBe('quit');
  });

  it('uses the wide layout on a wide terminal', async () => {
    const view = mount(new DashboardStore(busySweep()), { columns: 160, rows: 40 });
    const frame = await frameMatching(view, /best: trial 0/);
    // the panel sits to the right of the table: same line as the table's title
    expect(frame.split('\n').find((l) => l.includes('trials 1–5 of 5'))).toContain('best: trial 0');
  });
});
