// A small line chart drawn with braille dots (2×4 dots per character cell), for validation curves.
// Metrics like rel_l1 span orders of magnitude, so the y axis is logarithmic whenever every value is
// positive; the caller says so next to the chart (ChartLines.logScale). Written here rather than
// taken from a package: the common ones (asciichart) plot one column per sample and have no log axis.
import type { CurvePoint } from './state.js';

export interface ChartLines {
  /** `height` plot rows (y labels on the left), then one row of x labels. */
  lines: string[];
  logScale: boolean;
}

// Dot bits of a braille cell, by [column][row] within the cell.
const DOTS = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
] as const;

/** A short number for an axis label: 3 significant digits, exponent form when tiny or huge. */
export function axisLabel(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e5) return value.toExponential(1).replace('e+', 'e');
  return String(Number(value.toPrecision(3)));
}

/**
 * Draws `points` (in step order) in a `width` × `height` character box, labels included. The x axis
 * runs from step 0 to `xMax` (or the last step, if larger), so a running trial's curve stops where it is.
 * Points with a null (NaN/Infinity) value leave a gap.
 */
export function lineChart(points: readonly CurvePoint[], options: { width: number; height: number; xMax?: number }): ChartLines {
  const height = Math.max(1, Math.floor(options.height));
  const finite = points.filter((p): p is { step: number; value: number } => p.value !== null && Number.isFinite(p.value));
  const logScale = finite.length > 0 && finite.every((p) => p.value > 0);
  const toY = (v: number) => (logScale ? Math.log10(v) : v);
  const fromY = (y: number) => (logScale ? 10 ** y : y);

  let lo = Math.min(...finite.map((p) => toY(p.value)));
  let hi = Math.max(...finite.map((p) => toY(p.value)));
  if (finite.length === 0) {
    lo = 0;
    hi = 1;
  } else if (hi === lo) {
    // A flat curve sits in the middle of a small band around its value.
    const pad = logScale ? 0.5 : Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }

  const dotRows = height * 4;
  const valueAtDotRow = (row: number) => fromY(hi - (row / (dotRows - 1)) * (hi - lo));
  const rowLabels = Array.from({ length: height }, (_, r) => {
    // Top and bottom rows carry the extremes; a middle row is labelled when the chart is tall enough.
    if (r === 0) return axisLabel(fromY(hi));
    if (r === height - 1) return axisLabel(fromY(lo));
    if (height >= 5 && r === Math.floor(height / 2)) return axisLabel(valueAtDotRow(r * 4 + 1.5));
    return '';
  });
  const labelWidth = Math.max(...rowLabels.map((l) => l.length), 1);
  const plotWidth = Math.max(2, Math.floor(options.width) - labelWidth - 1);
  const dotCols = plotWidth * 2;

  const cells = Array.from({ length: height }, () => new Array<number>(plotWidth).fill(0));
  const plot = (x: number, y: number) => {
    if (x < 0 || x >= dotCols || y < 0 || y >= dotRows) return;
    cells[Math.floor(y / 4)]![Math.floor(x / 2)]! |= DOTS[x % 2]![y % 4]!;
  };

  const lastStep = points.at(-1)?.step ?? 0;
  const xMax = Math.max(options.xMax ?? 0, lastStep, 1);
  const dotX = (step: number) => Math.round((step / xMax) * (dotCols - 1));
  const dotY = (value: number) => Math.round(((hi - toY(value)) / (hi - lo)) * (dotRows - 1));

  let previous: { x: number; y: number } | null = null;
  for (const point of points) {
    if (point.value === null || !Number.isFinite(point.value)) {
      previous = null;
      continue;
    }
    const here = { x: dotX(point.step), y: dotY(point.value) };
    if (previous) {
      // Join to the previous point: one dot per step along the longer axis.
      const n = Math.max(Math.abs(here.x - previous.x), Math.abs(here.y - previous.y), 1);
      for (let i = 0; i <= n; i++) {
        plot(Math.round(previous.x + ((here.x - previous.x) * i) / n), Math.round(previous.y + ((here.y - previous.y) * i) / n));
      }
    } else {
      plot(here.x, here.y);
    }
    previous = here;
  }

  const lines = cells.map((row, r) => {
    const label = rowLabels[r]!.padStart(labelWidth);
    const axis = rowLabels[r] ? '┤' : '│';
    return label + axis + row.map((bits) => (bits === 0 ? ' ' : String.fromCharCode(0x2800 + bits))).join('');
  });
  const left = '0';
  const right = `step ${xMax}`;
  const gap = Math.max(1, plotWidth - left.length - right.length);
  lines.push(' '.repeat(labelWidth + 1) + left + ' '.repeat(gap) + right);
  return { lines, logScale };
}
