import { describe, expect, it } from 'vitest';
import { ImportanceFeed } from '../../src/tui/importance-feed.js';
import { emptyState, type DashboardState, type TrialView } from '../../src/tui/state.js';
import { infoLines } from '../../src/tui/components/TrialPanel.js';
import type { Parameter } from '../../src/search/space.js';
import { Rng } from '../../src/rng.js';

const parameters: Parameter[] = [
  { path: 'lr', distribution: { type: 'float', low: 1e-4, high: 1e-1, log: true } },
  { path: 'noise', distribution: { type: 'categorical', choices: ['a', 'b', 'c'] } },
];

/** `complete` complete trials whose value depends on lr only, plus some running ones. */
function stateWith(complete: number): DashboardState {
  const rng = new Rng(5);
  const trials = new Map<number, TrialView>();
  for (let n = 0; n < complete + 3; n++) {
    const lr = Math.exp(rng.uniform(Math.log(1e-4), Math.log(1e-1)));
    trials.set(n, {
      number: n,
      state: n < complete ? 'complete' : 'running',
      params: { lr, noise: ['a', 'b', 'c'][n % 3] },
      worker: null,
      step: 10,
      steps: 10,
      current: n < complete ? (Math.log10(lr) + 5) ** 2 + 1 : null,
      best: null,
      stepsPerS: null,
      error: null,
    });
  }
  return { ...emptyState('live'), trials };
}

describe('ImportanceFeed', () => {
  it('ranks at 10, 20, 40 … complete trials and once more at the end, never in between', () => {
    const feed = new ImportanceFeed(parameters);
    expect(feed.update(stateWith(9))).toBeUndefined();
    const first = feed.update(stateWith(10))!;
    expect(first.map((p) => p.param)).toEqual(['lr', 'noise']);
    expect(first[0]!.importance).toBeGreaterThan(0.8);
    expect(feed.update(stateWith(11))).toBeUndefined();
    expect(feed.update(stateWith(19))).toBeUndefined();
    expect(feed.update(stateWith(20))).toBeDefined();
    expect(feed.update(stateWith(25))).toBeUndefined();
    expect(feed.update(stateWith(25), true)).toBeDefined();
    // Nothing new since the last fit: the end does not fit again.
    expect(feed.update(stateWith(25), true)).toBeUndefined();
  });

  it('stays silent below the minimum, even at the end', () => {
    expect(new ImportanceFeed(parameters).update(stateWith(4), true)).toBeUndefined();
  });
});

describe('the trial panel', () => {
  it('says when the trial\'s model is kept and how to use it', () => {
    const trial = stateWith(1).trials.get(0)!;
    expect(infoLines(trial, 'l1').map((l) => l.text).join('\n')).not.toMatch(/model kept/);
    expect(infoLines({ ...trial, modelKept: true }, 'l1').map((l) => l.text)).toContain('model kept: predict, explain, export-model --trial 0');
  });
});
