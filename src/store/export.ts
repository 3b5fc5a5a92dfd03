// Flat, one-row-per-trial tables of a sweep (for `sweepdeck export`), and their CSV form.
import type { ReadStore, TrialSummary } from './read.js';

export type ExportValue = string | number | null;
export type ExportRow = Record<string, ExportValue>;

const LEADING_COLUMNS = ['number', 'state', 'value'];
const TRAILING_COLUMNS = ['step', 'backend', 'worker', 'error', 'started_at', 'finished_at', 'duration_s'];

/**
 * Every trial by number: number, state, value, `param.<path>` for each parameter (objects and
 * arrays JSON-encoded), `metric.<name>` for each metric's final value, then step, backend,
 * worker, error, started_at, finished_at, duration_s. Every row has every column (null where a
 * trial has no such parameter or metric).
 */
export async function exportRows(store: ReadStore): Promise<ExportRow[]> {
  const flat = (await store.trials()).map(flattenTrial);
  const columns = columnOrder(flat);
  return flat.map((row) => Object.fromEntries(columns.map((column) => [column, row[column] ?? null])));
}

/** RFC 4180 CSV: a header row with the union of the rows' columns, CRLF line ends, quotes only where needed. */
export function toCsv(rows: readonly ExportRow[]): string {
  const columns = columnOrder(rows);
  const lines = [columns.map(csvField), ...rows.map((row) => columns.map((column) => csvField(row[column] ?? null)))];
  return lines.map((fields) => fields.join(',') + '\r\n').join('');
}

function flattenTrial(trial: TrialSummary): ExportRow {
  const row: ExportRow = { number: trial.number, state: trial.state, value: trial.value };
  for (const [path, value] of Object.entries(trial.params)) row[`param.${path}`] = exportValue(value);
  for (const [name, value] of Object.entries(trial.metrics)) row[`metric.${name}`] = value;
  row.step = trial.step;
  row.backend = trial.backend;
  row.worker = trial.worker;
  row.error = trial.error;
  row.started_at = trial.startedAt;
  row.finished_at = trial.finishedAt;
  row.duration_s = durationSeconds(trial.startedAt, trial.finishedAt);
  return row;
}

function exportValue(value: unknown): ExportValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? null;
}

function durationSeconds(startedAt: string | null, finishedAt: string | null): number | null {
  if (startedAt === null || finishedAt === null) return null;
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/**
 * The union of the rows' columns in a stable order: the fixed leading columns, parameters, metrics,
 * the fixed trailing columns, then anything else; within a group, in order of first appearance.
 */
function columnOrder(rows: readonly ExportRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const column of Object.keys(row)) seen.add(column);
  const group = (column: string): number => {
    if (LEADING_COLUMNS.includes(column)) return 0;
    if (column.startsWith('param.')) return 1;
    if (column.startsWith('metric.')) return 2;
    if (TRAILING_COLUMNS.includes(column)) return 3;
    return 4;
  };
  const fixedRank = (column: string): number => {
    const leading = LEADING_COLUMNS.indexOf(column);
    return leading >= 0 ? leading : TRAILING_COLUMNS.indexOf(column);
  };
  const firstSeen = [...seen];
  return firstSeen
    .map((column, index) => ({ column, index }))
    .sort((a, b) => {
      const byGroup = group(a.column) - group(b.column);
      if (byGroup !== 0) return byGroup;
      if (group(a.column) === 0 || group(a.column) === 3) return fixedRank(a.column) - fixedRank(b.column);
      return a.index - b.index;
    })
    .map(({ column }) => column);
}

function csvField(value: ExportValue): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
