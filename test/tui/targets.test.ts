// The dashboard with several targets: the sweep-started event names every target's metrics, each
// evaluation fills them in on the trial, and the trial panel lists them under the sweep metric.
import { describe, expect, it } from 'vitest';
import { infoLines } from '../../src/tui/components/TrialPanel.js';
import { fold, started, trialStarted } from './fixtures.js';
import type { SweepEvent } from '../../src/run/events.js';

const evaluation = (metrics: Record<string, number>): SweepEvent => ({ type: 'trial-eval', number: 0, step: 100, steps: 300, metrics });

describe('several targets on the dashboard', () => {
  it('keeps each target’s latest metrics on the trial and shows them in the panel', () => {
    const state = fold([
      started({ metric: { name: 'worst', goal: 'minimize' }, targetMetrics: ['rel_l1.prod', 'rel_l1.ratio'] }),
      trialStarted(0, 1),
      evaluation({ worst: 0.5, 'rel_l1.prod': 0.25, 'rel_l1.ratio': 0.5, steps_per_s: 100 }),
      evaluation({ worst: 0.02, 'rel_l1.prod': 0.0125, 'rel_l1.ratio': 0.02 }),
    ]);
    const trial = state.trials.get(0)!;
    expect(trial.current).toBe(0.02);
    expect(trial.targetValues).toEqual({ 'rel_l1.prod': 0.0125, 'rel_l1.ratio': 0.02 });
    const lines = infoLines(trial, 'worst').map((l) => l.text);
    expect(lines[1]).toMatch(/^worst 0\.02/);
    expect(lines[2]).toBe('rel_l1.prod 0.0125 · rel_l1.ratio 0.02');
  });

  it('one target: no per-target line', () => {
    const state = fold([started(), trialStarted(0, 1), { type: 'trial-eval', number: 0, step: 20, steps: 60, metrics: { rel_l1: 0.5 } }]);
    expect(state.trials.get(0)!.targetValues).toBeUndefined();
    expect(infoLines(state.trials.get(0)!, 'rel_l1').some((l) => l.text.includes('·') && l.text.startsWith('rel_l1.'))).toBe(false);
  });
});
