// Which parameters matter most for the metric, as a small bar list (shown once an analysis has
// filled DashboardState.importance).
import { Box, Text } from 'ink';
import type { ParamImportance } from '../state.js';
import { fit, progressBar } from '../text.js';

export interface ImportanceProps {
  importance: readonly ParamImportance[];
  width: number;
  rows: number;
}

export function Importance({ importance, width, rows }: ImportanceProps) {
  const sorted = [...importance].sort((a, b) => b.importance - a.importance).slice(0, rows);
  const top = Math.max(...sorted.map((p) => p.importance), 0);
  const nameWidth = Math.min(24, Math.max(...sorted.map((p) => p.param.length), 5));
  const barWidth = Math.max(5, width - nameWidth - 8);
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      <Text bold>parameter importance</Text>
      {sorted.map((p) => (
        <Text key={p.param} wrap="truncate">
          {fit(p.param, nameWidth)}{' '}
          <Text color="magenta">{progressBar(top > 0 ? p.importance / top : 0, barWidth)}</Text>
          {` ${p.importance.toFixed(2)}`}
        </Text>
      ))}
    </Box>
  );
}
