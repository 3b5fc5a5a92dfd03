// `sweepdeck importance DB [--sweep NAME] [--include-pruned] [--json]`: ranks the swept parameters by how much of
// the sweep metric they explain (fANOVA on a random forest, see analysis/importance.ts). With
// --include-pruned, pruned trials count at the value they were stopped with (their rung's value):
// under ASHA most trials end there, and what decided their fate is what matters. Read-only.
import { useReadStore, type SweepRecord, type TrialSummary } from '../store/index.js';
import { parameterImportance } from '../analysis/importance.js';
import type { Parameter } from '../search/space.js';
import { renderTable } from './table.js';
import { EXIT_OK, UsageError } from './errors.js';

const BAR_WIDTH = 24;

export async function importanceCommand(location: string, options: { json?: boolean; includePruned?: boolean; sweep?: string }, print: (text: string) => void): Promise<number> {
  return useReadStore(
    location,
    async (store) =>
      // What messages name: the file, or the URL without its password.
      rankParameters(store.location, store.sweep(), await store.trials({ states: options.includePruned ? ['complete', 'pruned'] : ['complete'] }), (await store.counts()).pruned, options, print),
    options.sweep !== undefined ? { sweep: options.sweep } : {},
  );
}

function rankParameters(
  dbPath: string,
  sweep: SweepRecord,
  trials: TrialSummary[],
  prunedInDb: number,
  options: { json?: boolean; includePruned?: boolean },
  print: (text: string) => void,
): number {
  const pruned = trials.filter((t) => t.state === 'pruned' && t.value !== null).length;
  const spec = JSON.parse(sweep.specJson) as { parameters?: Parameter[] };
  const result = parameterImportance(
    spec.parameters ?? [],
    trials.filter((t) => t.value !== null).map((t) => ({ params: t.params, value: t.value! })),
  );
  const hint = !options.includePruned && prunedInDb > 0 ? ` (${prunedInDb} pruned trial${prunedInDb === 1 ? ' is' : 's are'} left out: --include-pruned counts them at the value they were stopped with)` : '';
  if (!result.ok) throw new UsageError(`${dbPath}: ${result.reason}${hint}`);

  if (options.json) {
    print(JSON.stringify(result.importances.map((r) => ({ parameter: r.parameter, importance: r.importance, variance_fraction: r.varianceFraction })), null, 2));
    return EXIT_OK;
  }
  const metric = result.target === 'log10' ? `log10(${sweep.metricName})` : sweep.metricName;
  const top = result.importances[0]?.importance ?? 0;
  print(
    [
      options.includePruned
        ? `sweep ${sweep.name}: which parameters explain ${metric}, from ${result.trials} trials: ${result.trials - pruned} complete at their final value, ${pruned} pruned at the value they were stopped with`
        : `sweep ${sweep.name}: which parameters explain ${metric}, from ${result.trials} complete trials${hint}`,
      `method: ${result.method}; importances sum to 1`,
      ...(result.target === 'log10' ? [`(${sweep.metricName} spans more than a decade, so its log10 is explained)`] : []),
      '',
      renderTable(
        ['parameter', 'importance', ''],
        result.importances.map((r) => [r.parameter, r.importance.toFixed(3), bar(top > 0 ? r.importance / top : 0)]),
      ),
      '',
      `main effects explain ${(result.mainEffects * 100).toFixed(0)}% of the variance of ${metric} in the forest; the rest comes from interactions between parameters`,
    ].join('\n'),
  );
  return EXIT_OK;
}

function bar(fraction: number): string {
  const eighths = Math.round(fraction * BAR_WIDTH * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? '▏▎▍▌▋▊▉'[(eighths % 8) - 1]! : '');
}
