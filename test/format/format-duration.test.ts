import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/format.js';

describe('formatDuration', () => {
  it('shows seconds with one decimal below a minute', () => {
    expect(formatDuration(0)).toBe('0.0s');
    expect(formatDuration(29.84)).toBe('29.8s');
  });

  it('never prints 60 in the seconds or minutes place', () => {
    expect(formatDuration(59.96)).toBe('1m00s');
    expect(formatDuration(119.6)).toBe('2m00s');
    expect(formatDuration(119.4)).toBe('1m59s');
    expect(formatDuration(3599.6)).toBe('1h00m');
    expect(formatDuration(7170)).toBe('2h00m');
  });

  it('splits minutes and hours', () => {
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3725)).toBe('1h02m');
  });
});
