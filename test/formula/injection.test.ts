// Formulas are data: anything that looks like JavaScript is refused by the parser and never executed.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileF64, evalScalar, FORMULA_CONSTANTS, FORMULA_FUNCTIONS, parseFormula } from '../../src/formula/index.js';

const NAMES = ['x', 'a', 'b'];

describe('injection attempts are refused and nothing runs', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    // A dotted name is one name (pred.y2 in several-target problems), and an unknown one.
    ['process.exit()', 'unknown function "process.exit"', 0],
    ['process.exit(1)', 'unknown function "process.exit"', 0],
    ['import("fs")', 'unknown function "import"', 0],
    ['require("fs")', 'unknown function "require"', 0],
    ['constructor', 'unknown name "constructor"', 0],
    ['constructor(1)', 'unknown function "constructor"', 0],
    ['x + __proto__', 'unknown name "__proto__"', 4],
    ['toString(x)', 'unknown function "toString"', 0],
    ['hasOwnProperty(x)', 'unknown function "hasOwnProperty"', 0],
    ['this', 'unknown name "this"', 0],
    ['globalThis.x', 'unknown name "globalThis.x"', 0],
    ['eval(x)', 'unknown function "eval"', 0],
    ['Function(x)', 'unknown function "Function"', 0],
    ['a.b', 'unknown name "a.b"', 0],
    ['a.', 'unexpected character "."', 1],
    ['x[0]', 'unexpected character "["', 1],
    ['"1"', `unexpected '"' (formulas have no strings)`, 0],
    ["'1'", `unexpected "'" (formulas have no strings)`, 0],
    ['`x`', 'unexpected "`" (formulas have no strings)', 0],
    ['1;2', 'unexpected character ";"', 1],
    ['x => x', 'unexpected character "="', 2],
    ['x = 1', 'unexpected character "="', 2],
    ['(x) => { return 1 }', 'unexpected character "="', 4],
    ['x || 1', 'unexpected character "|"', 2],
    ['x ? a : b', 'unexpected character "?"', 2],
    ['new x', 'unknown name "new"', 0],
  ])('%s → %s', (source, messageStart, offset) => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => {
      throw new Error('process.exit was called');
    });
    const result = parseFormula(source, NAMES);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message.startsWith(messageStart)).toBe(true);
    expect(result.error.offset).toBe(offset);
    expect(exit).not.toHaveBeenCalled();
  });

  it('prototype names are not functions or constants', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty']) {
      expect(name in FORMULA_FUNCTIONS).toBe(false);
      expect(name in FORMULA_CONSTANTS).toBe(false);
    }
    expect('log' in FORMULA_FUNCTIONS).toBe(true);
    expect('e' in FORMULA_CONSTANTS).toBe(true);
  });

  it('a variable the caller really declares as `constructor` or `__proto__` is just a value', () => {
    const parsed = parseFormula('constructor + __proto__ * 2', ['constructor', '__proto__']);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.formula.names).toEqual(['constructor', '__proto__']);
    expect(evalScalar(parsed.formula, new Map([['constructor', 1], ['__proto__', 3]]))).toBe(7);
    const columns = new Map([['constructor', Float64Array.of(1, 2)], ['__proto__', Float64Array.of(10, 20)]]);
    expect([...compileF64(parsed.formula)(columns, 2)]).toEqual([21, 42]);
  });

  it('the formula module contains no eval or Function constructor', () => {
    const directory = fileURLToPath(new URL('../../src/formula/', import.meta.url));
    for (const file of readdirSync(directory).filter((name) => name.endsWith('.ts'))) {
      const text = readFileSync(directory + file, 'utf8');
      expect(text, file).not.toMatch(/\beval\s*\(|new\s+Function\b|\bFunction\s*\(/);
    }
  });
});
