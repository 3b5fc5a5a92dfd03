// `sweepdeck watch DB`: the dashboard, read-only, over a results DB, whether a run is writing it
// (from another terminal) or it is finished. It only reads: SQLite's WAL lets it poll a few times a
// second without holding up the writer.
import { openReadStore } from '../store/index.js';
import { dashboardSupported, watchDashboard } from '../tui/index.js';
import { EXIT_OK, UsageError } from './errors.js';

export interface WatchFlags {
  /** Milliseconds between looks at the DB. */
  interval: number;
  sweep?: string;
}

export const DEFAULT_WATCH_INTERVAL_MS = 250;

export async function watchCommand(location: string, flags: WatchFlags): Promise<number> {
  // The same checks and errors as best/show: a missing file or one that is not a sweepdeck DB exits 2.
  const store = await openReadStore(location, flags.sweep !== undefined ? { sweep: flags.sweep } : {});
  const dbPath = store.location;
  try {
    if (!dashboardSupported(process.stdout)) {
      throw new UsageError(`watch draws a dashboard and needs a terminal; without one, use: sweepdeck best ${dbPath}   ·   sweepdeck show ${dbPath} NUMBER`);
    }
    await watchDashboard({ store, dbPath, intervalMs: flags.interval, stdout: process.stdout, stdin: process.stdin });
    return EXIT_OK;
  } finally {
    await store.close();
  }
}
