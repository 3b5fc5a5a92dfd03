// The dashboard's root: samples the store on a timer (at most 1000/refreshMs frames a second, and
// only when the store changed or the clock moved), lays the sections out for the terminal's size,
// and owns what is purely the view's: the selected trial, the open details, sort and filter.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Box, useInput, useStdout } from 'ink';
import type { DashboardStore } from '../store.js';
import type { DashboardState, TrialView } from '../state.js';
import { computeLayout } from '../layout.js';
import { mainThreadMs } from '../cpu-clock.js';
import { varyingParams, visibleTrials } from '../derive.js';
import { applyKeyAction, INITIAL_VIEW, keyActions, type ViewState } from '../keys.js';
import { Header } from './Header.js';
import { TrialTable } from './TrialTable.js';
import { TrialPanel } from './TrialPanel.js';
import { WorkerLanes } from './WorkerLanes.js';
import { EventLog } from './EventLog.js';
import { Importance } from './Importance.js';
import { Footer } from './Footer.js';

export interface DashboardProps {
  store: DashboardStore;
  /** Keys are read only when stdin is a terminal. */
  interactive: boolean;
  /** q or Ctrl-C was pressed; the caller decides what that means now (stop, quit at once, exit). */
  onQuit(): void;
  /** The trial whose details are open, whenever that changes (watch mode loads its curve). */
  onDetails?(number: number | null): void;
  /** How often the store is sampled; 100 ms: at most 10 frames a second. */
  refreshMs?: number;
  /** The terminal's size; by default the output stream's, following resizes. */
  size?: { columns: number; rows: number };
  /**
   * Set by ink's onRender hook (see frameClock()): when ink finished turning the frame into text.
   * Without it a frame's cost is measured up to React's commit, which leaves out most of ink's work.
   */
  frameClock?: FrameClock;
}

/** The main thread's CPU clock (mainThreadMs) when ink last finished rendering a frame. */
export interface FrameClock {
  renderedAt: number;
}

/** A FrameClock and the onRender option that keeps it: pass both to ink's render() and the Dashboard. */
export function frameClock(): { clock: FrameClock; onRender: () => void } {
  const clock: FrameClock = { renderedAt: 0 };
  return { clock, onRender: () => (clock.renderedAt = mainThreadMs()) };
}

export const DEFAULT_REFRESH_MS = 100;

/** What q does in this state, in words, for the footer. */
export function quitAction(state: DashboardState): string {
  if (state.mode === 'live' && state.status === 'running') return 'stop the sweep';
  if (state.mode === 'live' && state.status === 'stopping') return 'quit at once';
  return 'quit';
}

function leadingRunningTrial(state: DashboardState): TrialView | null {
  let leader: TrialView | null = null;
  for (const trial of state.trials.values()) {
    if (trial.state !== 'running' || (trial.curve?.length ?? 0) === 0) continue;
    const progress = trial.steps ? trial.step / trial.steps : 0;
    if (!leader || progress > (leader.steps ? leader.step / leader.steps : 0)) leader = trial;
  }
  return leader;
}

function useTerminalSize(fixed: DashboardProps['size']): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

interface Frame {
  state: DashboardState;
  version: number;
  now: number;
}

/**
 * Data frames take at most this share of the main thread's CPU (it also relays the workers' metrics
 * to the DB, and every worker thread competes with it for the cores). A frame's cost runs from
 * asking React for it to ink having turned it into text (ink's onRender hook): about 12 ms at
 * 160×50 and 6 ms at 80×24, so the next data frame follows about 1.2 s (0.6 s) later. Measured by
 * `npm run bench` on 2 cores with 2 workers at 160×50: 1.00× the throughput with plain lines (at a
 * 1.5% budget: 0.98×). Keys are answered at once.
 */
export const RENDER_BUDGET = 0.01;

/**
 * The store as last sampled. Events only change the store; this timer turns changes into frames,
 * at most one per refreshMs and within RENDER_BUDGET.
 */
function useSampledState(store: DashboardStore, refreshMs: number, clock: FrameClock | undefined): Frame {
  const [frame, setFrame] = useState<Frame>(() => ({ state: store.state, version: store.version, now: Date.now() }));
  const shown = useRef(frame);
  // The main thread's CPU clock when the frame on its way was asked for (0: none on its way), and
  // how soon (wall clock) the next data frame may come.
  const pacing = useRef({ requestedAt: 0, notBefore: 0 });
  useEffect(() => {
    const timer = setInterval(() => {
      const { requestedAt } = pacing.current;
      if (requestedAt !== 0 && clock && clock.renderedAt >= requestedAt) {
        // ink has rendered the frame asked for: the CPU from the request to then is its cost.
        pacing.current = { requestedAt: 0, notBefore: performance.now() + (clock.renderedAt - requestedAt) / RENDER_BUDGET };
      }
      if (pacing.current.requestedAt !== 0 || performance.now() < pacing.current.notBefore) return;
      const previous = shown.current;
      const now = Date.now();
      let next: Frame | undefined;
      if (store.version !== previous.version) next = { state: store.state, version: store.version, now };
      // Nothing new: redraw only for the header's clock, once a second, while the sweep runs.
      else if ((previous.state.status === 'running' || previous.state.status === 'stopping') && Math.floor(now / 1000) !== Math.floor(previous.now / 1000)) {
        next = { ...previous, now };
      }
      if (!next) return;
      shown.current = next;
      pacing.current.requestedAt = mainThreadMs() || 1;
      setFrame(next);
    }, refreshMs);
    return () => clearInterval(timer);
  }, [store, refreshMs, clock]);
  // Without ink's render hook: effects run after React committed the frame, so the CPU used since
  // the request is a lower bound of its cost.
  useEffect(() => {
    const { requestedAt } = pacing.current;
    if (requestedAt === 0 || clock) return;
    const cost = Math.max(0, mainThreadMs() - requestedAt);
    pacing.current = { requestedAt: 0, notBefore: performance.now() + cost / RENDER_BUDGET };
  }, [frame, clock]);
  return frame;
}

export function Dashboard(props: DashboardProps) {
  const { state, now } = useSampledState(props.store, props.refreshMs ?? DEFAULT_REFRESH_MS, props.frameClock);
  const { columns, rows } = useTerminalSize(props.size);
  // The view is kept in a ref as well: keys that arrive in one chunk each build on the last one.
  const [view, setView] = useState<ViewState>(INITIAL_VIEW);
  const viewRef = useRef(view);
  const { sort, filter, cursor, details } = view;

  const goal = state.sweep?.metric.goal ?? 'minimize';
  const metricName = state.sweep?.metric.name ?? 'metric';
  const paramPaths = useMemo(() => varyingParams(state.trials.values()), [state.trials]);
  const rowsShown = useMemo(() => visibleTrials(state.trials.values(), sort, filter, goal), [state.trials, sort, filter, goal]);
  const layout = computeLayout({
    columns,
    rows,
    lanes: state.lanes.length || (state.sweep?.workers ?? 1),
    params: paramPaths.length,
    importance: state.importance?.length ?? 0,
  });

  const { onDetails } = props;
  useEffect(() => {
    onDetails?.(details);
  }, [details, onDetails]);

  useInput(
    (input, key) => {
      let next = viewRef.current;
      for (const action of keyActions(input, key)) {
        if (action === 'quit') props.onQuit();
        else next = applyKeyAction(next, action, visibleTrials(state.trials.values(), next.sort, next.filter, goal), layout.tableRows);
      }
      if (next !== viewRef.current) {
        viewRef.current = next;
        setView(next);
      }
    },
    { isActive: props.interactive },
  );

  const best = state.best ? (state.trials.get(state.best.number) ?? null) : null;
  const detailed = details !== null ? (state.trials.get(details) ?? null) : null;
  // Before any trial completes, the panel follows the running trial that is furthest along.
  const leader = best ? null : leadingRunningTrial(state);
  const panelTrial = detailed ?? best ?? leader;
  const panelRole = detailed ? 'details' : best ? 'best' : 'leading';
  const table = (width: number) => (
    <TrialTable
      trials={rowsShown}
      known={state.trials.size}
      selected={cursor}
      bestNumber={state.best?.number ?? null}
      paramPaths={paramPaths}
      metricName={metricName}
      sort={sort}
      filter={filter}
      width={width}
      rows={layout.tableRows}
    />
  );
  const panel = (width: number, arrangement: 'beside' | 'below') =>
    layout.chartRows > 0 ? (
      <TrialPanel
        trial={panelTrial}
        role={panelRole}
        metricName={metricName}
        width={width}
        chartRows={layout.chartRows}
        infoRows={layout.panelInfoRows}
        arrangement={arrangement}
        paramPage={view.paramPage}
      />
    ) : null;
  const lanes = (width: number) =>
    layout.laneRows > 0 ? <WorkerLanes lanes={state.lanes} trials={state.trials} width={width} rows={layout.laneRows} /> : null;
  const log = (width: number) => (layout.logRows > 0 ? <EventLog log={state.log} width={width} rows={layout.logRows} /> : null);
  const importance = (width: number) =>
    layout.importanceRows > 0 && state.importance ? <Importance importance={state.importance} width={width} rows={layout.importanceRows} /> : null;
  const footer = <Footer quit={quitAction(state)} sort={sort === 'number' ? 'number' : metricName} filter={filter} interactive={props.interactive} />;

  if (layout.wide) {
    return (
      <Box flexDirection="column" width={layout.columns} height={layout.height}>
        <Header state={state} now={now} width={layout.columns} />
        <Box flexDirection="row" flexGrow={1}>
          <Box flexDirection="column" width={layout.leftWidth}>
            {table(layout.leftWidth)}
            {log(layout.leftWidth)}
          </Box>
          <Box width={1} />
          <Box flexDirection="column" width={layout.rightWidth}>
            {panel(layout.rightWidth, 'below')}
            {lanes(layout.rightWidth)}
            {importance(layout.rightWidth)}
          </Box>
        </Box>
        {footer}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={layout.columns} height={layout.height}>
      <Header state={state} now={now} width={layout.columns} />
      {table(layout.columns)}
      {panel(layout.columns, 'beside')}
      {lanes(layout.columns)}
      {importance(layout.columns)}
      {log(layout.columns)}
      <Box flexGrow={1} />
      {footer}
    </Box>
  );
}
