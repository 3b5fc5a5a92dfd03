// The top two lines: what sweep this is and how it runs (status, name, method, workers, elapsed,
// ETA, backend and device), then a progress bar over the planned trials and the count per state.
import { Box, Text } from 'ink';
import type { TrialState } from '../../store/read.js';
import { countStates, type DashboardState } from '../state.js';
import { elapsedSeconds, progress, sweepEta } from '../derive.js';
import { clock, progressBar, STATE_COLOR, STATE_SYMBOL } from '../text.js';

export interface HeaderProps {
  state: DashboardState;
  now: number;
  width: number;
}

function StatusBadge({ state }: { state: DashboardState }) {
  if (state.mode === 'watch') {
    if (state.status === 'running') return <Text color="cyan" bold>{`◉ watching live${state.writer?.pid ? ` (pid ${state.writer.pid})` : ''}`}</Text>;
    if (state.status === 'finished') return <Text color="green" bold>✓ finished</Text>;
    return <Text color="yellow" bold>○ not running</Text>;
  }
  switch (state.status) {
    case 'running':
      return <Text color="cyan" bold>▶ running</Text>;
    case 'stopping':
      return <Text color="yellow" bold>■ stopping…</Text>;
    case 'stopped':
      return <Text color="yellow" bold>■ stopped</Text>;
    default:
      return <Text color="green" bold>✓ finished</Text>;
  }
}

/** A metric target as written in a sweep file: 1e-5, 0.01. */
const targetText = (target: number) => (target !== 0 && Math.abs(target) < 1e-3 ? Number(target.toPrecision(4)).toExponential() : String(Number(target.toPrecision(4))));

const COUNT_ORDER: readonly TrialState[] = ['running', 'complete', 'pruned', 'failed', 'queued'];

export function Header({ state, now, width }: HeaderProps) {
  const sweep = state.sweep;
  if (!sweep) {
    return (
      <Box flexDirection="column" width={width} height={2}>
        <Text>sweepdeck: starting…</Text>
        <Text> </Text>
      </Box>
    );
  }
  const elapsed = elapsedSeconds(state, now);
  const eta = sweepEta(state, now);
  // What ends the sweep: the plan's cap or the time budget, and a metric target possibly sooner.
  const etaText = `ETA ${eta.seconds !== null ? `${eta.atMost ? '≤' : ''}${clock(eta.seconds)}` : '…'} (${eta.bound === 'budget' ? 'time budget' : `cap ${sweep.total}`}${eta.atMost ? `, or target ${targetText(sweep.metric.target!)}` : ''})`;
  const facts = [
    sweep.method,
    sweep.workers !== null ? `${sweep.workers} worker${sweep.workers === 1 ? '' : 's'}${sweep.pack ? ` (packs of ${sweep.pack})` : ''}` : null,
    elapsed !== null ? `${clock(elapsed)} elapsed` : null,
    state.status === 'running' || state.status === 'stopping' ? etaText : null,
    `${sweep.backend}${sweep.device ? ` (${sweep.device})` : ''}`,
  ].filter((f): f is string => f !== null);

  const { done, total } = progress(state);
  const counts = countStates(state);
  const tally = `${done}/${total}`;
  // The bar takes what the counts leave, between 8 and 40 cells.
  const countsWidth = COUNT_ORDER.reduce((sum, s) => sum + `${STATE_SYMBOL[s]} ${counts[s]} ${s}`.length + 1, 1);
  const barWidth = Math.max(8, Math.min(40, width - tally.length - countsWidth - 1));
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Text wrap="truncate">
        <StatusBadge state={state} />
        {'  '}
        <Text bold>{sweep.name}</Text>
        <Text dimColor>{'  ' + facts.join(' · ')}</Text>
      </Text>
      <Text wrap="truncate">
        <Text color="green">{progressBar(total > 0 ? done / total : 0, barWidth)}</Text>
        {` ${tally} `}
        {COUNT_ORDER.map((s) => (
          <Text key={s} color={counts[s] > 0 ? STATE_COLOR[s] : 'gray'}>{` ${STATE_SYMBOL[s]} ${counts[s]} ${s}`}</Text>
        ))}
      </Text>
    </Box>
  );
}
