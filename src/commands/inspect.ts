// The read-only commands over a results DB: `best`, `show` and `export`. They only read the store.
import { exportRows, isPostgresUrl, toCsv, useReadStore, type ReadStore, type TrialSummary } from '../store/index.js';
import { formatDuration, formatMetric, formatParamValue } from '../format.js';
import { renderTable } from './table.js';
import { hasNamedTargets, perTargetMetricKeys } from '../problem/targets.js';
import type { SweepSpec } from '../spec/types.js';
import { EXIT_OK, UsageError } from './errors.js';
import { writeOutputFile } from '../output/write-output.js';

type Print = (text: string) => void;

/**
 * `location`: a SQLite file or a postgresql:// URL; `sweep`: which sweep, where the DB holds several.
 * A damaged SQLite DB shows what can be read, then fails naming the damage (useReadStore).
 */
function withStore<T>(location: string, sweep: string | undefined, use: (store: ReadStore) => Promise<T>): Promise<T> {
  return useReadStore(location, use, sweep !== undefined ? { sweep } : {});
}

/** With named targets: every target's mean of every per-sample metric (other than the sweep metric itself); else undefined. */
function severalTargetColumns(specJson: string, sweepMetric: string): string[] | undefined {
  const spec = JSON.parse(specJson) as SweepSpec;
  if (!hasNamedTargets(spec.problem)) return undefined;
  return perTargetMetricKeys(spec.problem).filter((name) => name !== sweepMetric);
}

function durationOf(trial: TrialSummary): number | null {
  if (!trial.startedAt || !trial.finishedAt) return null;
  return (Date.parse(trial.finishedAt) - Date.parse(trial.startedAt)) / 1000;
}

function jsonTrial(trial: TrialSummary) {
  return {
    number: trial.number,
    state: trial.state,
    value: trial.value,
    params: trial.params,
    metrics: trial.metrics,
    step: trial.step,
    steps: trial.steps,
    backend: trial.backend,
    worker: trial.worker,
    error: trial.error,
    started_at: trial.startedAt,
    finished_at: trial.finishedAt,
    duration_s: durationOf(trial),
  };
}

export async function bestCommand(location: string, options: { top: number; json?: boolean; sweep?: string }, print: Print): Promise<number> {
  return withStore(location, options.sweep, async (store) => {
    // What messages name: the file, or the URL without its password.
    const dbPath = store.location;
    const sweep = store.sweep();
    const best = await store.best(options.top);
    const kept = new Set((await store.keptModels()).map((k) => k.number));
    if (options.json) {
      print(JSON.stringify(best.map((t) => ({ ...jsonTrial(t), model_kept: kept.has(t.number) })), null, 2));
      return EXIT_OK;
    }
    const counts = await store.counts();
    const summary = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    print(`sweep ${sweep.name}: ${summary || 'no trials yet'}; ${sweep.metricGoal} ${sweep.metricName}`);
    if (best.length === 0) {
      print('no completed trial yet');
      return EXIT_OK;
    }
    const paramPaths = [...new Set(best.flatMap((t) => Object.keys(t.params)))];
    const m = sweep.metricName;
    // One target: the sweep metric's median and p90 beside it; several: every target's metrics.
    const extra = severalTargetColumns(sweep.specJson, m) ?? [`${m}.median`, `${m}.p90`];
    const header = ['#', 'trial', m, ...extra, ...paramPaths, 'time'];
    const rows = best.map((t, rank) => [
      String(rank + 1),
      String(t.number),
      formatMetric(t.value),
      ...extra.map((name) => formatMetric(t.metrics[name])),
      ...paramPaths.map((p) => (p in t.params ? formatParamValue(t.params[p]) : '')),
      formatDuration(durationOf(t) ?? 0),
    ]);
    print(renderTable(header, rows));
    if (kept.size) {
      const shown = best.filter((t) => kept.has(t.number)).map((t) => t.number);
      print(`\nmodels kept${shown.length ? ` for trials ${shown.join(', ')}` : ''}${shown.length < kept.size ? ` (${kept.size} in all)` : ''}: sweepdeck predict|explain|export-model ${dbPath} --trial N`);
    }
    const failed = await store.trials({ states: ['failed'] });
    if (failed.length) {
      print(`\n${failed.length} failed:`);
      for (const t of failed.slice(0, 5)) print(`  trial ${t.number}: ${t.error ?? 'no reason recorded'}`);
      if (failed.length > 5) print(`  … and ${failed.length - 5} more (sweepdeck export ${dbPath} --format csv)`);
    }
    return EXIT_OK;
  });
}

const SPARK = '▁▂▃▄▅▆▇█';

/** A one-line chart of a curve; log scale when the values span more than a decade. */
export function sparkline(values: (number | null)[]): string {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return '';
  const useLog = finite.every((v) => v > 0) && Math.max(...finite) / Math.min(...finite) > 10;
  const t = (v: number) => (useLog ? Math.log10(v) : v);
  const lo = Math.min(...finite.map(t));
  const hi = Math.max(...finite.map(t));
  return values
    .map((v) => (v === null || !Number.isFinite(v) ? ' ' : SPARK[hi === lo ? 0 : Math.round(((t(v) - lo) / (hi - lo)) * (SPARK.length - 1))]!))
    .join('');
}

export async function showCommand(location: string, number: number, options: { json?: boolean; sweep?: string }, print: Print): Promise<number> {
  return withStore(location, options.sweep, async (store) => {
    const dbPath = store.location;
    const sweep = store.sweep();
    const trial = await store.trial(number);
    if (!trial) {
      const counts = Object.values(await store.counts()).reduce((a, b) => a + b, 0);
      throw new UsageError(`${dbPath} has no trial ${number} (it holds ${counts} trial${counts === 1 ? '' : 's'}, numbered from 0)`);
    }
    const curve = await store.curve(trial.id);
    const kept = (await store.keptModels()).find((k) => k.number === trial.number);
    if (options.json) {
      print(JSON.stringify({ ...jsonTrial(trial), model_kept: kept !== undefined, config: trial.config, curve }, null, 2));
      return EXIT_OK;
    }
    const m = sweep.metricName;
    const lines = [
      `trial ${trial.number}: ${trial.state}${trial.value !== null ? `, ${m} = ${formatMetric(trial.value)}` : ''}`,
      ...(trial.error ? [`reason: ${trial.error}`] : []),
      trial.startedAt
        ? `step ${trial.step ?? 0}/${trial.steps ?? '?'} on ${trial.backend ?? '?'} (worker ${trial.worker ?? '?'}), ${formatDuration(durationOf(trial) ?? 0)}`
        : `never started on a worker (${trial.steps ?? '?'} steps planned)`,
      ...(trial.state === 'complete'
        ? [
            kept
              ? `model: kept in the DB (${kept.bytes} bytes): sweepdeck predict|explain|export-model ${dbPath} --trial ${trial.number}`
              : 'model: not kept (the sweep keeps the models of its best keep_models complete trials)',
          ]
        : []),
      'parameters:',
      ...Object.entries(trial.params).map(([k, v]) => `  ${k} = ${formatParamValue(v)}`),
    ];
    const names = [m, ...(severalTargetColumns(sweep.specJson, m) ?? [`${m}.median`, `${m}.p90`, `${m}.max`]), 'train_loss', 'lr', 'steps_per_s'];
    const byStep = new Map<number, Record<string, number | null>>();
    for (const point of curve) {
      const row = byStep.get(point.step) ?? {};
      row[point.name] = point.value;
      byStep.set(point.step, row);
    }
    if (byStep.size) {
      const steps = [...byStep.keys()].sort((a, b) => a - b);
      lines.push('', `validation curve (${m}): ${sparkline(steps.map((s) => byStep.get(s)![m] ?? null))}`, '');
      lines.push(renderTable(['step', ...names], steps.map((s) => [String(s), ...names.map((n) => formatMetric(byStep.get(s)![n]))])));
    } else {
      lines.push('', trial.state === 'queued' || trial.state === 'running' ? 'no metrics recorded yet' : 'no metrics recorded');
    }
    print(lines.join('\n'));
    return EXIT_OK;
  });
}

export async function exportCommand(dbPath: string, options: { format: string; out?: string; force?: boolean; sweep?: string }, print: Print): Promise<number> {
  if (options.format !== 'csv' && options.format !== 'json') throw new UsageError(`--format expects csv or json, got "${options.format}"`);
  // Written inside the read, so that on a damaged DB what could be read is exported before the error.
  await withStore(dbPath, options.sweep, async (store) => {
    const rows = await exportRows(store);
    const text = options.format === 'csv' ? toCsv(rows) : JSON.stringify(rows, null, 2);
    if (options.out) writeOutputFile(options.out, text.endsWith('\n') ? text : `${text}\n`, { force: options.force ?? false, protect: isPostgresUrl(dbPath) ? [] : [dbPath] });
    else print(text.replace(/\n$/, ''));
  });
  return EXIT_OK;
}
