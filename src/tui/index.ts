// The terminal dashboard: live for `sweepdeck run` on a terminal, read-only for `sweepdeck watch`.
// React and ink are loaded only when a dashboard is drawn, so plain-line runs and the other
// commands do not pay for them, and they are loaded in React's production build unless the
// environment says otherwise (NODE_ENV): the development build costs several times more per frame.
import type { LiveDashboard, LiveDashboardOptions } from './live.js';
import type { WatchOptions } from './watch.js';

export { dashboardSupported, discardingTerminal } from './terminal.js';
export type { LiveDashboard, LiveDashboardOptions } from './live.js';
export type { WatchOptions } from './watch.js';
export type { DashboardState, ParamImportance } from './state.js';

function preferProductionReact(): void {
  process.env.NODE_ENV ??= 'production';
}

/** Starts the live dashboard (see live.tsx); pass its `emit` to runSweep. */
export async function startLiveDashboard(options: LiveDashboardOptions): Promise<LiveDashboard> {
  preferProductionReact();
  const live = await import('./live.js');
  return live.startLiveDashboard(options);
}

/** Shows the read-only dashboard over a results DB until q (see watch.tsx). */
export async function watchDashboard(options: WatchOptions): Promise<void> {
  preferProductionReact();
  const watch = await import('./watch.js');
  return watch.watchDashboard(options);
}
