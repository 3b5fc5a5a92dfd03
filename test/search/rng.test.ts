import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from '../../src/rng.js';

describe('Rng', () => {
  it('repeats its stream for the same seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
  });

  it('is roughly uniform in [0, 1)', () => {
    const rng = new Rng(5);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      bins[Math.floor(u * 10)]++;
    }
    for (const count of bins) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('derives distinct, stable seeds per label', () => {
    expect(deriveSeed(1, 'params', 3)).toBe(deriveSeed(1, 'params', 3));
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(1, 'params', i)));
    expect(seeds.size).toBe(1000);
    expect(deriveSeed(1, 'params', 0)).not.toBe(deriveSeed(1, 'weights', 0));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(2, 'a'));
  });

  it('draws integers in an inclusive range', () => {
    const rng = new Rng(9);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
});
