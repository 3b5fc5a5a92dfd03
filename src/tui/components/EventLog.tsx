// The latest events, newest last: trials that completed, were pruned or failed (with the reason),
// trials put back in the queue, and notices about the sweep.
import { Box, Text } from 'ink';
import type { LogEntry } from '../state.js';
import { LOG_STYLE, timeOfDay } from '../text.js';

export interface EventLogProps {
  log: readonly LogEntry[];
  width: number;
  rows: number;
}

export function EventLog({ log, width, rows }: EventLogProps) {
  const shown = log.slice(Math.max(0, log.length - rows));
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      <Text bold wrap="truncate">{`events${log.length > shown.length ? ` · last ${shown.length} of ${log.length}` : ''}`}</Text>
      {shown.length === 0 ? <Text dimColor>  nothing has finished yet</Text> : null}
      {shown.map((entry, i) => {
        const style = LOG_STYLE[entry.kind];
        return (
          <Text key={`${entry.at}-${i}`} wrap="truncate">
            <Text dimColor>{timeOfDay(entry.at)} </Text>
            <Text color={style.color}>{`${style.symbol} ${entry.text}`}</Text>
          </Text>
        );
      })}
    </Box>
  );
}
