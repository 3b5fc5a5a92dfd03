// Functional ANOVA on one regression tree (Hutter, Hoos & Leyton-Brown 2014): with every feature
// uniform over its domain, how much of the variance of the tree's prediction is explained by each
// feature on its own (its main effect). The marginal prediction of feature j at x_j averages the
// tree over all other features: a_j(x_j) = Σ over leaves containing x_j of value × (fraction of
// the other features' domain the leaf covers). Its variance over x_j, divided by the variance of
// the tree, is the feature's share.
import type { FeatureDomain, Leaf, Region } from './forest.js';

/** Fraction of the feature's domain a region covers. */
function coverage(region: Region, domain: FeatureDomain): number {
  if (region.kind === 'numeric' && domain.kind === 'numeric') {
    return domain.high > domain.low ? Math.max(0, region.high - region.low) / (domain.high - domain.low) : 1;
  }
  if (region.kind === 'categorical' && domain.kind === 'categorical') return region.members.filter(Boolean).length / domain.size;
  throw new Error('a leaf region does not match its feature');
}

/**
 * Each feature's main-effect variance as a fraction of the tree's total variance, or null when
 * the tree predicts the same value everywhere (it explains nothing, and is left out of averages).
 */
export function mainEffectShares(leaves: readonly Leaf[], domains: readonly FeatureDomain[]): number[] | null {
  const fractions = leaves.map((leaf) => leaf.regions.map((r, f) => coverage(r, domains[f]!)));
  const volumes = fractions.map((fs) => fs.reduce((a, b) => a * b, 1));
  const mean = leaves.reduce((acc, leaf, l) => acc + volumes[l]! * leaf.value, 0);
  const total = leaves.reduce((acc, leaf, l) => acc + volumes[l]! * (leaf.value - mean) ** 2, 0);
  if (!(total > 1e-300)) return null;

  return domains.map((domain, f) => {
    // Each leaf's value, weighted by how much of the *other* features' domain it covers.
    const weighted = leaves.map((leaf, l) => leaf.value * fractions[l]!.reduce((acc, c, d) => (d === f ? acc : acc * c), 1));
    let variance = 0;
    if (domain.kind === 'categorical') {
      for (let c = 0; c < domain.size; c++) {
        let marginal = 0;
        leaves.forEach((leaf, l) => {
          const region = leaf.regions[f] as Extract<Region, { kind: 'categorical' }>;
          if (region.members[c]) marginal += weighted[l]!;
        });
        variance += (marginal - mean) ** 2 / domain.size;
      }
    } else {
      // The marginal is piecewise constant between the leaves' bounds on this feature.
      const bounds = [...new Set(leaves.flatMap((leaf) => {
        const r = leaf.regions[f] as Extract<Region, { kind: 'numeric' }>;
        return [r.low, r.high];
      }))].sort((a, b) => a - b);
      const index = new Map(bounds.map((b, i) => [b, i]));
      const delta = new Array<number>(bounds.length).fill(0);
      leaves.forEach((leaf, l) => {
        const r = leaf.regions[f] as Extract<Region, { kind: 'numeric' }>;
        delta[index.get(r.low)!]! += weighted[l]!;
        delta[index.get(r.high)!]! -= weighted[l]!;
      });
      const width = domain.high - domain.low;
      let marginal = 0;
      for (let i = 0; i < bounds.length - 1; i++) {
        marginal += delta[i]!;
        const share = width > 0 ? (bounds[i + 1]! - bounds[i]!) / width : 0;
        variance += share * (marginal - mean) ** 2;
      }
    }
    return Math.min(1, Math.max(0, variance / total));
  });
}
