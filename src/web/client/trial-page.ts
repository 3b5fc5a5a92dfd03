// One trial's page: state and reason, parameters, every metric's curve, the learned formula, and
// the sweep file + command that re-run it.
import type { Curve, SweepView, TrialView } from '../view-model.js';
import { echarts, type ECharts } from './echarts.js';
import { curvesOption } from './charts.js';
import { STATE_COLOURS, wantsLog } from './filter.js';
import * as fmt from './format.js';

export function renderTrialPage(root: HTMLElement, sweep: SweepView, view: TrialView, partial: string | null, charts: Record<string, ECharts>): void {
  const t = view.trial;
  const metric = sweep.sweep.metric;
  const groups = metricGroups(metric, view.curves);
  root.innerHTML = `
    <p><a href="#/">← all trials</a></p>
    <h2 class="trial-title">Trial ${t.number} <span class="badge" style="--state:${STATE_COLOURS[t.state]}">${t.state}</span>
      <small>${metric} ${fmt.metric(t.value)}${t.step !== null ? ` · step ${t.step}/${t.steps ?? '?'}` : ''}${t.number === sweep.best ? ' · ★ best trial' : ''}</small></h2>
    ${t.error ? `<p class="reason"><strong>${t.state === 'pruned' ? 'pruned' : t.state === 'failed' ? 'failed' : 'note'}:</strong> <span data-reason>${fmt.html(t.error)}</span></p>` : ''}
    ${partial ? `<p class="note">${fmt.html(partial)}</p>` : ''}
    <div class="trial-columns">
      <div><h3>Parameters</h3><table class="kv">${Object.entries(t.params).map(([k, v]) => `<tr><th>${fmt.html(k)}</th><td>${fmt.html(fmt.param(v))}</td></tr>`).join('')}</table>
        <h3>Run</h3><table class="kv">
          <tr><th>worker</th><td>${t.worker ?? '–'}</td></tr><tr><th>backend</th><td>${fmt.html(t.backend ?? '–')}</td></tr>
          <tr><th>started</th><td>${t.startedAt ? new Date(t.startedAt).toISOString().replace('T', ' ').slice(0, 19) : '–'}</td></tr>
          <tr><th>duration</th><td>${fmt.duration(t.startedAt !== null && t.finishedAt !== null ? t.finishedAt - t.startedAt : null)}</td></tr>
        </table>
        <h3>Final metrics</h3><table class="kv">${Object.entries(t.metrics).map(([k, v]) => `<tr><th>${fmt.html(k)}</th><td>${fmt.metric(v)}</td></tr>`).join('') || '<tr><td>none recorded</td></tr>'}</table>
      </div>
      <div class="trial-charts">${groups.map((_, i) => `<div class="chart" data-chart="trial-${i}"></div>`).join('') || '<p class="note">no evaluation recorded yet</p>'}</div>
    </div>
    <h3>Learned formula</h3>
    ${view.formula.ok ? `<pre class="formula">pred = ${fmt.html(view.formula.pred)}\nrounded: pred = ${fmt.html(view.formula.rounded)}</pre>` : `<p class="note">no formula: ${fmt.html(view.formula.reason)}</p>`}
    <h3>Re-run this trial</h3>
    <p>Save this as <code>${fmt.html(view.rerun.file)}</code> (<a data-download href="#">download</a>), then run:</p>
    <pre class="command">${fmt.html(view.rerun.command)}</pre>
    <details><summary>${fmt.html(view.rerun.file)}</summary><pre class="yaml">${fmt.html(view.rerun.yaml)}</pre></details>`;
  root.querySelector<HTMLAnchorElement>('[data-download]')!.addEventListener('click', (e) => {
    e.preventDefault();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([view.rerun.yaml], { type: 'text/yaml' }));
    link.download = view.rerun.file;
    link.click();
    URL.revokeObjectURL(link.href);
  });
  for (const key of Object.keys(charts)) if (key.startsWith('trial-')) delete charts[key];
  groups.forEach(([title, curves], i) => {
    const chart = echarts.init(root.querySelector<HTMLElement>(`[data-chart="trial-${i}"]`)!, undefined, { renderer: 'canvas' });
    const log = wantsLog(curves.flatMap(([, c]) => c.values));
    chart.setOption(curvesOption(title, curves, log, title === metric && sweep.pruner ? sweep.pruner.rungs : []));
    charts[`trial-${i}`] = chart;
  });
}

/** The sweep metric with its summaries (median, p90, max) in one chart; every other metric in its own. */
function metricGroups(metric: string, curves: Record<string, Curve>): [string, [string, Curve][]][] {
  const names = Object.keys(curves);
  const family = names.filter((n) => n === metric || n.startsWith(`${metric}.`)).sort((a, b) => (a === metric ? -1 : b === metric ? 1 : a.localeCompare(b)));
  const rest = names.filter((n) => !family.includes(n));
  return [...(family.length ? [[metric, family.map((n) => [n, curves[n]!])] as [string, [string, Curve][]]] : []), ...rest.map((n) => [n, [[n, curves[n]!]]] as [string, [string, Curve][]])];
}

export function renderNotFound(root: HTMLElement, what: string): void {
  root.innerHTML = `<p><a href="#/">← all trials</a></p><h2>Not found</h2><p class="note">${fmt.html(what)}</p>`;
}
