// The predict input: a CSV with the problem's variables as columns; every mistake named precisely.
import { describe, expect, it } from 'vitest';
import { ArtifactError, readInputCsv } from '../../src/artifacts/index.js';

const VARIABLES = [{ name: 'x1' }, { name: 'x2' }];

function refused(text: string, variables = VARIABLES): string {
  try {
    readInputCsv(text, 'in.csv', variables);
  } catch (error) {
    expect(error).toBeInstanceOf(ArtifactError);
    return (error as Error).message;
  }
  throw new Error('expected the input to be refused');
}

describe('readInputCsv', () => {
  it('reads the variables by header name, in any order, ignoring other columns', () => {
    const rows = readInputCsv('id,x2,x1\nA,2.5,1e3\n\nB,-0.5,.25\n', 'in.csv', VARIABLES);
    expect(rows.n).toBe(2);
    expect([...rows.columns.get('x1')!]).toEqual([1000, 0.25]);
    expect([...rows.columns.get('x2')!]).toEqual([2.5, -0.5]);
    expect(rows.lines).toEqual([2, 4]);
    expect([...rows.columns.keys()]).toEqual(['x1', 'x2']);
  });

  it('handles a BOM, quoted cells, spaces and CRLF', () => {
    const rows = readInputCsv('\ufeff"x1", x2\r\n"3", 4 \r\n', 'in.csv', VARIABLES);
    expect([...rows.columns.get('x1')!]).toEqual([3]);
    expect([...rows.columns.get('x2')!]).toEqual([4]);
  });

  it('fills a constant variable that the file leaves out, and reads it when given', () => {
    const variables = [{ name: 'x1' }, { name: 'k', constant: 7 }];
    expect([...readInputCsv('x1\n1\n2\n', 'in.csv', variables).columns.get('k')!]).toEqual([7, 7]);
    expect([...readInputCsv('x1,k\n1,8\n', 'in.csv', variables).columns.get('k')!]).toEqual([8]);
  });

  it('refuses a missing column, naming it, the expected columns and a near miss', () => {
    expect(refused('x1,x_2\n1,2\n')).toBe('in.csv:1: no column "x2" (did you mean "x_2"?); expected a header with the problem\'s variables: x1, x2 (got: x1, x_2)');
  });

  it('refuses a cell that is not a finite decimal number, with its line and column', () => {
    expect(refused('x1,x2\n1,2\n3,abc\n')).toBe('in.csv:3: column "x2": "abc" is not a number (expected a finite decimal number such as 12.5 or 1e-3)');
    expect(refused('x1,x2\n1,\n')).toMatch(/^in\.csv:2: column "x2": an empty cell is not a number/);
    for (const cell of ['NaN', 'Infinity', '0x10', '1_000', '1,5']) expect(refused(`x1,x2\n1,"${cell}"\n`)).toMatch(/is not a number/);
    expect(refused('x1,x2\n1,1e999\n')).toBe('in.csv:2: column "x2": 1e999 is too large for a float64');
  });

  it('refuses empty input, a header without rows, duplicate columns and ragged rows', () => {
    expect(refused('')).toMatch(/^in\.csv: empty; expected a header row with the columns x1, x2$/);
    expect(refused('x1,x2\n')).toBe('in.csv: no data rows after the header');
    expect(refused('x1,x2,x1\n1,2,3\n')).toBe('in.csv:1: column "x1" appears twice in the header');
    expect(refused('x1,x2\n1,2,3\n')).toMatch(/^in\.csv: not a readable CSV: Invalid Record Length: expect 2, got 3 on line 2$/);
  });
});
