// The sweep page: the filter bar and every view of the sweep, in one scrolling page. The DOM is
// built once; render() re-sets each chart's option when the data or the filter changes.
import type { ParameterAxis, SweepView, TrialRow, TrialState } from '../view-model.js';
import { echarts, type ECharts } from './echarts.js';
import { STATES, STATE_COLOURS, defaultFilter, filtered, wantsLog, type Filter } from './filter.js';
import { MAX_CURVES, MAX_SLICE_POINTS, axisValue, bestAndSample, curvesShown, historyOption, importanceOption, inputErrorOption, intermediateOption, parallelOption, sliceOption } from './charts.js';
import { TrialsTable } from './table.js';
import * as fmt from './format.js';

export class Overview {
  readonly charts: Record<string, ECharts> = {};
  /** Milliseconds each view took in the last render (read by the bench). */
  readonly timings: Record<string, number> = {};
  private view: SweepView | undefined;
  private readonly filter: Filter = defaultFilter();
  private historyBy: 'number' | 'time' = 'number';
  private logScale: boolean | undefined;
  private readonly brushIntervals = new Map<number, [number, number][]>();
  private table: TrialsTable;
  private layoutKey = '';

  /** `rendered` is called each time every view has been drawn. */
  constructor(
    private readonly root: HTMLElement,
    private readonly rendered: () => void = () => {},
  ) {
    root.innerHTML = `
      <section class="filters" aria-label="filter">
        <span class="label">show</span>
        ${STATES.map((s) => `<label class="state-toggle" style="--state:${STATE_COLOURS[s]}"><input type="checkbox" data-state="${s}" checked> ${s} <span class="n" data-count="${s}"></span></label>`).join('')}
        <span class="label">value</span>
        <input type="number" step="any" data-bound="min" placeholder="min" aria-label="minimum value">
        <span>to</span>
        <input type="number" step="any" data-bound="max" placeholder="max" aria-label="maximum value">
        <label class="toggle"><input type="checkbox" data-toggle="log"> log scale</label>
        <button type="button" data-action="reset">reset</button>
      </section>
      <section id="history"><h2>Optimisation history <span class="switch"><button type="button" data-by="number" class="on">by trial</button><button type="button" data-by="time">by time</button></span></h2><div class="chart" data-chart="history"></div></section>
      <section id="intermediate"><h2>Intermediate values <small class="pruner"></small></h2><div class="chart tall" data-chart="intermediate"></div></section>
      <section id="parallel"><h2>Parallel coordinates <small>drag along an axis to brush; the table shows the brushed trials</small> <button type="button" data-action="clear-brush" hidden>clear brush</button></h2><div class="chart tall" data-chart="parallel"></div></section>
      <section id="importance"><h2>Parameter importance <small class="importance-basis"></small></h2><div class="chart" data-chart="importance"></div></section>
      <section id="slices"><h2>Slices <small class="slices-note">the value against each parameter</small></h2><div class="grid slices"></div></section>
      <section id="choices"><h2>Which choices won <small>the categorical parameters, most important first</small></h2><div class="choices"></div></section>
      <section id="input-error"><h2>Where the best model fails <small class="input-error-note"></small></h2><div class="grid input-errors"></div></section>
      <section id="trials"><h2>Trials</h2><div class="trials-table"></div></section>`;
    this.table = new TrialsTable(root.querySelector('.trials-table')!);
    root.querySelector('.filters')!.addEventListener('change', (e) => this.onFilter(e.target as HTMLInputElement));
    root.querySelector('.filters')!.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).dataset['action'] === 'reset') this.resetFilter();
    });
    root.querySelector('#history .switch')!.addEventListener('click', (e) => {
      const by = (e.target as HTMLElement).dataset['by'] as 'number' | 'time' | undefined;
      if (!by) return;
      this.historyBy = by;
      for (const b of root.querySelectorAll<HTMLElement>('#history .switch button')) b.classList.toggle('on', b.dataset['by'] === by);
      void this.render();
    });
    root.querySelector('[data-action="clear-brush"]')!.addEventListener('click', () => {
      this.brushIntervals.clear();
      this.filter.brushed = null;
      void this.render();
    });
    window.addEventListener('resize', () => Object.values(this.charts).forEach((c) => c.resize()));
  }

  /** Resolves once every view has drawn (the ones below the first screen a moment after the rest). */
  show(view: SweepView): Promise<void> {
    this.view = view;
    return this.render();
  }

  private chart(name: string, element: HTMLElement): ECharts {
    let chart = this.charts[name];
    if (!chart || chart.getDom() !== element) {
      chart?.dispose();
      chart = echarts.init(element, undefined, { renderer: 'canvas' });
      this.charts[name] = chart;
    }
    return chart;
  }

  private onFilter(input: HTMLInputElement): void {
    if (input.dataset['state']) {
      const state = input.dataset['state'] as TrialState;
      if (input.checked) this.filter.states.add(state);
      else this.filter.states.delete(state);
    } else if (input.dataset['bound']) {
      const value = input.value === '' ? null : Number(input.value);
      this.filter[input.dataset['bound'] as 'min' | 'max'] = value !== null && Number.isFinite(value) ? value : null;
    } else if (input.dataset['toggle'] === 'log') {
      this.logScale = input.checked;
    }
    void this.render();
  }

  private resetFilter(): void {
    Object.assign(this.filter, defaultFilter());
    this.brushIntervals.clear();
    for (const input of this.root.querySelectorAll<HTMLInputElement>('.filters input[data-state]')) input.checked = true;
    for (const input of this.root.querySelectorAll<HTMLInputElement>('.filters input[data-bound]')) input.value = '';
    void this.render();
  }

  private rendering = 0;

  async render(): Promise<void> {
    const view = this.view;
    if (!view) return;
    const generation = ++this.rendering;
    const trials = filtered(view, this.filter);
    const log = this.logScale ?? wantsLog(view.trials.map((t) => t.value));
    const logBox = this.root.querySelector<HTMLInputElement>('[data-toggle="log"]')!;
    logBox.checked = log;
    for (const s of STATES) this.root.querySelector(`[data-count="${s}"]`)!.textContent = String(view.counts[s]);

    const set = (name: string, option: Record<string, unknown>) => {
      const start = performance.now();
      const element = this.root.querySelector<HTMLElement>(`[data-chart="${name}"]`)!;
      this.chart(name, element).setOption(option, { notMerge: true, lazyUpdate: false });
      this.timings[name] = performance.now() - start;
    };
    set('history', historyOption(view, trials, this.historyBy, log));
    const curves = curvesShown(view, trials);
    set('intermediate', intermediateOption(view, curves.shown, log));
    this.root.querySelector('.pruner')!.textContent =
      (curves.shown.length < curves.of ? `showing ${curves.shown.length} of ${curves.of} curves: the ${MAX_CURVES / 2} best and an even sample of the rest (filter by value to see others) · ` : '') +
      (view.pruner ? view.pruner.description : 'no pruner');

    const parallelStart = performance.now();
    const parallel = this.chart('parallel', this.root.querySelector<HTMLElement>('[data-chart="parallel"]')!);
    parallel.setOption(parallelOption(view, trials), { notMerge: true });
    this.timings['parallel'] = performance.now() - parallelStart;
    parallel.off('axisareaselected');
    parallel.on('axisareaselected', (event: unknown) => this.onBrush(view, event as { parallelAxisId?: string; intervals?: [number, number][] }));
    // A brush set before a data refresh stays: the axes are re-created, so re-apply its intervals.
    for (const [dim, intervals] of this.brushIntervals) {
      parallel.dispatchAction({ type: 'axisAreaSelect', parallelAxisId: axisId(parallel, dim), intervals });
    }
    this.root.querySelector<HTMLElement>('[data-action="clear-brush"]')!.hidden = this.filter.brushed === null;

    // The first screen is drawn; the browser paints it and takes input before the views below are drawn.
    // Milliseconds since the page's navigation started (performance.now's origin).
    this.timings['first-screen-at'] ??= performance.now();
    await new Promise((resolve) => setTimeout(resolve, 0));
    // A newer render (a filter change, live data) has started meanwhile: it draws the rest.
    if (generation !== this.rendering) return;

    set('importance', importanceOption(view));
    const basis = view.importance.withPruned.ok ? view.importance.withPruned : view.importance.complete;
    this.root.querySelector('.importance-basis')!.textContent = basis.ok
      ? `fANOVA · blue: ${view.importance.complete.ok ? view.importance.complete.basis : `complete trials only: ${view.importance.complete.reason}`} · orange: ${view.importance.withPruned.ok ? view.importance.withPruned.basis : view.importance.withPruned.reason}`
      : basis.reason;

    let start = performance.now();
    this.renderGrids(view, trials, log);
    this.timings['slices+input-error'] = performance.now() - start;
    start = performance.now();
    this.renderChoices(view, trials);
    this.timings['choices'] = performance.now() - start;
    start = performance.now();
    const tableRows = this.filter.brushed ? trials.filter((t) => this.filter.brushed!.has(t.number)) : trials;
    this.table.set(view, tableRows);
    this.timings['table'] = performance.now() - start;
    this.rendered();
  }

  private onBrush(view: SweepView, event: { parallelAxisId?: string; intervals?: [number, number][] }): void {
    const parallel = this.charts['parallel']!;
    const axes = (parallel.getOption() as { parallelAxis: { id: string; dim: number }[] }).parallelAxis;
    const dim = axes.find((a) => a.id === event.parallelAxisId)?.dim;
    if (dim === undefined) return;
    if (event.intervals && event.intervals.length > 0) this.brushIntervals.set(dim, event.intervals);
    else this.brushIntervals.delete(dim);
    this.filter.brushed = this.brushIntervals.size === 0 ? null : brushedTrials(view, this.brushIntervals);
    this.root.querySelector<HTMLElement>('[data-action="clear-brush"]')!.hidden = this.filter.brushed === null;
    const trials = filtered(view, this.filter);
    this.table.set(view, this.filter.brushed ? trials.filter((t) => this.filter.brushed!.has(t.number)) : trials);
  }

  private renderGrids(view: SweepView, trials: TrialRow[], log: boolean): void {
    const slices = this.root.querySelector<HTMLElement>('.slices')!;
    const inputErrors = this.root.querySelector<HTMLElement>('.input-errors')!;
    const key = `${view.parameters.map((p) => p.path).join()}|${view.inputError.ok ? view.inputError.variables.map((v) => v.name).join() : ''}`;
    if (key !== this.layoutKey) {
      this.layoutKey = key;
      slices.innerHTML = view.parameters.map((_, i) => `<div class="chart small" data-chart="slice-${i}"></div>`).join('');
      inputErrors.innerHTML = view.inputError.ok ? view.inputError.variables.map((_, i) => `<div class="chart small" data-chart="input-error-${i}"></div>`).join('') : '';
    }
    const points = bestAndSample(view, trials.filter((t) => t.value !== null), MAX_SLICE_POINTS);
    this.root.querySelector('.slices-note')!.textContent =
      points.shown.length < points.of ? `the value against each parameter: ${points.shown.length} of ${points.of} trials, the ${MAX_SLICE_POINTS / 2} best and an even sample of the rest` : 'the value against each parameter';
    view.parameters.forEach((axis, i) => {
      const element = slices.querySelector<HTMLElement>(`[data-chart="slice-${i}"]`)!;
      this.chart(`slice-${i}`, element).setOption(sliceOption(view, axis, points.shown, log), { notMerge: true });
    });
    const note = this.root.querySelector('.input-error-note')!;
    if (view.inputError.ok) {
      const ie = view.inputError;
      note.textContent = `trial ${ie.trial}'s per-point ${ie.metric} on the ${ie.points} validation points against each input (a sample of points, and the median in ${ie.variables[0]?.bins.length ?? 0} equal-count bins, red)`;
      ie.variables.forEach((_, i) => {
        const element = inputErrors.querySelector<HTMLElement>(`[data-chart="input-error-${i}"]`)!;
        this.chart(`input-error-${i}`, element).setOption(inputErrorOption(ie, i), { notMerge: true });
      });
    } else {
      note.textContent = view.inputError.reason;
    }
  }

  private renderChoices(view: SweepView, trials: TrialRow[]): void {
    const importance = view.importance.withPruned.ok ? view.importance.withPruned : view.importance.complete;
    const rank = new Map(importance.ok ? importance.importances.map((i, r) => [i.parameter, r]) : []);
    const categorical = view.parameters
      .filter((p): p is ParameterAxis & { kind: 'categorical' } => p.kind === 'categorical' && p.choices.length > 1)
      .sort((a, b) => (rank.get(a.path) ?? 99) - (rank.get(b.path) ?? 99));
    const better = (a: number, b: number) => (view.sweep.goal === 'minimize' ? a < b : a > b);
    const html = categorical.map((axis) => {
      const groups = axis.choices.map((choice) => {
        const members = trials.filter((t) => axisValue(axis, t.params[axis.path]) === choice);
        const complete = members.filter((t) => t.state === 'complete' && t.value !== null).map((t) => t.value!).sort((a, b) => a - b);
        let best: TrialRow | undefined;
        for (const t of members) if (t.state === 'complete' && t.value !== null && (!best || better(t.value, best.value!))) best = t;
        return {
          choice,
          trials: members.length,
          complete: complete.length,
          pruned: members.filter((t) => t.state === 'pruned').length,
          median: complete.length ? complete[Math.floor(complete.length / 2)]! : null,
          best,
        };
      });
      const winner = groups.reduce<(typeof groups)[number] | undefined>((w, g) => (g.best && (!w?.best || better(g.best.value!, w.best.value!)) ? g : w), undefined);
      const share = importance.ok ? importance.importances.find((i) => i.parameter === axis.path)?.importance : undefined;
      return `<table class="choice-table"><caption>${fmt.html(axis.path)}${share !== undefined ? ` <small>importance ${share.toFixed(3)}</small>` : ''}</caption>
        <colgroup><col class="choice-col"><col><col><col><col><col></colgroup>
        <thead><tr><th>choice</th><th>trials</th><th>complete</th><th>pruned</th><th>median</th><th>best</th></tr></thead><tbody>
        ${groups
          .map(
            (g) => `<tr class="${g === winner ? 'winner' : ''}"><td class="choice" title="${fmt.html(g.choice)}">${fmt.html(g.choice)}</td><td>${g.trials}</td><td>${g.complete}</td><td>${g.pruned}</td><td>${fmt.metric(g.median)}</td>
              <td>${g.best ? `<a href="#/trial/${g.best.number}">${fmt.metric(g.best.value)}</a>` : '–'}</td></tr>`,
          )
          .join('')}</tbody></table>`;
    });
    this.root.querySelector('.choices')!.innerHTML = html.join('') || '<p class="note">the sweep has no categorical parameter with more than one choice</p>';
  }
}

function axisId(chart: ECharts, dim: number): string | undefined {
  return (chart.getOption() as { parallelAxis: { id: string; dim: number }[] }).parallelAxis.find((a) => a.dim === dim)?.id;
}

/** Trials inside every brushed axis interval (category axes brush category indices). */
function brushedTrials(view: SweepView, brush: Map<number, [number, number][]>): Set<number> {
  const chosen = new Set<number>();
  for (const t of view.trials) {
    if (t.value === null) continue;
    let inside = true;
    for (const [dim, intervals] of brush) {
      const axis = view.parameters[dim];
      let position: number | null;
      if (!axis) position = t.value;
      else if (axis.kind === 'categorical') position = axis.choices.indexOf(String(axisValue(axis, t.params[axis.path])));
      else position = axisValue(axis, t.params[axis.path]) as number | null;
      if (position === null || !intervals.some(([low, high]) => position! >= low && position! <= high)) {
        inside = false;
        break;
      }
    }
    if (inside) chosen.add(t.number);
  }
  return chosen;
}
