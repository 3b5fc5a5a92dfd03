// `sweepdeck validate FILE`: load and check a sweep file, print the plan it expands to.
import { targetsOf } from '../problem/targets.js';
import { loadSweepFile } from '../spec/load.js';
import { makePlanner } from '../search/planner.js';
import { formatParams } from '../format.js';
import { renderTable } from './table.js';
import { EXIT_OK } from './errors.js';
import type { Distribution, Params } from '../search/space.js';
import { describeTpe } from '../search/tpe.js';
import { describeEarlyTerminate } from '../prune/describe.js';
import { resolveTrial } from '../spec/resolve.js';
import type { SweepSpec } from '../spec/types.js';
import type { DataSpec } from '../data/problem-table.js';
import { inputNames } from '../spec/names.js';

export async function validateCommand(file: string, options: { json?: boolean; steps?: number }, print: (text: string) => void): Promise<number> {
  const { spec, source } = await loadSweepFile(file, options.steps !== undefined ? { stepsOverride: options.steps } : {});
  const planner = makePlanner(spec);
  const preview = Array.from({ length: Math.min(5, planner.total) }, (_, i) => planner.ask(i, []));
  if (options.json) {
    print(
      JSON.stringify(
        {
          name: spec.name,
          method: spec.method,
          metric: spec.metric,
          trials: planner.total,
          seed: spec.seed,
          parameters: spec.parameters.map((p) => ({ path: p.path, ...p.distribution })),
          features: spec.features,
          variables: inputNames(spec.problem),
          ...(spec.problem.data ? { data: { path: spec.problem.data.path, targets: spec.problem.data.targets, rows: spec.problem.data.rows } } : {}),
          preview,
          tpe: spec.tpe ?? null,
          early_terminate: spec.earlyTerminate ?? null,
        },
        null,
        2,
      ),
    );
    return EXIT_OK;
  }
  const lines = [
    `${file}: ok`,
    `sweep ${spec.name}: ${spec.method} search, ${planner.total} trials, ${spec.metric.goal} ${spec.metric.name}, seed ${spec.seed}`,
    ...searchLines(spec, (source.data as { method?: unknown }).method, preview[0]),
    ...(spec.problem.data ? [describeData(spec.problem.data)] : []),
    `problem: ${inputNames(spec.problem).join(', ')} → ${spec.problem.targets ? targetsOf(spec.problem).map((t) => `${t.name} = ${t.formula}`).join('; ') : spec.problem.target}`,
    `feature sets: ${Object.entries(spec.features).map(([k, v]) => `${k} (${v.length})`).join(', ')}`,
    '',
    spec.parameters.length
      ? renderTable(['parameter', 'distribution', 'values'], spec.parameters.map((p) => [p.path, distributionName(p.distribution), describeDistribution(p.distribution)]))
      : 'no parameters: every trial is the same configuration',
    '',
    `first ${preview.length} trial${preview.length === 1 ? '' : 's'}${spec.method === 'tpe' && spec.tpe && preview.length ? ` (TPE's start-up trials are random; later ones depend on the results)` : ''}:`,
    ...preview.map((p, i) => `  ${i}: ${formatParams(p) || '(defaults)'}`),
  ];
  print(lines.join('\n'));
  return EXIT_OK;
}

/** TPE's options, the pruner and the metric target, when the sweep has them. */
function searchLines(spec: SweepSpec, writtenMethod: unknown, firstTrial: Params | undefined): string[] {
  const lines: string[] = [];
  if (spec.tpe) lines.push(`${describeTpe(spec.tpe)}${writtenMethod === 'bayes' ? ' (method bayes, W&B\'s name, is TPE here)' : ''}`);
  if (spec.earlyTerminate) {
    const resolved = firstTrial ? resolveTrial(spec, 0, firstTrial) : undefined;
    lines.push(...describeEarlyTerminate(spec.earlyTerminate, resolved?.ok ? resolved.config.training.steps : (spec.stepsOverride ?? 2000)));
  }
  if (spec.metric.target !== undefined) {
    lines.push(`target: the sweep may stop once a complete trial reaches ${spec.metric.name} ${spec.metric.goal === 'minimize' ? '≤' : '≥'} ${spec.metric.target}`);
  }
  return lines;
}

function describeData(data: DataSpec): string {
  const { train, validation } = data.rows;
  return `data: ${data.path} (${data.file.bytes} bytes, sha256 ${data.file.sha256.slice(0, 12)}…): ${train + validation} rows, ${train} for training and ${validation} held out; target column${data.targets.length === 1 ? '' : 's'} ${data.targets.join(', ')}${data.weights ? `, weights ${data.weights}` : ''}`;
}

function distributionName(d: Distribution): string {
  if (d.type === 'categorical') return d.choices.length === 1 ? 'constant' : 'categorical';
  return `${d.type === 'int' ? 'int' : 'float'}${d.log ? ', log' : ''}${d.step !== undefined && !(d.type === 'int' && d.step === 1) ? `, step ${d.step}` : ''}`;
}

function describeDistribution(d: Distribution): string {
  if (d.type === 'categorical') return d.choices.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join(', ');
  return `[${d.low}, ${d.high}]`;
}
