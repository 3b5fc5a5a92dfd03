// The sweep file and command that re-run one trial: the stored sweep file with every swept
// parameter pinned to the trial's value and its weight seed pinned too, so the one trial it plans
// is this trial again (same data, same initial weights). The pruner is left out: a re-run of a
// pruned trial trains to the end, which is what one re-runs it for.
import { parse, stringify } from 'yaml';
import type { SweepRecord, TrialSummary } from '../store/index.js';
import type { SweepSpec } from '../spec/types.js';

/** The parsed sweep file and spec of the last record asked about: a report asks for many trials of one sweep. */
let parsed: { record: SweepRecord; spec: SweepSpec; source: Record<string, unknown> } | undefined;

export function rerunTrial(record: SweepRecord, trial: TrialSummary): { file: string; yaml: string; command: string } {
  if (parsed?.record.specHash !== record.specHash || parsed.record.specSource !== record.specSource) {
    parsed = { record, spec: JSON.parse(record.specJson) as SweepSpec, source: parse(record.specSource) as Record<string, unknown> };
  }
  const { spec, source } = parsed;
  const name = `${record.name}-trial-${trial.number}`;
  const parameters: Record<string, { value: unknown }> = {};
  for (const [path, value] of Object.entries(trial.params)) parameters[path] = { value };
  const seed = (trial.config as { training?: { seed?: unknown } } | null)?.training?.seed;
  if (typeof seed === 'number' && !('training.seed' in parameters)) parameters['training.seed'] = { value: seed };

  const { early_terminate: _pruner, run_cap: _cap, tpe: _tpe, ...rest } = source;
  const metric = typeof rest['metric'] === 'object' && rest['metric'] !== null ? { ...(rest['metric'] as Record<string, unknown>) } : rest['metric'];
  if (metric && typeof metric === 'object') delete (metric as Record<string, unknown>)['target'];
  const file = `${name}.yaml`;
  const yaml = stringify({
    ...rest,
    name,
    description: `Trial ${trial.number} of sweep ${record.name}, re-run: its parameters and weight seed pinned.`,
    method: 'grid',
    ...(metric === undefined ? {} : { metric }),
    parameters,
  });
  const steps = spec.stepsOverride === undefined ? '' : ` --steps ${spec.stepsOverride}`;
  return { file, yaml, command: `sweepdeck run ${file} --db results/${name}.db${steps}` };
}
