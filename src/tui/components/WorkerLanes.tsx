// One line per worker thread: the trial it trains (or its pack of trials), how far it is, and its training speed.
import { Box, Text } from 'ink';
import type { TrialView, WorkerLane } from '../state.js';
import { fit, progressBar } from '../text.js';

export interface WorkerLanesProps {
  lanes: readonly WorkerLane[];
  trials: ReadonlyMap<number, TrialView>;
  width: number;
  rows: number;
}

export function WorkerLanes({ lanes, trials, width, rows }: WorkerLanesProps) {
  const shown = lanes.slice(0, rows);
  const busy = lanes.filter((l) => l.trial !== null).length;
  const more = lanes.length - shown.length;
  const workerWidth = Math.max(...shown.map((l) => String(l.worker).length), 1);
  const barWidth = Math.max(6, Math.min(20, width - 50));
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      <Text bold wrap="truncate">{`workers · ${busy} busy of ${lanes.length}${more > 0 ? ` (${more} not shown)` : ''}`}</Text>
      {shown.length === 0 ? <Text dimColor>  no trial running</Text> : null}
      {shown.map((lane) => {
        const name = `w${String(lane.worker).padEnd(workerWidth)}`;
        const trial = lane.trial !== null ? trials.get(lane.trial) : undefined;
        if (lane.trial === null || !trial) {
          return (
            <Text key={lane.worker} dimColor wrap="truncate">
              {`${name}  idle`}
            </Text>
          );
        }
        const fraction = trial.steps ? trial.step / trial.steps : 0;
        const steps = trial.steps !== null ? `${trial.step}/${trial.steps}` : `${trial.step}`;
        const members = lane.packed?.length ?? 1;
        // A pack's members step together: each at this rate, the worker at `members` times it.
        const speed = lane.stepsPerS !== null ? `${Math.round(lane.stepsPerS)} steps/s${members > 1 ? ` ×${members}` : ''}` : '…';
        return (
          <Text key={lane.worker} wrap="truncate">
            {`${name}  `}
            <Text color="cyan">{fit(members > 1 ? `trials ${trial.number} +${members - 1}` : `trial ${trial.number}`, members > 1 ? 14 : 10)}</Text>
            <Text color="cyan">{progressBar(fraction, barWidth)}</Text>
            {` ${steps}  `}
            <Text bold>{speed}</Text>
          </Text>
        );
      })}
    </Box>
  );
}
