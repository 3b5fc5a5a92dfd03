// Draws one value from a distribution with a seeded RNG (used by random search, and by TPE's start-up trials).
import { roundToStep, type Distribution } from './space.js';
import type { Rng } from '../rng.js';

export function sampleDistribution(distribution: Distribution, rng: Rng): unknown {
  switch (distribution.type) {
    case 'categorical':
      return rng.pick(distribution.choices);
    case 'float': {
      const { low, high, log, step } = distribution;
      const raw = log ? Math.exp(rng.uniform(Math.log(low), Math.log(high))) : rng.uniform(low, high);
      if (step === undefined) return raw;
      const snapped = low + Math.round((raw - low) / step) * step;
      return roundToStep(Math.min(high, Math.max(low, snapped)), step);
    }
    case 'int': {
      const { low, high, log, step } = distribution;
      if (!log) return low + step * rng.int(0, Math.floor((high - low) / step));
      const raw = Math.exp(rng.uniform(Math.log(low - 0.5), Math.log(high + 0.5)));
      const snapped = low + Math.round((raw - low) / step) * step;
      return Math.min(high, Math.max(low, snapped));
    }
  }
}
