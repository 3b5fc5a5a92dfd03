import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../src/formula/index.js';

describe('didYouMean', () => {
  it.each([
    ['colour', ['color', 'size'], 'color'],
    ['lerning_rate', ['learning_rate', 'batch_size'], 'learning_rate'],
    ['x6', ['x1', 'x2', 'x3', 'x4', 'x5'], 'x5'],
    ['x0', ['x1', 'x2', 'x9'], 'x1'],
    ['lg', ['ln', 'log', 'log2', 'exp'], 'log'],
    ['X1', ['x1', 'x2'], 'x1'],
    ['depht', ['depth', 'width'], 'depth'],
    ['sigmod', ['sigmoid', 'softplus'], 'sigmoid'],
  ])('%s → %s', (word, candidates, expected) => {
    expect(didYouMean(word, candidates)).toBe(expected);
  });

  it.each([
    ['q', ['x1', 'x2']],
    ['ab', ['xy']],
    ['x', ['e']],
    ['completely', ['different', 'words']],
    ['anything', []],
  ])('%s has no suggestion among %j', (word, candidates) => {
    expect(didYouMean(word, candidates)).toBeUndefined();
  });

  it('accepts any iterable and keeps the first of equally good candidates', () => {
    expect(didYouMean('cat', new Set(['bat', 'hat']))).toBe('bat');
    expect(didYouMean('steps', new Map([['step', 1]]).keys())).toBe('step');
  });
});
