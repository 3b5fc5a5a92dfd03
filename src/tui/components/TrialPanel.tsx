// One trial in detail: the best so far, or the one opened with Enter. Its state, parameters and
// the line chart of its validation curve (log y axis when the values are positive, as labelled).
import { Box, Text } from 'ink';
import wrapAnsi from 'wrap-ansi';
import { formatMetric, formatParamValue } from '../../format.js';
import type { TrialView } from '../state.js';
import { lineChart, type ChartLines } from '../chart.js';
import { STATE_COLOR, truncate } from '../text.js';

export interface TrialPanelProps {
  trial: TrialView | null;
  /** best: the best trial so far; details: the trial the user opened; leading: the running trial furthest along, before any completes. */
  role: 'best' | 'details' | 'leading';
  metricName: string;
  width: number;
  /** Plot rows of the chart. */
  chartRows: number;
  /** Lines for the details and parameters. */
  infoRows: number;
  /** Details beside the chart (narrow screens) or below it (the wide layout's right column). */
  arrangement: 'beside' | 'below';
  /** When the parameters do not fit: which page of them to show (wraps around; the p key turns it). */
  paramPage?: number;
}

interface InfoLine {
  text: string;
  color?: string;
  dim?: boolean;
  /** Continued on the next lines rather than cut (a failure's reason). */
  wrap?: boolean;
  /** A parameter: these give way first (to a "… N more" line) when the lines do not fit. */
  param?: boolean;
}

/** Splits the lines that wrap into lines of at most `width` characters, at spaces where it can. */
function wrapLines(lines: InfoLine[], width: number): InfoLine[] {
  return lines.flatMap((line) => {
    if (!line.wrap || line.text.length <= width || width < 10) return [line];
    return wordWrap(line.text, width).map((text) => ({ ...line, text }));
  });
}

/** Word wrap at spaces; a word longer than the width is cut into pieces of the width. */
export function wordWrap(text: string, width: number): string[] {
  return wrapAnsi(text, width, { hard: true, trim: true }).split('\n');
}

/** The details of a trial as lines: progress, reason (failed/pruned), then one line per parameter. */
export function infoLines(trial: TrialView, metricName: string): InfoLine[] {
  const lines: InfoLine[] = [];
  const where =
    (trial.worker !== null && trial.state === 'running' ? ` on worker ${trial.worker}` : '') +
    (trial.owner ? ` · ${trial.owner.host} agent ${trial.owner.agent}` : '');
  const steps = trial.steps !== null ? `${trial.step}/${trial.steps}` : String(trial.step);
  lines.push({ text: `${trial.state} · step ${steps}${where}`, color: STATE_COLOR[trial.state] });
  lines.push({ text: `${metricName} ${formatMetric(trial.current)} · best ${formatMetric(trial.best)}` });
  if (trial.targetValues) {
    const values = Object.entries(trial.targetValues).map(([name, value]) => `${name} ${formatMetric(value)}`);
    if (values.length) lines.push({ text: values.join(' · '), wrap: true });
  }
  if (trial.error) lines.push({ text: `reason: ${trial.error}`, color: 'red', wrap: true });
  if (trial.modelKept) lines.push({ text: `model kept: predict, explain, export-model --trial ${trial.number}`, color: 'green', wrap: true });
  for (const [path, value] of Object.entries(trial.params)) lines.push({ text: `${path} = ${formatParamValue(value)}`, param: true });
  return lines;
}

function Info({ lines: given, rows, width, page = 0 }: { lines: InfoLine[]; rows: number; width: number; page?: number }) {
  const lines = wrapLines(given, width);
  let shown = lines;
  if (lines.length > rows) {
    const head = lines.filter((l) => !l.param);
    const params = lines.filter((l) => l.param);
    // The details and the whole reason first; a page of the parameters after them, then which page
    // this is: p turns the pages, so every parameter can be read at 80×24.
    const perPage = Math.max(1, rows - 1 - head.length);
    const pages = Math.ceil(params.length / perPage);
    const turn = page % (pages + (head.length >= rows - 1 ? 1 : 0));
    if (head.length >= rows - 1 && turn === 0) {
      // The details (a whole failure reason) fill the rows: they come first; p pages the parameters in their place.
      shown = head.slice(0, rows);
      if (shown.length < rows) shown.push({ text: `… ${lines.length - shown.length} more · p: params`, dim: true });
    } else {
      const first = (head.length >= rows - 1 ? turn - 1 : turn) * perPage;
      const slice = params.slice(first, first + perPage);
      shown = [...head.slice(0, Math.max(0, rows - 1 - slice.length)), ...slice];
      shown.push({ text: `params ${first + 1}–${first + slice.length} of ${params.length} · p: more`, dim: true });
    }
  }
  return (
    <Box flexDirection="column" width={width} height={rows}>
      {shown.map((line, i) => (
        <Text key={i} wrap="truncate" {...(line.color ? { color: line.color } : {})} dimColor={line.dim ?? false}>
          {truncate(line.text, width)}
        </Text>
      ))}
    </Box>
  );
}

function Chart({ chart, empty, width, rows }: { chart: ChartLines | null; empty: string; width: number; rows: number }) {
  if (!chart) {
    return (
      <Box width={width} height={rows + 1}>
        <Text dimColor>{empty}</Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      {chart.lines.map((line, i) => (
        <Text key={i} wrap="truncate" color={i < rows ? 'cyan' : 'gray'}>
          {line}
        </Text>
      ))}
    </Box>
  );
}

export function TrialPanel(props: TrialPanelProps) {
  const { trial, width, chartRows, infoRows, metricName } = props;
  const height = props.arrangement === 'beside' ? chartRows + 2 : chartRows + 2 + infoRows;
  if (!trial) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold>best trial</Text>
        <Text dimColor>no complete trial yet</Text>
      </Box>
    );
  }
  const curve = trial.curve;
  const hasCurve = curve !== undefined && curve.length > 0;
  // Beside the chart the details get up to 40 columns; with no curve to draw, most of the width.
  const infoWidth = props.arrangement === 'beside' ? (hasCurve ? Math.min(40, Math.floor(width * 0.42)) : width - 22) : width;
  const chartWidth = props.arrangement === 'beside' ? width - infoWidth - 2 : width;
  const chart = hasCurve ? lineChart(curve, { width: chartWidth, height: chartRows, ...(trial.steps !== null ? { xMax: trial.steps } : {}) }) : null;
  const empty = curve === undefined ? 'loading the curve…' : 'no evaluation yet';
  const title = props.role === 'best' ? `best: trial ${trial.number}` : props.role === 'leading' ? `no complete trial yet · trial ${trial.number} (running)` : `trial ${trial.number}`;
  const chartName = `validation ${metricName}${chart?.logScale ? ' (log scale)' : ''}`;
  const hint = props.role === 'details' ? ' · esc: back to best' : '';
  const lines = infoLines(trial, metricName);

  if (props.arrangement === 'beside') {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text wrap="truncate">
          <Text bold {...(props.role === 'best' ? { color: 'yellow' } : {})}>{title}</Text>
          <Text dimColor>{` · ${chartName}${hint}`}</Text>
        </Text>
        <Box flexDirection="row">
          <Info lines={lines} rows={chartRows + 1} width={infoWidth} page={props.paramPage ?? 0} />
          <Box width={2} />
          <Chart chart={chart} empty={empty} width={chartWidth} rows={chartRows} />
        </Box>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold {...(props.role === 'best' ? { color: 'yellow' } : {})}>{title}</Text>
        <Text dimColor>{` · ${chartName}${hint}`}</Text>
      </Text>
      <Chart chart={chart} empty={empty} width={width} rows={chartRows} />
      <Info lines={lines} rows={infoRows} width={width} page={props.paramPage ?? 0} />
    </Box>
  );
}
