// `sweepdeck sweeps DB`: the sweeps a database holds, with their state and best value. A SQLite
// file holds one; a PostgreSQL database any number (one per name).
import { isPostgresUrl, listPgSweeps, openReadStore, type SweepListing } from '../store/index.js';
import { formatMetric } from '../format.js';
import { renderTable } from './table.js';
import { EXIT_OK } from './errors.js';

async function listing(location: string): Promise<SweepListing[]> {
  if (isPostgresUrl(location)) return listPgSweeps(location);
  const store = await openReadStore(location);
  try {
    const sweep = store.sweep();
    const best = (await store.best(1))[0];
    const writer = await store.liveWriter();
    return [
      {
        name: sweep.name,
        method: sweep.method,
        metric: sweep.metricName,
        goal: sweep.metricGoal,
        createdAt: sweep.createdAt,
        counts: Object.fromEntries(Object.entries(await store.counts()).filter(([, n]) => n > 0)),
        best: best && best.value !== null ? { number: best.number, value: best.value } : null,
        agents: writer ? 1 : 0,
      },
    ];
  } finally {
    await store.close();
  }
}

/** What a sweep is doing, in one word: agents running it, trials left, or finished. */
function stateOf(sweep: SweepListing): string {
  if (sweep.agents > 0) return `running (${sweep.agents} agent${sweep.agents === 1 ? '' : 's'})`;
  if ((sweep.counts.running ?? 0) > 0 || (sweep.counts.queued ?? 0) > 0) return 'stopped';
  return 'idle';
}

export async function sweepsCommand(location: string, options: { json?: boolean }, print: (text: string) => void): Promise<number> {
  const sweeps = await listing(location);
  if (options.json) {
    print(JSON.stringify(sweeps.map((s) => ({ ...s, state: stateOf(s) })), null, 2));
    return EXIT_OK;
  }
  if (sweeps.length === 0) {
    print('no sweeps yet');
    return EXIT_OK;
  }
  const rows = sweeps.map((s) => [
    s.name,
    s.method,
    stateOf(s),
    ['complete', 'pruned', 'failed', 'running', 'queued'].filter((k) => s.counts[k]).map((k) => `${s.counts[k]} ${k}`).join(', ') || 'no trials',
    s.best ? `${formatMetric(s.best.value)} (trial ${s.best.number})` : '-',
    `${s.goal} ${s.metric}`,
  ]);
  print(renderTable(['sweep', 'method', 'state', 'trials', 'best', 'metric'], rows));
  return EXIT_OK;
}
