// keep_models in the sweep file: a whole number ≥ 0 or "all", carried in the normalised spec only
// when the file sets it (so sweeps written before it existed keep their spec hash).
import { describe, expect, it } from 'vitest';
import { loadSweepText } from '../../src/spec/load.js';
import { SpecError } from '../../src/spec/errors.js';
import { VALID_SWEEP } from '../helpers/sweep-text.js';

const withKeep = (value: string) => `keep_models: ${value}\n${VALID_SWEEP}`;

describe('keep_models', () => {
  it('is absent from the spec unless the file sets it', () => {
    expect('keepModels' in loadSweepText('sweep.yaml', VALID_SWEEP).spec).toBe(false);
    expect(loadSweepText('sweep.yaml', withKeep('3')).spec.keepModels).toBe(3);
    expect(loadSweepText('sweep.yaml', withKeep('0')).spec.keepModels).toBe(0);
    expect(loadSweepText('sweep.yaml', withKeep('all')).spec.keepModels).toBe('all');
  });

  it('refuses anything but a whole number ≥ 0 or "all", with the line', () => {
    const message = (value: string) => {
      try {
        loadSweepText('sweep.yaml', withKeep(value));
      } catch (error) {
        if (error instanceof SpecError) return error.message;
        throw error;
      }
      throw new Error('expected a SpecError');
    };
    expect(message('-1')).toBe('sweep.yaml:1:14: keep_models: expected a number ≥ 0, got -1');
    expect(message('2.5')).toBe('sweep.yaml:1:14: keep_models: expected a whole number, got 2.5');
    expect(message('best')).toBe('sweep.yaml:1:14: keep_models: expected a whole number ≥ 0 (the best K trials keep their model) or "all"');
  });
});
