// `sweepdeck watch DB`: the dashboard, read-only, over a results DB that another process may be
// writing. Polls the DB every `intervalMs` (one read transaction, skipped when nothing was
// committed since) into the same store the live dashboard uses; q or Ctrl-C leaves.
import { render } from 'ink';
import type { ReadStore } from '../store/read.js';
import { DashboardStore } from './store.js';
import { WatchLoader } from './watch-loader.js';
import { LOG_LIMIT, type DashboardState } from './state.js';
import { Dashboard, frameClock } from './components/Dashboard.js';
import { enterAlternateScreen } from './terminal.js';
import { ImportanceFeed } from './importance-feed.js';
import type { ParamImportance } from './state.js';
import type { SweepSpec } from '../spec/types.js';

export interface WatchOptions {
  store: ReadStore;
  dbPath: string;
  intervalMs: number;
  stdout: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** Even without commits, the DB is read again this often: a writer that was killed shows up as gone. */
const FULL_RELOAD_MS = 2000;

/** Shows the dashboard until q, Ctrl-C, SIGINT or SIGTERM. */
export async function watchDashboard(options: WatchOptions): Promise<void> {
  const loader = new WatchLoader(options.store, options.dbPath);
  const feed = new ImportanceFeed((JSON.parse(options.store.sweep().specJson) as SweepSpec).parameters);
  let importance: readonly ParamImportance[] | undefined;
  /** Each load builds the state afresh: importance is carried over, and recomputed as trials complete. */
  const withImportance = (state: DashboardState): DashboardState => {
    importance = feed.update(state, state.status !== 'running' && state.status !== 'stopping') ?? importance;
    return importance ? { ...state, importance } : state;
  };
  const dashboard = new DashboardStore(withImportance(await loader.load({ now: Date.now() })));
  let curvesFor: number[] = [];
  let seenVersion = await options.store.dataVersion();
  let loadedAt = Date.now();

  let polling = false;
  const poll = async (force: boolean) => {
    // One load at a time: a slow read (a remote DB) is not overtaken by the next tick.
    if (polling) return;
    polling = true;
    try {
      await pollOnce(force);
    } finally {
      polling = false;
    }
  };
  const pollOnce = async (force: boolean) => {
    const now = Date.now();
    try {
      const version = await options.store.dataVersion();
      if (!force && version === seenVersion && now - loadedAt < FULL_RELOAD_MS) return;
      seenVersion = version;
      loadedAt = now;
      const next = withImportance(await loader.load({ now, curvesFor }));
      dashboard.update(() => next);
    } catch (error) {
      // A DB that cannot be read for a moment (busy, or going away): say so and keep trying.
      dashboard.update((state) => withNotice(state, `cannot read ${options.dbPath}: ${(error as Error).message}`));
    }
  };
  const timer = setInterval(() => void poll(false), options.intervalMs);

  let leave: () => void = () => {};
  const left = new Promise<void>((resolve) => (leave = resolve));
  const onSignal = () => leave();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const leaveScreen = enterAlternateScreen(options.stdout);
  const restore = () => leaveScreen();
  process.on('exit', restore);
  const frames = frameClock();
  const instance = render(
    <Dashboard
      store={dashboard}
      frameClock={frames.clock}
      interactive={options.stdin?.isTTY === true}
      onQuit={() => leave()}
      onDetails={(number) => {
        curvesFor = number === null ? [] : [number];
        void poll(true);
      }}
    />,
    {
      stdout: options.stdout,
      onRender: frames.onRender,
      ...(options.stdin ? { stdin: options.stdin } : {}),
      exitOnCtrlC: false,
      patchConsole: options.stdout === process.stdout,
      maxFps: 10,
      // incrementalRendering stays off: see live.tsx.
    },
  );
  try {
    await left;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    instance.unmount();
    restore();
    process.off('exit', restore);
  }
}

function withNotice(state: DashboardState, text: string): DashboardState {
  const last = state.log.at(-1);
  if (last?.kind === 'notice' && last.text === text) return state;
  return { ...state, log: [...state.log.slice(-(LOG_LIMIT - 1)), { at: Date.now(), kind: 'notice', text }] };
}
