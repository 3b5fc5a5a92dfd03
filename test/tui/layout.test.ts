// The screen plan: every size fits in rows - 1 lines, with the table always present.
import { describe, expect, it } from 'vitest';
import { computeLayout, WIDE_COLUMNS, type Layout } from '../../src/tui/layout.js';

/** Lines each column of the plan takes (header 2, footer 1, each section its lines + a title). */
function used(layout: Layout): { left: number; right: number } {
  const section = (n: number) => (n > 0 ? n + 1 : 0);
  const table = 2 + layout.tableRows;
  if (!layout.wide) {
    const panel = layout.chartRows > 0 ? layout.chartRows + 2 : 0;
    const all = 3 + table + panel + section(layout.laneRows) + section(layout.logRows) + section(layout.importanceRows);
    return { left: all, right: all };
  }
  const panel = layout.chartRows + 2 + layout.panelInfoRows;
  return { left: 3 + table + section(layout.logRows), right: 3 + panel + section(layout.laneRows) + section(layout.importanceRows) };
}

describe('computeLayout', () => {
  const sizes = [
    [80, 24],
    [80, 16],
    [60, 12],
    [100, 40],
    [119, 50],
    [120, 30],
    [160, 50],
    [240, 70],
    [200, 20],
  ] as const;

  for (const [columns, rows] of sizes) {
    for (const lanes of [1, 2, 16]) {
      it(`fits ${columns}×${rows} with ${lanes} workers`, () => {
        const layout = computeLayout({ columns, rows, lanes, params: 8, importance: 5 });
        expect(layout.height).toBe(rows - 1);
        const { left, right } = used(layout);
        expect(left).toBeLessThanOrEqual(layout.height);
        expect(right).toBeLessThanOrEqual(layout.height);
        expect(layout.tableRows).toBeGreaterThanOrEqual(1);
        expect(layout.wide).toBe(columns >= WIDE_COLUMNS && rows >= 21);
        if (layout.wide) expect(layout.leftWidth + 1 + layout.rightWidth).toBe(columns);
      });
    }
  }

  it('shows the chart, lanes and log on a standard 80×24 terminal', () => {
    const layout = computeLayout({ columns: 80, rows: 24, lanes: 2, params: 8, importance: 0 });
    expect(layout).toMatchObject({ wide: false, chartRows: 4, laneRows: 2, logRows: 2 });
    expect(layout.tableRows).toBeGreaterThanOrEqual(5);
  });

  it('puts the panel beside the table on wide screens and gives the table the height', () => {
    const layout = computeLayout({ columns: 160, rows: 50, lanes: 2, params: 8, importance: 0 });
    expect(layout.wide).toBe(true);
    expect(layout.tableRows).toBeGreaterThan(30);
    expect(layout.chartRows).toBeGreaterThanOrEqual(10);
  });
});
