// The braille line chart: scale choice, labels, size, and that dots land where the values are.
import { describe, expect, it } from 'vitest';
import { axisLabel, lineChart } from '../../src/tui/chart.js';

/** For each character column of the plot, the lowest dot row (0 = top) holding a dot, or -1. */
function dotRows(lines: string[], labelWidth: number): number[] {
  const plot = lines.slice(0, -1).map((l) => [...l.slice(labelWidth + 1)]);
  const width = Math.max(...plot.map((r) => r.length));
  const rows: number[] = [];
  for (let c = 0; c < width; c++) {
    let found = -1;
    plot.forEach((row, r) => {
      const code = (row[c] ?? ' ').codePointAt(0)! - 0x2800;
      if (code > 0 && code <= 0xff) found = r;
    });
    rows.push(found);
  }
  return rows;
}

describe('lineChart', () => {
  const decaying = [20, 40, 60, 80, 100].map((step, i) => ({ step, value: 10 ** (1 - i) })); // 10 … 0.001

  it('uses a log scale for positive values and labels the extremes', () => {
    const chart = lineChart(decaying, { width: 40, height: 6 });
    expect(chart.logScale).toBe(true);
    expect(chart.lines).toHaveLength(7);
    expect(chart.lines[0]).toMatch(/^\s*10┤/);
    expect(chart.lines[5]).toMatch(/^\s*0\.001┤/);
    // On a log axis the middle label is the geometric middle, not the arithmetic one.
    expect(chart.lines[3]).toMatch(/^\s*(0\.\d+|\d(\.\d+)?)┤/);
    expect(Number(chart.lines[3]!.split('┤')[0])).toBeLessThan(1);
    expect(chart.lines[6]).toMatch(/^\s+0\s+step 100$/);
  });

  it('uses a linear scale when a value is zero or negative', () => {
    const chart = lineChart(
      [
        { step: 1, value: -1 },
        { step: 2, value: 1 },
      ],
      { width: 20, height: 3 },
    );
    expect(chart.logScale).toBe(false);
    expect(chart.lines[0]).toMatch(/^ *1┤/);
    expect(chart.lines[2]).toMatch(/^-1┤/);
  });

  it('fits the width exactly and draws a falling curve top-left to bottom-right', () => {
    const chart = lineChart(decaying, { width: 40, height: 6 });
    for (const line of chart.lines.slice(0, -1)) expect([...line]).toHaveLength(40);
    const labelWidth = chart.lines[0]!.indexOf('┤');
    const rows = dotRows(chart.lines, labelWidth).filter((r) => r >= 0);
    expect(rows.length).toBeGreaterThan(20);
    expect(rows[0]).toBe(0);
    expect(rows.at(-1)).toBe(5);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!).toBeGreaterThanOrEqual(rows[i - 1]!);
  });

  it('places points by step over 0..xMax, so a running trial stops part-way', () => {
    const chart = lineChart(
      [
        { step: 10, value: 2 },
        { step: 20, value: 1 },
      ],
      { width: 42, height: 4, xMax: 100 },
    );
    const labelWidth = chart.lines[0]!.indexOf('┤');
    const columns = dotRows(chart.lines, labelWidth);
    const last = columns.map((r, c) => (r >= 0 ? c : -1)).filter((c) => c >= 0).at(-1)!;
    expect(last).toBeLessThan(columns.length * 0.25);
    expect(chart.lines.at(-1)).toMatch(/step 100$/);
  });

  it('leaves a gap at a NaN evaluation and copes with one point or a flat curve', () => {
    const gap = lineChart(
      [
        { step: 10, value: 1 },
        { step: 50, value: null },
        { step: 90, value: 1e-3 },
      ],
      { width: 30, height: 4 },
    );
    const labelWidth = gap.lines[0]!.indexOf('┤');
    const drawn = dotRows(gap.lines, labelWidth).filter((r) => r >= 0);
    expect(drawn.length).toBe(2);
    expect(lineChart([{ step: 5, value: 3 }], { width: 20, height: 3 }).lines.join('')).toMatch(/[\u2801-\u28ff]/);
    const flat = lineChart(
      [
        { step: 5, value: 3 },
        { step: 10, value: 3 },
      ],
      { width: 20, height: 3 },
    );
    expect(flat.lines.slice(0, 3).join('\n')).toMatch(/[\u2801-\u28ff]/);
  });
});

describe('axisLabel', () => {
  it('writes 3 significant digits, exponents when tiny or huge', () => {
    expect(axisLabel(0.123456)).toBe('0.123');
    expect(axisLabel(4.1e-6)).toBe('4.1e-6');
    expect(axisLabel(123456)).toBe('1.2e5');
    expect(axisLabel(0)).toBe('0');
  });
});
