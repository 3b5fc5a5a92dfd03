// `sweepdeck validate FILE`: load and check a sweep file, print the plan it expands to.
import { loadSweepFile } from '../spec/load.js';
import { makePlanner } from '../search/planner.js';
import { formatParams } from '../run/format.js';
import { renderTable } from './table.js';
import { EXIT_OK } from './errors.js';
import type { Distribution } from '../search/space.js';

export function validateCommand(file: string, options: { json?: boolean; steps?: number }, print: (text: string) => void): number {
  const { spec } = loadSweepFile(file, options.steps !== undefined ? { stepsOverride: options.steps } : {});
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
          variables: Object.keys(spec.problem.variables),
          preview,
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
    `problem: ${Object.keys(spec.problem.variables).join(', ')} → ${spec.problem.target}`,
    `feature sets: ${Object.entries(spec.features).map(([k, v]) => `${k} (${v.length})`).join(', ')}`,
    '',
    spec.parameters.length
      ? renderTable(['parameter', 'distribution', 'values'], spec.parameters.map((p) => [p.path, distributionName(p.distribution), describeDistribution(p.distribution)]))
      : 'no parameters: every trial is the same configuration',
    '',
    `first ${preview.length} trial${preview.length === 1 ? '' : 's'}:`,
    ...preview.map((p, i) => `  ${i}: ${formatParams(p) || '(defaults)'}`),
  ];
  print(lines.join('\n'));
  return EXIT_OK;
}

function distributionName(d: Distribution): string {
  if (d.type === 'categorical') return d.choices.length === 1 ? 'constant' : 'categorical';
  return `${d.type === 'int' ? 'int' : 'float'}${d.log ? ', log' : ''}${d.step !== undefined && !(d.type === 'int' && d.step === 1) ? `, step ${d.step}` : ''}`;
}

function describeDistribution(d: Distribution): string {
  if (d.type === 'categorical') return d.choices.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join(', ');
  return `[${d.low}, ${d.high}]`;
}
