import { describe, expect, it } from 'vitest';
import { LrSchedule } from '../../src/train/schedule.js';

describe('LrSchedule', () => {
  it('keeps the rate without a schedule', () => {
    const s = new LrSchedule({ type: 'none' }, 0.1, 100);
    expect(s.lrAt(0)).toBe(0.1);
    expect(s.lrAt(99)).toBe(0.1);
  });

  it('anneals with cosine from lr to min_lr, after a linear warm-up', () => {
    const s = new LrSchedule({ type: 'cosine', min_lr: 0.01, warmup: 10 }, 0.1, 110);
    expect(s.lrAt(0)).toBeCloseTo(0.01);
    expect(s.lrAt(9)).toBeCloseTo(0.1);
    expect(s.lrAt(10)).toBeCloseTo(0.1);
    expect(s.lrAt(60)).toBeCloseTo(0.055);
    expect(s.lrAt(110)).toBeCloseTo(0.01);
  });

  it('decays by gamma every N steps', () => {
    const s = new LrSchedule({ type: 'step', every: 10, gamma: 0.5 }, 1, 100);
    expect(s.lrAt(9)).toBe(1);
    expect(s.lrAt(10)).toBe(0.5);
    expect(s.lrAt(25)).toBe(0.25);
  });

  it('reduces on plateau after `patience` steps without improvement', () => {
    const s = new LrSchedule({ type: 'reduce_on_plateau', factor: 0.1, patience: 3, min_lr: 0.001, threshold: 0 }, 1, 100);
    s.observe(1);
    s.observe(0.5); // improves
    for (let i = 0; i < 3; i++) s.observe(0.6);
    expect(s.lrAt(0)).toBe(1);
    s.observe(0.6); // fourth stale step: patience exceeded
    expect(s.lrAt(0)).toBeCloseTo(0.1);
    for (let i = 0; i < 20; i++) s.observe(0.6);
    expect(s.lrAt(0)).toBe(0.001); // floored at min_lr
  });
});
