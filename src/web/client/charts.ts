// One ECharts option per view, built from the sweep view and the filter. Pure: main.ts owns the
// chart instances and calls these whenever the data or the filter changes.
import type { Curve, InputErrorView, ParameterAxis, SweepView, TrialRow } from '../view-model.js';
import { STATE_COLOURS, wantsLog } from './filter.js';
import * as fmt from './format.js';

// ECharts' option type is large and loose; these builders return plain objects it accepts.
type Option = Record<string, unknown>;

const GRID = { left: 64, right: 24, top: 36, bottom: 48, containLabel: false };
const AXIS_NAME = { nameLocation: 'middle', nameGap: 30, nameTextStyle: { color: '#555' } };
const better = (goal: SweepView['sweep']['goal'], a: number, b: number) => (goal === 'minimize' ? a < b : a > b);

function valueAxis(name: string, log: boolean): Option {
  return { type: log ? 'log' : 'value', name: log ? `${name} (log)` : name, ...AXIS_NAME, nameGap: 48, scale: true, axisLabel: { formatter: (v: number) => fmt.metric(v) } };
}

/** 1. Value per trial (by number or by finish time), best so far, pruned and failed marked. */
export function historyOption(view: SweepView, trials: readonly TrialRow[], by: 'number' | 'time', log: boolean): Option {
  const x = (t: TrialRow) => (by === 'number' ? t.number : (t.finishedAt ?? t.startedAt ?? 0));
  const withValue = trials.filter((t) => t.value !== null && (t.state === 'complete' || t.state === 'pruned'));
  const series: Option[] = [];
  for (const state of ['complete', 'pruned'] as const) {
    series.push({
      name: state,
      type: 'scatter',
      symbolSize: state === 'complete' ? 6 : 5,
      large: true,
      itemStyle: { color: STATE_COLOURS[state], opacity: state === 'pruned' ? 0.6 : 0.85 },
      data: withValue.filter((t) => t.state === state).map((t) => [x(t), t.value, t.number]),
    });
  }
  // Best so far over complete trials, in the order of the x axis.
  const ordered = trials.filter((t) => t.state === 'complete' && t.value !== null && (by === 'number' || t.finishedAt !== null)).sort((a, b) => x(a) - x(b));
  const bestLine: [number, number][] = [];
  let best: number | undefined;
  for (const t of ordered) {
    if (best === undefined || better(view.sweep.goal, t.value!, best)) best = t.value!;
    bestLine.push([x(t), best]);
  }
  series.push({ name: 'best so far', type: 'line', step: 'end', showSymbol: false, lineStyle: { width: 2, color: '#111' }, itemStyle: { color: '#111' }, data: bestLine });
  // Failed trials have no value: marks along the bottom edge, on an axis of their own.
  series.push({
    name: 'failed',
    type: 'scatter',
    yAxisIndex: 1,
    symbol: 'triangle',
    symbolSize: 8,
    itemStyle: { color: STATE_COLOURS.failed },
    data: trials.filter((t) => t.state === 'failed').map((t) => [x(t), 0.03, t.number]),
  });
  return {
    animation: false,
    grid: { ...GRID, left: 72 },
    legend: { top: 4 },
    tooltip: { trigger: 'item', formatter: (p: { seriesName: string; data: [number, number, number?] }) => tooltipFor(view, p) },
    dataZoom: [{ type: 'inside' }],
    xAxis: by === 'number' ? { type: 'value', name: 'trial', ...AXIS_NAME, min: 0 } : { type: 'time', name: 'finished at', ...AXIS_NAME },
    yAxis: [valueAxis(view.sweep.metric, log), { type: 'value', min: 0, max: 1, show: false }],
    series,
  };
}

function tooltipFor(view: SweepView, p: { seriesName: string; data: [number, number, number?] }): string {
  const number = p.data[2];
  if (number === undefined) return `${p.seriesName}: ${fmt.metric(p.data[1])}`;
  const trial = view.trials.find((t) => t.number === number);
  return `trial ${number} · ${trial?.state ?? ''}<br>${view.sweep.metric} ${fmt.metric(trial?.value)}${trial?.error ? `<br>${fmt.html(trial.error.slice(0, 160))}` : ''}`;
}

/** The sweep metric's curve of trial `number`, with its steps. */
export function sweepCurve(view: SweepView, number: number): Curve | undefined {
  const curve = view.curves[number];
  return curve ? { steps: view.stepSets[curve.stepSet]!, values: curve.values } : undefined;
}

/**
 * Curves drawn at most: past this, the best MAX_CURVES/2 by value and an even sample of the rest
 * (the chart says so). Ten thousand polylines take seconds to draw and show no more than these.
 */
export const MAX_CURVES = 1500;

/** Points per slice plot at most, chosen as the curves are. */
export const MAX_SLICE_POINTS = 3000;

/** Which trials' curves the intermediate-values chart draws, and how many there were. */
export function curvesShown(view: SweepView, trials: readonly TrialRow[]): { shown: TrialRow[]; of: number } {
  return bestAndSample(view, trials.filter((t) => view.curves[t.number] !== undefined), MAX_CURVES);
}

/** At most `max` of `trials`: all of them, or the best max/2 by value and an even sample of the rest, by number. */
export function bestAndSample(view: SweepView, trials: readonly TrialRow[], max: number): { shown: TrialRow[]; of: number } {
  if (trials.length <= max) return { shown: [...trials], of: trials.length };
  const sign = view.sweep.goal === 'minimize' ? 1 : -1;
  const ranked = trials.filter((t) => t.value !== null).sort((a, b) => sign * (a.value! - b.value!));
  const best = new Set(ranked.slice(0, max / 2));
  const rest = trials.filter((t) => !best.has(t));
  const stride = rest.length / (max - best.size);
  const sample = Array.from({ length: max - best.size }, (_, i) => rest[Math.floor(i * stride)]!);
  return { shown: [...best, ...sample].sort((a, b) => a.number - b.number), of: trials.length };
}

/** 2. Every trial's validation curve (up to MAX_CURVES); pruned ones end at their rung; the rungs drawn. */
export function intermediateOption(view: SweepView, trials: readonly TrialRow[], log: boolean): Option {
  const series: Option[] = [];
  // A lines series does not widen the axes to its data: the extent is computed here.
  let low = Infinity;
  let high = -Infinity;
  let lastStep = 0;
  for (const state of ['complete', 'pruned', 'running', 'failed'] as const) {
    const lines: { coords: [number, number][]; number: number }[] = [];
    for (const t of trials) {
      if (t.state !== state) continue;
      const curve = sweepCurve(view, t.number);
      if (!curve) continue;
      const coords = points(curve, log);
      // A polyline needs two points: a trial evaluated once is drawn as a dot on its own.
      if (coords.length === 1) coords.push(coords[0]!);
      for (const [step, value] of coords) {
        low = Math.min(low, value);
        high = Math.max(high, value);
        lastStep = Math.max(lastStep, step);
      }
      if (coords.length > 0) lines.push({ coords, number: t.number });
    }
    series.push({
      name: state,
      type: 'lines',
      coordinateSystem: 'cartesian2d',
      polyline: true,
      large: lines.length > 2000,
      largeThreshold: 2000,
      lineStyle: { color: STATE_COLOURS[state], width: 1, opacity: state === 'complete' ? 0.7 : 0.35 },
      data: lines,
    });
  }
  if (view.pruner && view.pruner.rungs.length > 0) {
    series.push({
      name: 'rungs',
      type: 'line',
      data: [],
      markLine: {
        symbol: 'none',
        silent: true,
        lineStyle: { color: '#888', type: 'dashed' },
        label: { formatter: 'rung {c}', color: '#666' },
        data: view.pruner.rungs.map((r) => ({ xAxis: r })),
      },
    });
  }
  return {
    animation: false,
    grid: { ...GRID, left: 72 },
    legend: { top: 4, data: ['complete', 'pruned', 'running', 'failed'] },
    tooltip: { trigger: 'item', formatter: (p: { data?: { number?: number } }) => (p.data?.number !== undefined ? `trial ${p.data.number}` : '') },
    xAxis: { type: 'value', name: 'step', ...AXIS_NAME, min: 0, max: Math.max(lastStep, ...(view.pruner?.rungs ?? [])) || 1 },
    yAxis: { ...valueAxis(`validation ${view.sweep.metric}`, log), ...extent(low, high, log) },
    series,
  };
}

/** Axis bounds around [low, high] with a little room (log: to whole decades). */
function extent(low: number, high: number, log: boolean): { min?: number; max?: number } {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return {};
  if (log) return { min: 10 ** Math.floor(Math.log10(low)), max: 10 ** Math.ceil(Math.log10(high)) };
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  return { min: low - pad, max: high + pad };
}

function points(curve: Curve, log: boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < curve.steps.length; i++) {
    const v = curve.values[i];
    if (v === null || v === undefined || !Number.isFinite(v) || (log && v <= 0)) continue;
    out.push([curve.steps[i]!, v]);
  }
  return out;
}

/** The value of a parameter as a position on its axis: a category's index, a number as it is. */
export function axisValue(axis: ParameterAxis, value: unknown): number | string | null {
  if (axis.kind === 'categorical') return typeof value === 'string' ? value : JSON.stringify(value);
  return typeof value === 'number' ? value : null;
}

/** 3. Parallel coordinates over the parameters and the value, coloured by value; axes brushable. */
export function parallelOption(view: SweepView, trials: readonly TrialRow[]): Option {
  const axes = view.parameters;
  const valued = trials.filter((t) => t.value !== null);
  const log = wantsLog(valued.map((t) => t.value));
  const values = valued.map((t) => t.value!);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const parallelAxis = [
    ...axes.map((axis, dim) =>
      axis.kind === 'categorical'
        ? { dim, name: short(axis.path), type: 'category', data: axis.choices.map(shortChoice) }
        : { dim, name: short(axis.path), type: axis.log ? 'log' : 'value', min: axis.low, max: axis.high, axisLabel: { formatter: (v: number) => fmt.param(v) } },
    ),
    { dim: axes.length, name: view.sweep.metric, type: log ? 'log' : 'value', scale: true, axisLabel: { formatter: (v: number) => fmt.metric(v) } },
  ];
  const data = valued.map((t) => ({
    value: [...axes.map((axis) => {
      const v = axisValue(axis, t.params[axis.path]);
      return axis.kind === 'categorical' ? shortChoice(String(v)) : v;
    }), t.value!],
    number: t.number,
  }));
  return {
    animation: false,
    parallel: { left: 40, right: 90, top: 56, bottom: 28, parallelAxisDefault: { nameLocation: 'start', nameGap: 18, nameTextStyle: { fontSize: 11, color: '#333' }, areaSelectStyle: { width: 14 } } },
    parallelAxis,
    visualMap: {
      type: 'continuous',
      dimension: axes.length,
      min: Number.isFinite(low) ? low : 0,
      max: Number.isFinite(high) ? high : 1,
      // Better values in dark blue, whichever the goal.
      inRange: { color: view.sweep.goal === 'minimize' ? ['#08306b', '#4292c6', '#c6dbef', '#fdae6b', '#d94801'] : ['#d94801', '#fdae6b', '#c6dbef', '#4292c6', '#08306b'] },
      right: 4,
      top: 'middle',
      itemHeight: 160,
      calculable: false,
      text: [fmt.metric(high), fmt.metric(low)],
      ...(log ? { formatter: (v: number) => fmt.metric(v) } : {}),
    },
    series: [{ name: 'trials', type: 'parallel', lineStyle: { width: 1, opacity: 0.45 }, progressive: 1000, inactiveOpacity: 0.03, activeOpacity: 0.9, data }],
  };
}

const short = (pathName: string) => pathName.replace(/^(model|training)\./, '');
/** Long categorical choices (formulas) shortened for an axis label; the table and trial page show them whole. */
export const shortChoice = (choice: string) => (choice.length > 22 ? `${choice.slice(0, 20)}…` : choice);

/** 4a. fANOVA importance: over complete trials, and with pruned trials at their stopping value. */
export function importanceOption(view: SweepView): Option {
  const { complete, withPruned } = view.importance;
  const source = withPruned.ok ? withPruned : complete;
  const order = source.ok ? [...source.importances].reverse().map((i) => i.parameter) : view.parameters.map((p) => p.path);
  const series: Option[] = [];
  for (const [name, result] of [['complete trials', complete], ['complete + pruned at their rung', withPruned]] as const) {
    if (!result.ok) continue;
    const by = new Map(result.importances.map((i) => [i.parameter, i.importance]));
    series.push({ name, type: 'bar', data: order.map((p) => Number((by.get(p) ?? 0).toFixed(4))), label: { show: true, position: 'right', formatter: (p: { value: number }) => p.value.toFixed(3), fontSize: 10 } });
  }
  return {
    animation: false,
    grid: { left: 140, right: 48, top: 36, bottom: 32 },
    legend: { top: 4 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: 'importance (sums to 1)', ...AXIS_NAME, max: 1 },
    yAxis: { type: 'category', data: order.map(short) },
    color: ['#3b6fd4', '#e8962e'],
    series,
  };
}

/** 4b. Slice plot: the value against one parameter, complete and pruned trials. */
export function sliceOption(view: SweepView, axis: ParameterAxis, trials: readonly TrialRow[], log: boolean): Option {
  const series = (['complete', 'pruned'] as const).map((state) => ({
    name: state,
    type: 'scatter',
    symbolSize: 5,
    large: true,
    itemStyle: { color: STATE_COLOURS[state], opacity: 0.6 },
    data: trials
      .filter((t) => t.state === state && t.value !== null)
      .map((t) => {
        const v = axisValue(axis, t.params[axis.path]);
        return [axis.kind === 'categorical' ? shortChoice(String(v)) : v, t.value, t.number];
      }),
  }));
  return {
    animation: false,
    title: { text: axis.path, left: 'center', textStyle: { fontSize: 12, fontWeight: 'normal' } },
    grid: { left: 56, right: 12, top: 30, bottom: axis.kind === 'categorical' ? 60 : 28 },
    tooltip: { trigger: 'item', formatter: (p: { seriesName: string; data: [number, number, number?] }) => tooltipFor(view, p) },
    xAxis:
      axis.kind === 'categorical'
        ? { type: 'category', data: axis.choices.map(shortChoice), axisLabel: { rotate: axis.choices.some((c) => c.length > 6) ? 30 : 0, fontSize: 10, interval: 0 } }
        : { type: axis.log ? 'log' : 'value', min: axis.low, max: axis.high, axisLabel: { formatter: (v: number) => fmt.param(v), fontSize: 10 } },
    yAxis: { type: log ? 'log' : 'value', scale: true, axisLabel: { formatter: (v: number) => fmt.metric(v), fontSize: 10 } },
    series,
  };
}

/** 7b. The best kept model's error against one input variable: sampled points and binned medians. */
export function inputErrorOption(view: InputErrorView & { ok: true }, index: number): Option {
  const variable = view.variables[index]!;
  const log = wantsLog(variable.error);
  return {
    animation: false,
    title: { text: variable.name, left: 'center', textStyle: { fontSize: 12, fontWeight: 'normal' } },
    grid: { left: 56, right: 12, top: 30, bottom: 28 },
    xAxis: { type: variable.log ? 'log' : 'value', scale: true, axisLabel: { formatter: (v: number) => fmt.param(v), fontSize: 10 } },
    yAxis: { type: log ? 'log' : 'value', scale: true, axisLabel: { formatter: (v: number) => fmt.metric(v), fontSize: 10 } },
    series: [
      { name: 'validation points', type: 'scatter', symbolSize: 3, large: true, itemStyle: { color: '#3b6fd4', opacity: 0.35 }, data: variable.x.map((x, i) => [x, variable.error[i]]).filter((p) => !log || (p[1] as number) > 0) },
      { name: 'median in bin', type: 'line', showSymbol: false, lineStyle: { color: '#d43b3b', width: 2 }, data: variable.bins.filter((b) => !log || b.median > 0).map((b) => [b.x, b.median]) },
    ],
  };
}

/** Trial page: one metric group's curves (e.g. rel_l1 with its median/p90/max). */
export function curvesOption(title: string, curves: [string, Curve][], log: boolean, rungs: number[]): Option {
  return {
    animation: false,
    title: { text: title, left: 'center', textStyle: { fontSize: 13, fontWeight: 'normal' } },
    grid: { left: 64, right: 16, top: 64, bottom: 32 },
    legend: { top: 20, type: 'scroll' },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt.metric(v) },
    xAxis: { type: 'value', name: 'step', min: 0, ...AXIS_NAME, nameGap: 22 },
    yAxis: { type: log ? 'log' : 'value', scale: true, axisLabel: { formatter: (v: number) => fmt.metric(v) } },
    series: curves.map(([name, curve], i) => ({
      name,
      type: 'line',
      showSymbol: curve.steps.length < 30,
      symbolSize: 4,
      data: points(curve, log),
      ...(i === 0 && rungs.length ? { markLine: { symbol: 'none', silent: true, lineStyle: { color: '#888', type: 'dashed' }, label: { formatter: 'rung {c}' }, data: rungs.map((r) => ({ xAxis: r })) } } : {}),
    })),
  };
}
