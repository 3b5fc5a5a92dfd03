// Fixed-width text for the dashboard's columns: truncation, padding, progress bars, clock times,
// and how each trial state looks.
import type { TrialState } from '../store/read.js';
import type { LogKind } from './state.js';

/** `text` cut to `width` characters (ending in … when cut). */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** `text` cut or padded to exactly `width` characters. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  return align === 'left' ? cut.padEnd(width) : cut.padStart(width);
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A progress bar of exactly `width` cells, filled to `fraction` (0..1) with eighth-cell precision. */
export function progressBar(fraction: number, width: number): string {
  if (width <= 0) return '';
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(clamped * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return ('█'.repeat(full) + part).padEnd(width, '░').slice(0, width);
}

/** A clock duration: 0:07, 12:34, 1:02:03. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** The time of day of a timestamp (ms), HH:MM:SS in local time. */
export function timeOfDay(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export const STATE_COLOR: Record<TrialState, string> = {
  queued: 'gray',
  running: 'cyan',
  complete: 'green',
  pruned: 'yellow',
  failed: 'red',
};

export const STATE_SYMBOL: Record<TrialState, string> = {
  queued: '·',
  running: '▶',
  complete: '✓',
  pruned: '✂',
  failed: '✗',
};

export const LOG_STYLE: Record<LogKind, { color: string; symbol: string }> = {
  complete: { color: 'green', symbol: '✓' },
  pruned: { color: 'yellow', symbol: '✂' },
  failed: { color: 'red', symbol: '✗' },
  interrupted: { color: 'magenta', symbol: '↺' },
  notice: { color: 'blue', symbol: 'i' },
};
