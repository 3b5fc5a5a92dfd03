// Colours: states and the selected row. Colour support is decided when chalk loads, so this file
// turns it on first and imports the components afterwards (vitest isolates test files).
import { beforeAll, describe, expect, it } from 'vitest';

let render: typeof import('ink-testing-library').render;
let TrialTable: typeof import('../../src/tui/components/TrialTable.js').TrialTable;
let Header: typeof import('../../src/tui/components/Header.js').Header;
let fixtures: typeof import('./fixtures.js');
let derive: typeof import('../../src/tui/derive.js');

beforeAll(async () => {
  process.env.FORCE_COLOR = '1';
  ({ render } = await import('ink-testing-library'));
  ({ TrialTable } = await import('../../src/tui/components/TrialTable.js'));
  ({ Header } = await import('../../src/tui/components/Header.js'));
  fixtures = await import('./fixtures.js');
  derive = await import('../../src/tui/derive.js');
});

const ESC = '\u001B[';

describe('colours', () => {
  it('each state has its colour, the best trial its star, the selected row is inverted', () => {
    const state = fixtures.busySweep();
    const view = render(
      <TrialTable
        trials={derive.visibleTrials(state.trials.values(), 'number', 'all', 'minimize')}
        known={5}
        selected={3}
        bestNumber={0}
        paramPaths={['features']}
        metricName="rel_l1"
        sort="number"
        filter="all"
        width={90}
        rows={6}
      />,
    );
    const raw = view.lastFrame() ?? '';
    view.unmount();
    expect(raw).toContain(`${ESC}32mcomplete`);
    expect(raw).toContain(`${ESC}33mpruned`);
    expect(raw).toContain(`${ESC}31mfailed`);
    expect(raw).toContain(`${ESC}36mrunning`);
    expect(raw).toContain(`${ESC}33m★`);
    const selected = raw.split('\n').filter((line) => line.includes(`${ESC}7m`));
    expect(selected).toHaveLength(1);
    expect(selected[0]).toMatch(/ 3 .*running/);
  });

  it('the header colours counts that are not zero', () => {
    const view = render(<Header state={fixtures.busySweep()} now={fixtures.T0} width={100} />);
    const raw = view.lastFrame() ?? '';
    view.unmount();
    expect(raw).toContain(`${ESC}31m ✗ 1 failed`);
    const empty = render(<Header state={fixtures.fold([fixtures.started()])} now={fixtures.T0} width={100} />);
    // zero counts are grey (adjacent grey counts share one colour code)
    expect(empty.lastFrame()).toMatch(/\u001B\[90m[^\u001B]*✗ 0 failed/);
    empty.unmount();
  });
});
