// The trial table: number, state (coloured), the parameters that vary, step/steps with a bar for
// running trials, the current and best value of the sweep metric. Shows a window of `rows` trials
// around the selected one; columns that do not fit the width are left out (the title says how many).
import { Box, Text } from 'ink';
import { formatMetric, formatParamValue } from '../../format.js';
import type { TrialView } from '../state.js';
import { shortParamName, type SortKey, type StateFilter } from '../derive.js';
import { fit, progressBar, STATE_COLOR } from '../text.js';

export interface TrialTableProps {
  /** The trials to list, in display order (already sorted and filtered). */
  trials: readonly TrialView[];
  /** How many trials there are before filtering. */
  known: number;
  /** The selected trial's number, if any. */
  selected: number | null;
  bestNumber: number | null;
  paramPaths: readonly string[];
  metricName: string;
  sort: SortKey;
  filter: StateFilter;
  width: number;
  /** Trial rows to show (the title and column header come on top). */
  rows: number;
}

/** The first row to show so that row `selectedIndex` is visible (centred when possible). */
export function scrollStart(count: number, selectedIndex: number, rows: number): number {
  if (count <= rows || selectedIndex < 0) return 0;
  return Math.max(0, Math.min(count - rows, selectedIndex - Math.floor(rows / 2)));
}

interface Column {
  header: string;
  width: number;
  align: 'left' | 'right';
  cell(trial: TrialView): string;
}

const METRIC_WIDTH = 9;
const STATE_WIDTH = 8;
const BAR_WIDTH = 6;
const PARAM_MAX_WIDTH = 16;

function stepText(trial: TrialView): string {
  if (trial.state === 'queued') return '';
  return trial.steps !== null ? `${trial.step}/${trial.steps}` : String(trial.step);
}

/** The columns that fit `width`: fixed ones first, then as many parameter columns as there is room for. */
export function tableColumns(props: Pick<TrialTableProps, 'trials' | 'paramPaths' | 'metricName' | 'width'>): { columns: Column[]; hiddenParams: number } {
  const { trials, width } = props;
  const numberWidth = Math.max(3, ...trials.map((t) => String(t.number).length));
  const stepsWidth = Math.max(4, ...trials.map((t) => stepText(t).length));
  const leading: Column[] = [
    { header: '#', width: numberWidth, align: 'right', cell: (t) => String(t.number) },
    { header: 'state', width: STATE_WIDTH, align: 'left', cell: (t) => t.state },
  ];
  const trailing: Column[] = [
    {
      header: 'step',
      width: stepsWidth + 1 + BAR_WIDTH,
      align: 'left',
      cell: (t) => stepText(t).padStart(stepsWidth) + (t.state === 'running' && t.steps ? ` ${progressBar(t.step / t.steps, BAR_WIDTH)}` : ''),
    },
    { header: props.metricName, width: Math.max(METRIC_WIDTH, props.metricName.length), align: 'right', cell: (t) => formatMetric(t.current) },
    { header: 'best', width: METRIC_WIDTH, align: 'right', cell: (t) => formatMetric(t.best) },
  ];
  // One character for the best-trial marker, one space between columns.
  let used = 1 + [...leading, ...trailing].reduce((sum, c) => sum + c.width + 1, 0);
  const params: Column[] = [];
  for (const path of props.paramPaths) {
    const header = shortParamName(path);
    const longest = Math.max(header.length, ...trials.map((t) => (path in t.params ? formatParamValue(t.params[path]).length : 0)));
    const columnWidth = Math.min(PARAM_MAX_WIDTH, Math.max(3, longest));
    if (used + columnWidth + 1 > width) break;
    used += columnWidth + 1;
    params.push({ header, width: columnWidth, align: 'left', cell: (t) => (path in t.params ? formatParamValue(t.params[path]) : '') });
  }
  return { columns: [...leading, ...params, ...trailing], hiddenParams: props.paramPaths.length - params.length };
}

export function TrialTable(props: TrialTableProps) {
  const { trials, selected, rows, width } = props;
  const { columns, hiddenParams } = tableColumns(props);
  const selectedIndex = selected === null ? -1 : trials.findIndex((t) => t.number === selected);
  const start = scrollStart(trials.length, selectedIndex, rows);
  const shown = trials.slice(start, start + rows);
  const above = start;
  const below = Math.max(0, trials.length - start - shown.length);

  const range = trials.length === 0 ? 'none' : `${start + 1}–${start + shown.length} of ${trials.length}`;
  const title = [
    `trials ${range}`,
    props.filter === 'all' ? null : `${props.filter} only (${props.known} in all)`,
    `sorted by ${props.sort === 'number' ? 'number' : props.metricName}`,
    hiddenParams > 0 ? `${hiddenParams} more parameter${hiddenParams === 1 ? '' : 's'} in details` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const scroll = `${above > 0 ? ` ↑${above}` : ''}${below > 0 ? ` ↓${below}` : ''}`;
  const header = ' ' + columns.map((c) => fit(c.header, c.width, c.align)).join(' ');

  return (
    <Box flexDirection="column" width={width} height={rows + 2}>
      <Text wrap="truncate">
        <Text bold>{title}</Text>
        <Text color="cyan">{scroll}</Text>
      </Text>
      <Text dimColor wrap="truncate">
        {header}
      </Text>
      {shown.length === 0 ? (
        <Text dimColor>{props.filter === 'all' ? '  no trial has started yet' : `  no ${props.filter} trial`}</Text>
      ) : (
        shown.map((trial) => {
          const cells = columns.map((c) => fit(c.cell(trial), c.width, c.align));
          const isBest = trial.number === props.bestNumber;
          return (
            <Text key={trial.number} wrap="truncate" inverse={trial.number === selected}>
              <Text color="yellow">{isBest ? '★' : ' '}</Text>
              {cells[0]}{' '}
              <Text color={STATE_COLOR[trial.state]}>{cells[1]}</Text>
              {' ' + cells.slice(2).join(' ')}
            </Text>
          );
        })
      )}
    </Box>
  );
}
