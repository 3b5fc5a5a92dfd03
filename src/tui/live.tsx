// The dashboard for `sweepdeck run`: a reporter like the line printer (emit takes every SweepEvent),
// drawing into the alternate screen at a bounded rate. q/Ctrl-C go to the caller's stop path (the
// same as SIGINT: the first stops gracefully, the second quits at once). When the dashboard closes,
// the terminal is as it was and the run's summary lines are printed, so the scrollback keeps them.
import { render, type Instance } from 'ink';
import type { SweepEvent } from '../run/events.js';
import { lineReporter } from '../run/line-reporter.js';
import { openReadStore } from '../store/open.js';
import { isPostgresUrl } from '../store/index.js';
import type { ReadStore } from '../store/read.js';
import { DashboardStore } from './store.js';
import { FINISHED_STATES, emptyState, markStopping, withOthersFinished, type DashboardState, type TrialView } from './state.js';
import { historyState, WatchLoader } from './watch-loader.js';
import { Dashboard, DEFAULT_REFRESH_MS, frameClock } from './components/Dashboard.js';
import { enterAlternateScreen } from './terminal.js';
import { ImportanceFeed } from './importance-feed.js';
import type { Parameter } from '../search/space.js';

export interface LiveDashboardOptions {
  /** Where to draw: a terminal (process.stdout), or any TTY-like stream with columns and rows (bench). */
  stdout: NodeJS.WriteStream;
  /** Keys are read from it when it is a terminal. Without one there are no keys and nothing waits for q. */
  stdin?: NodeJS.ReadStream;
  /**
   * The results DB (a SQLite file or a PostgreSQL URL): the trials finished before this run (by
   * earlier runs, or by other agents on a shared sweep) and the kept-model marks are read from it.
   */
  dbPath?: string;
  /** The sweep's name, where the DB holds several (PostgreSQL). */
  sweep?: string;
  /**
   * q or Ctrl-C while the sweep runs: what the first and the second SIGINT do (run.ts: abort the
   * controller; then close the dashboard and exit). Called again on every press.
   */
  onInterrupt(): void;
  /** Where the summary lines go once the dashboard is gone (stdout's line writer). */
  print(line: string): void;
  /** Frame interval (default 100 ms: at most 10 frames a second). */
  refreshMs?: number;
  /** The sweep's parameters: with them, the dashboard ranks them by importance as trials complete. */
  parameters?: readonly Parameter[];
}

export interface LiveDashboard {
  /** The reporter: pass it to runSweep as `emit`. Costs a reducer step, never a render. */
  emit(event: SweepEvent): void;
  /** A stop was asked for by other means (a signal): the header says "stopping…". */
  stopping(): void;
  /**
   * After runSweep returned: when someone is at the keyboard and the sweep ran to its end, waits
   * for q so the results can be browsed; then closes and prints the summary.
   */
  finish(): Promise<void>;
  /** Unmounts and restores the terminal; synchronous and idempotent, safe on any exit path. */
  close(): void;
}

/** How often the dashboard of a shared (PostgreSQL) sweep looks for trials other agents finished. */
const OTHERS_REFRESH_MS = 2000;

async function initialState(dbPath: string | undefined, sweep: string | undefined): Promise<DashboardState> {
  if (dbPath === undefined) return emptyState('live');
  try {
    const store = await openReadStore(dbPath, sweep !== undefined ? { sweep } : {});
    try {
      return await historyState(store, dbPath, Date.now());
    } finally {
      await store.close();
    }
  } catch {
    // The earlier trials are a nicety: the run goes on without them.
    return emptyState('live');
  }
}

export async function startLiveDashboard(options: LiveDashboardOptions): Promise<LiveDashboard> {
  const which = options.sweep !== undefined ? { sweep: options.sweep } : {};
  const store = new DashboardStore(await initialState(options.dbPath, options.sweep));
  const importance = options.parameters ? new ImportanceFeed(options.parameters) : undefined;
  const refreshImportance = (final: boolean) => {
    const ranked = importance?.update(store.state, final);
    if (ranked) store.update((state) => ({ ...state, importance: ranked }));
  };
  refreshImportance(false);
  /** Which trials' models the DB keeps changes as better trials complete: a short read after each one. */
  const refreshKeptModels = async () => {
    if (options.dbPath === undefined) return;
    let kept: Set<number>;
    try {
      const reader = await openReadStore(options.dbPath, which);
      try {
        kept = new Set((await reader.keptModels()).map((m) => m.number));
      } finally {
        await reader.close();
      }
    } catch {
      return; // a nicety, like the history: the run goes on without it
    }
    store.update((state) => {
      let trials: Map<number, TrialView> | undefined;
      for (const [number, trial] of state.trials) {
        if ((trial.modelKept ?? false) === kept.has(number)) continue;
        trials ??= new Map(state.trials);
        trials.set(number, { ...trial, modelKept: kept.has(number) });
      }
      return trials ? { ...state, trials } : state;
    });
  };
  const others = options.dbPath !== undefined && isPostgresUrl(options.dbPath) ? othersFeed(options.dbPath, which, store) : undefined;
  const interactive = options.stdin?.isTTY === true;
  const summary: SweepEvent[] = [];
  let quitPressed: () => void = () => {};
  const quit = new Promise<void>((resolve) => (quitPressed = resolve));

  const onQuit = () => {
    const status = store.state.status;
    if (status === 'running' || status === 'stopping') options.onInterrupt();
    else quitPressed();
  };

  const leaveScreen = enterAlternateScreen(options.stdout);
  let instance: Instance | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    others?.stop();
    process.off('exit', close);
    // Unmount first (its last frame goes to the alternate screen), then back to the shell's screen.
    instance?.unmount();
    leaveScreen();
  };
  // process.exit() (a second Ctrl-C) skips finally blocks: restore the terminal on the way out anyway.
  process.on('exit', close);

  const frames = frameClock();
  instance = render(<Dashboard store={store} interactive={interactive} onQuit={onQuit} refreshMs={options.refreshMs ?? DEFAULT_REFRESH_MS} frameClock={frames.clock} />, {
    stdout: options.stdout,
    onRender: frames.onRender,
    ...(options.stdin ? { stdin: options.stdin } : {}),
    exitOnCtrlC: false,
    // Only a real terminal's console is ours to redirect; a bench's console stays its own.
    patchConsole: options.stdout === process.stdout,
    maxFps: 1000 / (options.refreshMs ?? DEFAULT_REFRESH_MS),
    // Not incrementalRendering: in ink 6.8 it starts each frame one line too low when the frame ends
    // in a newline (as ours does: it is one line shorter than the screen). Each frame is one write
    // instead, in synchronized-output brackets where the terminal supports them.
  });

  return {
    emit(event) {
      if (event.type === 'sweep-started' || event.type === 'sweep-finished') summary.push(event);
      store.dispatch(event);
      if (event.type === 'sweep-finished') others?.stop();
      if ((event.type === 'trial-finished' && event.state === 'complete') || event.type === 'sweep-finished') {
        refreshImportance(event.type === 'sweep-finished');
        if (event.type === 'trial-finished') void refreshKeptModels();
      }
    },
    stopping() {
      store.update(markStopping);
      // A signal while the finished dashboard waits for q: stop waiting.
      if (store.state.status === 'finished' || store.state.status === 'stopped') quitPressed();
    },
    async finish() {
      if (interactive && !closed && store.state.status === 'finished') await quit;
      close();
      // What the line reporter would have said at the start and the end, for the scrollback.
      const metric = store.state.sweep?.metric.name ?? '';
      const report = lineReporter(metric, options.print);
      for (const event of summary) report(event);
    },
    close,
  };
}

/**
 * On a shared PostgreSQL sweep, other agents finish trials while this run goes on: every
 * OTHERS_REFRESH_MS one read of the store (through a WatchLoader, which reads a finished trial's
 * numbers and curve once) adds the ones the dashboard does not know, with their curves.
 */
function othersFeed(dbPath: string, which: { sweep?: string }, store: DashboardStore): { stop(): void } {
  let reader: Promise<{ store: ReadStore; loader: WatchLoader }> | undefined;
  let stopped = false;
  let reading = false;
  const refresh = async () => {
    if (reading || stopped) return;
    reading = true;
    try {
      reader ??= openReadStore(dbPath, which).then((opened) => ({ store: opened, loader: new WatchLoader(opened, dbPath) }));
      const { loader } = await reader;
      let loaded = await loader.load({ now: Date.now() });
      // The finished trials to add, with their curves (a second, small read, only when there are
      // some: the first cached the rest). Other agents' running trials are not shown, nor read.
      const unknown = [...loaded.trials.values()].filter((t) => FINISHED_STATES.has(t.state) && t.curve === undefined && !store.state.trials.has(t.number)).map((t) => t.number);
      if (unknown.length > 0) loaded = await loader.load({ now: Date.now(), curvesFor: unknown });
      if (!stopped) store.update((state) => withOthersFinished(state, loaded));
    } catch {
      // A nicety, like the history: the run goes on without it, and the next look opens the store again.
      const failed = reader;
      reader = undefined;
      void failed?.then(({ store: opened }) => opened.close()).catch(() => {});
    } finally {
      reading = false;
    }
  };
  const timer = setInterval(() => void refresh(), OTHERS_REFRESH_MS);
  timer.unref();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      void reader?.then(({ store: opened }) => opened.close()).catch(() => {});
    },
  };
}
