// Each component drawn alone with ink-testing-library, from a state built by the reducer.
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Header } from '../../src/tui/components/Header.js';
import { TrialTable, scrollStart } from '../../src/tui/components/TrialTable.js';
import { TrialPanel, wordWrap } from '../../src/tui/components/TrialPanel.js';
import { WorkerLanes } from '../../src/tui/components/WorkerLanes.js';
import { EventLog } from '../../src/tui/components/EventLog.js';
import { Importance } from '../../src/tui/components/Importance.js';
import { Footer } from '../../src/tui/components/Footer.js';
import { varyingParams, visibleTrials } from '../../src/tui/derive.js';
import { emptyState, markStopping } from '../../src/tui/state.js';
import { T0, busySweep, fold, started, trialStarted } from './fixtures.js';

const frame = (node: React.ReactElement) => {
  const view = render(node);
  const text = view.lastFrame() ?? '';
  view.unmount();
  return text;
};
const lines = (text: string) => text.split('\n');

describe('Header', () => {
  it('says what runs, how far it is, and the counts per state', () => {
    const text = frame(<Header state={busySweep()} now={T0 + 40_000} width={100} />);
    const [first, second] = lines(text);
    expect(first).toMatch(/▶ running\s+smoke\s+grid · 2 workers · 0:40 elapsed · ETA 0:20 \(cap 6\) · wasm \(CPU, 2 cores\)/);
    expect(second).toMatch(/^[█▏▎▍▌▋▊▉░]{10,} 3\/6 /);
    expect(second).toContain('▶ 2 running');
    expect(second).toContain('✓ 1 complete');
    expect(second).toContain('✂ 1 pruned');
    expect(second).toContain('✗ 1 failed');
    expect(second).toContain('· 1 queued');
  });

  it('says what bounds the ETA: a time budget that ends the run first, and a metric target as an upper bound', () => {
    const withBudget = { ...busySweep(), sweep: { ...busySweep().sweep!, timeBudgetSeconds: 50 } };
    // 20 s to the cap, but the 50 s budget has 10 s left: the budget ends the run.
    expect(frame(<Header state={withBudget} now={T0 + 40_000} width={140} />)).toContain('ETA 0:10 (time budget)');
    const withTarget = { ...busySweep(), sweep: { ...busySweep().sweep!, metric: { name: 'rel_l1', goal: 'minimize' as const, target: 1e-5 } } };
    expect(frame(<Header state={withTarget} now={T0 + 40_000} width={140} />)).toContain('ETA ≤0:20 (cap 6, or target 1e-5)');
  });

  it('shows stopping, finished and watch states', () => {
    expect(frame(<Header state={markStopping(busySweep())} now={T0} width={100} />)).toContain('■ stopping…');
    const done = { ...busySweep(), status: 'finished' as const, runEndedAt: T0 + 5000 };
    const text = frame(<Header state={done} now={T0 + 90_000} width={100} />);
    expect(text).toContain('✓ finished');
    expect(text).toContain('0:05 elapsed');
    expect(text).not.toContain('ETA');
    const watching = { ...busySweep(), mode: 'watch' as const, writer: { pid: 4242, since: '' } };
    expect(frame(<Header state={watching} now={T0} width={100} />)).toContain('◉ watching live (pid 4242)');
  });

  it('fits 80 columns', () => {
    for (const line of lines(frame(<Header state={busySweep()} now={T0 + 1000} width={80} />))) expect([...line].length).toBeLessThanOrEqual(80);
  });
});

describe('TrialTable', () => {
  const state = busySweep();
  const table = (overrides: Partial<React.ComponentProps<typeof TrialTable>> = {}) => (
    <TrialTable
      trials={visibleTrials(state.trials.values(), 'number', 'all', 'minimize')}
      known={state.trials.size}
      selected={null}
      bestNumber={0}
      paramPaths={varyingParams(state.trials.values())}
      metricName="rel_l1"
      sort="number"
      filter="all"
      width={90}
      rows={10}
      {...overrides}
    />
  );

  it('lists number, coloured state, varying parameters, progress and the metric', () => {
    const rows = lines(frame(table()));
    expect(rows[0]).toContain('trials 1–5 of 5 · sorted by number');
    expect(rows[1]).toMatch(/#\s+state\s+features\s+lr\s+step\s+rel_l1\s+best/);
    expect(rows[2]).toMatch(/^★\s+0 complete raw\s+0\.01\s+60\/60\s+0\.2\s+0\.2$/);
    expect(rows[3]).toMatch(/^\s+1 pruned\s+log\s+0\.02\s+20\/60\s+5\s+5$/);
    expect(rows[4]).toMatch(/^\s+2 failed\s+raw\s+0\.03\s+20\s+-\s+-$/);
    // running trials get a bar after step/steps
    expect(rows[5]).toMatch(/^\s+3 running\s+log\s+0\.04\s+40\/60 [█▏▎▍▌▋▊▉]+░*\s+0\.5\s+0\.5$/);
  });

  it('scrolls to keep the selected trial in view and says what is above and below', () => {
    const many = fold([started({ total: 40 }), ...Array.from({ length: 30 }, (_, n) => trialStarted(n, 1))]);
    const rows = lines(
      frame(
        <TrialTable
          trials={visibleTrials(many.trials.values(), 'number', 'all', 'minimize')}
          known={30}
          selected={20}
          bestNumber={null}
          paramPaths={['features']}
          metricName="rel_l1"
          sort="number"
          filter="all"
          width={80}
          rows={5}
        />,
      ),
    );
    expect(rows[0]).toMatch(/trials 19–23 of 30 .*↑18 ↓7/);
    expect(rows.slice(2).map((r) => Number(r.trim().split(/\s+/)[0]))).toEqual([18, 19, 20, 21, 22]);
    expect(scrollStart(30, 0, 5)).toBe(0);
    expect(scrollStart(30, 29, 5)).toBe(25);
    expect(scrollStart(3, 2, 5)).toBe(0);
  });

  it('leaves out parameter columns that do not fit and says how many', () => {
    const wide = fold([
      started(),
      trialStarted(0, 1, { a: 'alpha', b: 'beta', c: 'gamma', d: 'delta', e: 'epsilon', f: 'phi', g: 'chi' }),
      trialStarted(1, 1, { a: 'x', b: 'y', c: 'z', d: 'w', e: 'v', f: 'u', g: 't' }),
    ]);
    const text = frame(
      <TrialTable
        trials={visibleTrials(wide.trials.values(), 'number', 'all', 'minimize')}
        known={2}
        selected={null}
        bestNumber={null}
        paramPaths={varyingParams(wide.trials.values())}
        metricName="rel_l1"
        sort="number"
        filter="all"
        width={70}
        rows={3}
      />,
    );
    expect(text).toMatch(/\d more parameters in details/);
    for (const line of lines(text)) expect([...line].length).toBeLessThanOrEqual(70);
  });

  it('says when a filter leaves nothing', () => {
    expect(frame(table({ trials: [], filter: 'queued' }))).toContain('no queued trial');
  });
});

describe('TrialPanel', () => {
  const state = busySweep();

  it('shows the best trial: details, parameters, and its curve on a labelled log scale', () => {
    const text = frame(<TrialPanel trial={state.trials.get(0)!} role="best" metricName="rel_l1" width={80} chartRows={4} infoRows={5} arrangement="beside" />);
    const rows = lines(text);
    expect(rows[0]).toBe('best: trial 0 · validation rel_l1 (log scale)');
    expect(text).toContain('complete · step 60/60');
    expect(text).toContain('rel_l1 0.2 · best 0.2');
    expect(text).toContain('features = raw');
    expect(text).toContain('training.lr = 0.01');
    expect(text).toMatch(/0\.9┤/);
    expect(text).toMatch(/0\.2┤/);
    expect(text).toMatch(/[\u2801-\u28ff]/);
    expect(text).toMatch(/step 60/);
    expect(rows).toHaveLength(6);
  });

  it('shows a failed trial’s reason in its details', () => {
    const text = frame(<TrialPanel trial={state.trials.get(2)!} role="details" metricName="rel_l1" width={100} chartRows={4} infoRows={5} arrangement="below" />);
    expect(text).toContain('trial 2 · validation rel_l1 · esc: back to best');
    expect(text).toContain('reason: diverged: training loss is NaN at step 7');
    expect(text).toContain('no evaluation yet');
  });

  it('wraps a long reason instead of cutting it', () => {
    const reason = 'diverged: validation rel_l1 is Infinity at step 1400 after the learning rate warm-up ended';
    const failed = { ...state.trials.get(2)!, error: reason };
    const text = frame(<TrialPanel trial={failed} role="details" metricName="rel_l1" width={60} chartRows={4} infoRows={5} arrangement="beside" />);
    // wrapped at spaces: the pieces, joined with one space, give back the whole reason
    const joined = text
      .split('\n')
      .map((l) => l.trim())
      .join(' ');
    expect(joined).toContain(`reason: ${reason}`);
    for (const line of lines(text)) expect([...line].length).toBeLessThanOrEqual(60);
  });

  it('turns pages of parameters that do not fit (the p key), so every one can be read at 80×24', () => {
    const params = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`model.p${i}`, i]));
    const trial = { ...state.trials.get(0)!, params };
    const seen = new Set<string>();
    const pages: string[] = [];
    for (let page = 0; page < 4; page++) {
      const text = frame(<TrialPanel trial={trial} role="best" metricName="rel_l1" width={80} chartRows={4} infoRows={5} arrangement="beside" paramPage={page} />);
      for (const match of text.matchAll(/model\.p(\d) = \1/g)) seen.add(match[1]!);
      pages.push(/params \d+–\d+ of 9 · p: more/.exec(text)?.[0] ?? '');
    }
    // 5 info rows beside the chart: 2 of details, 2 parameters and the page line; 9 parameters in 5 pages.
    expect(pages).toEqual(['params 1–2 of 9 · p: more', 'params 3–4 of 9 · p: more', 'params 5–6 of 9 · p: more', 'params 7–8 of 9 · p: more']);
    const last = frame(<TrialPanel trial={trial} role="best" metricName="rel_l1" width={80} chartRows={4} infoRows={5} arrangement="beside" paramPage={4} />);
    expect(last).toContain('params 9–9 of 9 · p: more');
    expect(last).toContain('model.p8 = 8');
    expect(seen.size).toBe(8);
    // It wraps around.
    expect(frame(<TrialPanel trial={trial} role="best" metricName="rel_l1" width={80} chartRows={4} infoRows={5} arrangement="beside" paramPage={5} />)).toContain('params 1–2 of 9');
  });

  it('says so when nothing has completed', () => {
    expect(frame(<TrialPanel trial={null} role="best" metricName="rel_l1" width={80} chartRows={4} infoRows={5} arrangement="beside" />)).toContain(
      'no complete trial yet',
    );
  });
});

describe('WorkerLanes, EventLog, Importance, Footer', () => {
  it('lanes: what each worker trains and how fast', () => {
    const state = busySweep();
    const rows = lines(frame(<WorkerLanes lanes={state.lanes} trials={state.trials} width={80} rows={4} />));
    expect(rows[0]).toBe('workers · 2 busy of 2');
    expect(rows[1]).toMatch(/^w1 {2}trial 3\s+[█▏▎▍▌▋▊▉░]+ 40\/60 {2}800 steps\/s$/);
    expect(rows[2]).toMatch(/^w2 {2}trial 4\s+[█▏▎▍▌▋▊▉░]+ 20\/60 {2}400 steps\/s$/);
    const idle = frame(<WorkerLanes lanes={[{ worker: 1, trial: null, stepsPerS: null }]} trials={state.trials} width={80} rows={2} />);
    expect(idle).toContain('w1  idle');
  });

  it('event log: the newest events that fit, with times and reasons', () => {
    const state = busySweep();
    const rows = lines(frame(<EventLog log={state.log} width={100} rows={2} />));
    expect(rows[0]).toBe('events · last 2 of 3');
    expect(rows[1]).toMatch(/^\d\d:\d\d:\d\d ✂ trial 1 pruned at step 20: pruned by median at step 20$/);
    expect(rows[2]).toMatch(/✗ trial 2 failed at step 20: diverged: training loss is NaN at step 7$/);
    expect(frame(<EventLog log={emptyState('live').log} width={80} rows={2} />)).toContain('nothing has finished yet');
  });

  it('importance: bars, largest first', () => {
    const rows = lines(
      frame(
        <Importance
          importance={[
            { param: 'training.lr', importance: 0.2 },
            { param: 'features', importance: 0.7 },
          ]}
          width={60}
          rows={3}
        />,
      ),
    );
    expect(rows[0]).toBe('parameter importance');
    expect(rows[1]).toMatch(/^features\s+█+ 0\.70$/);
    expect(rows[2]).toMatch(/^training\.lr\s+█+[▏▎▍▌▋▊▉]?░+ 0\.20$/);
  });

  it('footer: the keys and what q does now', () => {
    expect(frame(<Footer quit="stop the sweep" sort="number" filter="all" interactive />)).toBe(
      '↑↓ select  enter details  p params  s sort (number)  f filter (all)  q stop the sweep',
    );
    expect(frame(<Footer quit="quit" sort="number" filter="all" interactive={false} />)).toBe('no keyboard input · Ctrl-C: quit');
  });
});

describe('wordWrap (the trial panel\'s reasons and hints)', () => {
  it('breaks at spaces, never inside a word that fits on a line', () => {
    expect(wordWrap('model kept: predict, explain, export-model --trial 52', 40)).toEqual(['model kept: predict, explain,', 'export-model --trial 52']);
  });
  it('cuts a word longer than the width into pieces of the width', () => {
    expect(wordWrap('reason: abcdefghijklmnop', 10)).toEqual(['reason:', 'abcdefghij', 'klmnop']);
  });
});
