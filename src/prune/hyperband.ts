// Hyperband (Li et al. 2017) over asynchronous successive halving, as Optuna's HyperbandPruner
// runs it: several brackets of ASHA, bracket s with its first rung at min_steps·eta^s, so that
// aggressive and patient schedules hedge each other. A trial belongs to one bracket, fixed by its
// number, and competes only with trials of that bracket.
//
// Bracket sizes follow Hyperband's budget: with B brackets, bracket s gets ⌈B·eta^(B−1−s)/(B−s)⌉
// shares, so the most aggressive bracket (s = 0) gets the most trials. Trial numbers are dealt
// to brackets by smooth weighted round-robin over one cycle of all shares, which interleaves the
// brackets and gives each exactly its share of every cycle.
import { rungSteps, successiveHalving } from './asha.js';
import type { Pruner } from './pruner.js';

export interface HyperbandOptions {
  minSteps: number;
  eta: number;
  brackets: number;
}

export function bracketShares(brackets: number, eta: number): number[] {
  return Array.from({ length: brackets }, (_, s) => {
    const patience = brackets - 1 - s;
    return Math.ceil((brackets * eta ** patience) / (patience + 1));
  });
}

/** One cycle of bracket indices; trial n goes to cycle[n mod cycle length]. */
export function bracketCycle(brackets: number, eta: number): number[] {
  const shares = bracketShares(brackets, eta);
  const total = shares.reduce((a, b) => a + b, 0);
  const current = shares.map(() => 0);
  const cycle: number[] = [];
  for (let i = 0; i < total; i++) {
    let pick = 0;
    for (let s = 0; s < shares.length; s++) {
      current[s]! += shares[s]!;
      if (current[s]! > current[pick]!) pick = s;
    }
    current[pick]! -= total;
    cycle.push(pick);
  }
  return cycle;
}

export function hyperbandPruner(goal: 'minimize' | 'maximize', options: HyperbandOptions): Pruner {
  const cycle = bracketCycle(options.brackets, options.eta);
  const bracketOf = (number: number) => cycle[number % cycle.length]!;
  return {
    decide(trial, others) {
      const bracket = bracketOf(trial.number);
      const rivals = others.filter((o) => bracketOf(o.number) === bracket);
      const decision = successiveHalving(trial, rivals, rungSteps(options.minSteps, options.eta, trial.steps, bracket), options.eta, goal);
      return decision.verdict === 'prune' ? { verdict: 'prune', reason: `bracket ${bracket}: ${decision.reason}` } : decision;
    },
  };
}

/** The bracket trial `number` belongs to (for display and tests). */
export function hyperbandBracket(number: number, brackets: number, eta: number): number {
  const cycle = bracketCycle(brackets, eta);
  return cycle[number % cycle.length]!;
}
