// The main thread's own CPU time, to pace the dashboard by what its frames really cost. Wall time
// would overstate it while worker threads and other processes compete for the cores, and
// process.cpuUsage() counts the workers too. Linux tells a thread's CPU time in
// /proc/self/task/<tid>/schedstat (nanoseconds; the main thread's tid is the pid); elsewhere the
// wall clock stands in.
import { readFileSync } from 'node:fs';

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

function readSchedstat(): number | null {
  try {
    const nanoseconds = Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
    return Number.isFinite(nanoseconds) ? nanoseconds / 1e6 : null;
  } catch {
    return null;
  }
}

const perThread = readSchedstat() !== null;

/** Milliseconds of CPU the main thread has used (or, where that cannot be read, wall-clock milliseconds). */
export function mainThreadMs(): number {
  return (perThread ? readSchedstat() : null) ?? performance.now();
}
