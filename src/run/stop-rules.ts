// When a sweep stops before its plan is done, and what happens to the trials still running:
// a signal, the time budget, too many failures or a failing DB stop them (they go back to the
// queue, so a later run trains them again); reaching the metric's target only stops dispatching
// (running trials finish, as in W&B Sweeps).
import { formatMetric } from '../format.js';

export type StopReason =
  | { kind: 'signal' }
  | { kind: 'time-budget'; seconds: number }
  | { kind: 'target'; number: number; value: number; target: number }
  | { kind: 'max-failures'; failures: number; limit: number }
  | { kind: 'store-error'; message: string };

export interface StopRules {
  /** Wall-clock seconds after which no trial starts and running ones stop. */
  timeBudgetSeconds?: number;
  /** Failed trials in this run after which the sweep ends. */
  maxFailures?: number;
  /** A complete trial at or beyond this value (per the goal) ends dispatching. */
  target?: number;
  goal: 'minimize' | 'maximize';
}

/** Whether trials still running are stopped (and requeued) for this reason, rather than allowed to finish. */
export function stopsRunningTrials(reason: StopReason): boolean {
  return reason.kind !== 'target';
}

export function reachesTarget(rules: StopRules, value: number): boolean {
  if (rules.target === undefined) return false;
  return rules.goal === 'minimize' ? value <= rules.target : value >= rules.target;
}

export function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case 'signal':
      return 'stopped on request: running trials stop at their next step and go back to the queue';
    case 'time-budget':
      return `time budget of ${formatBudget(reason.seconds)} used up: no new trials; running trials stop and go back to the queue`;
    case 'target':
      return `trial ${reason.number} reached the target (${formatMetric(reason.value)}, target ${formatMetric(reason.target)}): no new trials; running trials finish`;
    case 'max-failures':
      return `${reason.failures} trials failed (--max-failures ${reason.limit}): the sweep ends; running trials stop and go back to the queue`;
    case 'store-error':
      return `the results DB cannot be written (${reason.message}): the sweep ends; what was committed is intact`;
  }
}

/** "10m", "1h30m", "90s", "2h", "1.5h", or a bare number of seconds → seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const units: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
  const pattern = /(\d+(?:\.\d+)?)\s*([dhms])/gy;
  let seconds = 0;
  let matched = 0;
  for (let m = pattern.exec(trimmed); m; m = pattern.exec(trimmed)) {
    seconds += Number(m[1]) * units[m[2]!]!;
    matched = pattern.lastIndex;
  }
  return matched === trimmed.length && matched > 0 ? seconds : undefined;
}

export function formatBudget(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The longest delay Node's setTimeout takes (2^31 − 1 ms, 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest --time-budget taken: a year. */
export const MAX_TIME_BUDGET_SECONDS = 366 * 86400;

/** Calls `onExpired` once after `seconds`, for any length up to MAX_TIME_BUDGET_SECONDS (a chain of timers Node can hold). */
export function startDeadline(seconds: number, onExpired: () => void): { cancel(): void } {
  const due = Date.now() + seconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = due - Date.now();
    if (left <= 0) {
      timer = undefined;
      onExpired();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  timer = setTimeout(arm, Math.min(Math.max(0, due - Date.now()), MAX_TIMER_MS));
  return { cancel: () => timer !== undefined && clearTimeout(timer) };
}
