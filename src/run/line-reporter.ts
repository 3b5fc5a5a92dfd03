// Prints one plain line per trial event: used without a TTY, with --no-tui, and in CI logs.
import { formatDuration, formatMetric, formatParams } from '../format.js';
import type { SweepEvent } from './events.js';

export function lineReporter(metricName: string, write: (line: string) => void): (event: SweepEvent) => void {
  let total = 0;
  let finished = 0;
  const counter = () => `[${String(finished).padStart(String(total).length)}/${total}]`;
  return (event) => {
    switch (event.type) {
      case 'sweep-started':
        total = event.total;
        finished = event.alreadyDone;
        write(
          `sweep ${event.name}: ${event.method}, ${event.total} trials` +
            (event.alreadyDone ? ` (${event.alreadyDone} already done)` : '') +
            `, ${event.workers} worker${event.workers === 1 ? '' : 's'}` +
            (event.pack ? ` (packs of up to ${event.pack} trials)` : '') +
            `, backend ${event.backend} → ${event.db}`,
        );
        break;
      case 'trial-started':
        write(
          `${counter()} trial ${event.number} started on worker ${event.worker}: ${formatParams(event.params) || '(no parameters)'}` +
            (event.owner ? ` [${event.owner.host} agent ${event.owner.agent}]` : ''),
        );
        break;
      case 'trial-eval':
        break;
      case 'trial-finished': {
        finished++;
        const best = event.best ? ` (best: trial ${event.best.number}, ${formatMetric(event.best.value)})` : '';
        const detail =
          event.state === 'complete'
            ? `${metricName}=${formatMetric(event.value)}`
            : `${event.error ?? ''}`;
        write(`${counter()} trial ${event.number} ${event.state} at step ${event.step} in ${formatDuration(event.seconds)}: ${detail}${best}`);
        break;
      }
      case 'notice':
        write(event.message);
        break;
      case 'trial-interrupted':
        write(`${counter()} trial ${event.number} interrupted at step ${event.step}; it goes back to the queue`);
        break;
      case 'sweep-finished': {
        const c = event.counts;
        const ran = c.complete + c.pruned + c.failed + event.interrupted;
        const parts = [`${c.complete} complete`, `${c.pruned} pruned`, `${c.failed} failed`];
        if (event.interrupted) parts.push(`${event.interrupted} interrupted`);
        const summary = ran === 0 && !event.stopped ? 'nothing left to run (every planned trial is done)' : parts.join(', ');
        const best = event.best ? `; best: trial ${event.best.number}, ${metricName}=${formatMetric(event.best.value)}` : '';
        write(`${event.stopped ? 'stopped' : 'done'} in ${formatDuration(event.seconds)}: ${summary}${best}`);
        break;
      }
    }
  };
}
