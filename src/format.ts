// Small text formatters shared by the CLI's tables, the line reporter, the dashboard and the pruners' reasons.
import type { Params } from './search/space.js';

/** A metric value with 4 significant digits (switching to exponent form when tiny or huge). */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

export function formatParamValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  // Formulas contain spaces: quote them so `key=value` pairs stay readable on one line.
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

export function formatParams(params: Params): string {
  return Object.entries(params)
    .map(([path, value]) => `${path}=${formatParamValue(value)}`)
    .join(' ');
}

export function formatDuration(seconds: number): string {
  // Round once, to the unit shown, before splitting: rounding only the seconds part printed 119.6 s as "1m60s".
  if (seconds < 59.95) return `${seconds.toFixed(1)}s`;
  const total = Math.round(seconds);
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, '0')}s`;
  const totalMinutes = Math.round(seconds / 60);
  return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, '0')}m`;
}
