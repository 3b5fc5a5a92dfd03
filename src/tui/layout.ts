// How the screen is divided, from the terminal's size: which sections show and how many lines each
// gets. Everything fits in rows - 1 lines, so the terminal never scrolls (and ink never has to clear
// the whole screen, which flickers). Pure, so every size can be tested.

/** At this width and more, the table and the log sit on the left and the trial panel on the right. */
export const WIDE_COLUMNS = 120;

export interface Layout {
  columns: number;
  /** Lines the dashboard draws (the terminal's rows minus one). */
  height: number;
  wide: boolean;
  /** Width of the column holding the table and the log (all of it when not wide). */
  leftWidth: number;
  /** Width of the trial panel, lanes and importance column (all of it when not wide). */
  rightWidth: number;
  /** Trial rows in the table (besides its title and column header). */
  tableRows: number;
  /** Plot rows of the chart (0: no trial panel). */
  chartRows: number;
  /** Lines for the trial's parameters and details in the panel. */
  panelInfoRows: number;
  /** Worker lanes shown (0: no lanes section). */
  laneRows: number;
  /** Event log lines (0: no log section). */
  logRows: number;
  /** Importance bars (0: none). */
  importanceRows: number;
}

export interface LayoutInput {
  columns: number;
  rows: number;
  lanes: number;
  params: number;
  importance: number;
}

const HEADER = 2;
const FOOTER = 1;
/** Title line + column header. */
const TABLE_CHROME = 2;
const MIN_TABLE_ROWS = 2;

/** A section costs its lines plus one title line, or nothing when it has none. */
const section = (lines: number) => (lines > 0 ? lines + 1 : 0);
/** The panel: title, plot rows, x-axis row (params and details sit beside the chart when narrow). */
const panelLines = (chart: number, infoBelow: number) => (chart > 0 ? 1 + chart + 1 + infoBelow : 0);

export function computeLayout(input: LayoutInput): Layout {
  const columns = Math.max(20, input.columns);
  const height = Math.max(6, input.rows - 1);
  const budget = height - HEADER - FOOTER;
  if (columns >= WIDE_COLUMNS && height >= 20) return wideLayout(columns, height, budget, input);
  return narrowLayout(columns, height, budget, input);
}

function narrowLayout(columns: number, height: number, budget: number, input: LayoutInput): Layout {
  let chart = height >= 45 ? 10 : height >= 32 ? 7 : 4;
  let lanes = Math.min(input.lanes, height >= 32 ? 8 : 2);
  let log = height >= 40 ? 6 : height >= 28 ? 4 : 2;
  let importance = height >= 45 ? Math.min(input.importance, 5) : 0;
  const table = () => budget - TABLE_CHROME - panelLines(chart, 0) - section(lanes) - section(log) - section(importance);
  // Too short for everything: give up the least important sections first.
  while (table() < MIN_TABLE_ROWS) {
    if (importance > 0) importance = 0;
    else if (log > 1) log--;
    else if (lanes > 1) lanes--;
    else if (chart > 3) chart--;
    else if (log > 0) log = 0;
    else if (lanes > 0) lanes = 0;
    else if (chart > 0) chart = 0;
    else break;
  }
  return {
    columns,
    height,
    wide: false,
    leftWidth: columns,
    rightWidth: columns,
    tableRows: Math.max(1, table()),
    chartRows: chart,
    panelInfoRows: chart > 0 ? chart + 1 : 0,
    laneRows: lanes,
    logRows: log,
    importanceRows: importance,
  };
}

function wideLayout(columns: number, height: number, budget: number, input: LayoutInput): Layout {
  const rightWidth = Math.min(80, Math.max(50, Math.floor(columns * 0.42)));
  const leftWidth = columns - rightWidth - 1;
  const log = height >= 40 ? 8 : 4;
  const tableRows = budget - TABLE_CHROME - section(log);
  let lanes = Math.min(input.lanes, 8);
  let importance = Math.min(input.importance, 6);
  // The right column: lanes and importance get what they need, the panel the rest; its details
  // (state, step, parameters) get up to 10 lines below the chart, the chart at least 4 rows.
  const panelSpace = () => budget - section(lanes) - section(importance);
  while (panelSpace() < 10 && (importance > 0 || lanes > 1)) {
    if (importance > 0) importance--;
    else lanes--;
  }
  const forPanel = panelSpace();
  const info = Math.min(input.params + 2, 10, Math.max(2, forPanel - 2 - 4));
  const chart = Math.min(16, Math.max(3, forPanel - 2 - info));
  return {
    columns,
    height,
    wide: true,
    leftWidth,
    rightWidth,
    tableRows: Math.max(MIN_TABLE_ROWS, tableRows),
    chartRows: chart,
    panelInfoRows: info,
    laneRows: lanes,
    logRows: log,
    importanceRows: importance,
  };
}
