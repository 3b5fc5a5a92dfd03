// Parses formula text into a syntax tree, checking names, functions and arities; never executes anything.
import type { BinaryOp, FormulaNode } from './ast.js';
import { childrenOf } from './ast.js';
import { FORMULA_CONSTANTS, lookupConstant } from './constants.js';
import { didYouMean } from './did-you-mean.js';
import { describeArity, FORMULA_FUNCTIONS, lookupFunction, type FunctionName } from './functions.js';
import { nextToken, type Token } from './lexer.js';
import { FormulaSyntaxFailure, syntaxFailure, type FormulaSyntaxError } from './syntax-error.js';

export type { FormulaSyntaxError } from './syntax-error.js';

export interface Formula {
  source: string;
  root: FormulaNode;
  /** Distinct free names used, in first-use order, excluding constants. */
  names: string[];
}

export type ParseResult = { ok: true; formula: Formula } | { ok: false; error: FormulaSyntaxError };

/** Parentheses, unary signs and calls may nest this deep (keeps the recursive parser off the stack limit). */
const MAX_NESTING = 200;
/** Longest chain of operations from the root to a leaf (keeps recursive compilers off the stack limit). */
const MAX_TREE_DEPTH = 1000;

export function parseFormula(source: string, allowedNames: Iterable<string>): ParseResult {
  try {
    const parser = new Parser(source, new Set(allowedNames));
    const root = parser.parseAll();
    checkTreeDepth(root);
    return { ok: true, formula: { source, root, names: parser.names } };
  } catch (error) {
    if (error instanceof FormulaSyntaxFailure) return { ok: false, error: error.detail };
    throw error;
  }
}

class Parser {
  readonly names: string[] = [];
  private readonly seenNames = new Set<string>();
  private token: Token;
  private previous: Token | undefined;
  private nesting = 0;

  constructor(
    private readonly source: string,
    private readonly allowedNames: ReadonlySet<string>,
  ) {
    this.token = nextToken(source, 0);
  }

  parseAll(): FormulaNode {
    const root = this.parseAdditive();
    if (this.token.kind !== 'end') throw this.unexpected(this.token);
    return root;
  }

  private advance(): Token {
    const current = this.token;
    this.previous = current;
    this.token = nextToken(this.source, current.end);
    return current;
  }

  private isOp(...ops: BinaryOp[]): boolean {
    return this.token.kind === 'op' && ops.includes(this.token.op);
  }

  private enter(at: Token): void {
    if (++this.nesting > MAX_NESTING) throw syntaxFailure(`formula nests too deeply (more than ${MAX_NESTING} levels)`, at.start, at.end - at.start);
  }

  private leave(): void {
    this.nesting--;
  }

  private parseAdditive(): FormulaNode {
    let left = this.parseMultiplicative();
    while (this.isOp('+', '-')) {
      const op = this.advance() as Extract<Token, { kind: 'op' }>;
      const right = this.parseMultiplicative();
      left = binary(op.op, left, right);
    }
    return left;
  }

  private parseMultiplicative(): FormulaNode {
    let left = this.parseUnary();
    while (this.isOp('*', '/')) {
      const op = this.advance() as Extract<Token, { kind: 'op' }>;
      const right = this.parseUnary();
      left = binary(op.op, left, right);
    }
    return left;
  }

  /** Unary signs bind looser than `^`: `-x^2` is `-(x^2)`. */
  private parseUnary(): FormulaNode {
    if (!this.isOp('+', '-')) return this.parsePower();
    const sign = this.advance();
    this.enter(sign);
    const arg = this.parseUnary();
    this.leave();
    return sign.text === '-' ? { kind: 'neg', arg, start: sign.start, end: arg.end } : arg;
  }

  /** `^` is right-associative and its exponent may carry a sign: `2^3^2` = `2^(3^2)`, `2^-1`. */
  private parsePower(): FormulaNode {
    const base = this.parsePrimary();
    this.expectOperatorOrEnd(base);
    if (!this.isOp('^')) return base;
    const caret = this.advance();
    this.enter(caret);
    const exponent = this.parseUnary();
    this.leave();
    return binary('^', base, exponent);
  }

  /** After a complete operand only an operator, `)`, `,` or the end may follow (`2x`, `a b`, `2(3)` are errors). */
  private expectOperatorOrEnd(operand: FormulaNode): void {
    const token = this.token;
    if (token.kind === 'invalid') throw this.unexpected(token);
    if (token.kind === 'name' || token.kind === 'number' || token.kind === '(') {
      const before = this.source.slice(operand.start, operand.end);
      throw syntaxFailure(`expected an operator between "${before}" and "${token.text}"`, token.start, token.end - token.start);
    }
  }

  private parsePrimary(): FormulaNode {
    const token = this.token;
    switch (token.kind) {
      case 'number':
        this.advance();
        return { kind: 'number', value: token.value, start: token.start, end: token.end };
      case 'name':
        this.advance();
        return this.token.kind === '(' ? this.parseCall(token) : this.resolveName(token);
      case '(': {
        this.advance();
        this.enter(token);
        const inner = this.parseAdditive();
        this.leave();
        this.expectClosing(token);
        // The parenthesised node spans its parentheses, so quoting a parent's source text stays balanced.
        return { ...inner, start: token.start, end: this.previous!.end };
      }
      default:
        throw this.expectedExpression(token);
    }
  }

  private parseCall(nameToken: Extract<Token, { kind: 'name' }>): FormulaNode {
    const fn = this.resolveFunction(nameToken);
    const open = this.advance();
    this.enter(open);
    const args: FormulaNode[] = [];
    if (this.token.kind !== ')') {
      for (;;) {
        args.push(this.parseAdditive());
        if (this.token.kind !== ',') break;
        this.advance();
      }
    }
    this.leave();
    this.expectClosing(open);
    const end = this.previous!.end;
    const definition = FORMULA_FUNCTIONS[fn];
    if (args.length < definition.minArgs || args.length > definition.maxArgs) {
      throw syntaxFailure(`${describeArity(definition)}, got ${args.length}`, nameToken.start, end - nameToken.start);
    }
    return { kind: 'call', fn, args, start: nameToken.start, end };
  }

  private expectClosing(open: Token): void {
    if (this.token.kind === ')') {
      this.advance();
      return;
    }
    if (this.token.kind === 'end') throw syntaxFailure('unclosed "("', open.start, 1);
    throw this.unexpected(this.token);
  }

  private resolveFunction(token: Extract<Token, { kind: 'name' }>): FunctionName {
    const name = token.text;
    const fn = lookupFunction(name);
    if (fn) return fn.name;
    const length = token.end - token.start;
    if (lookupConstant(name) !== undefined) throw syntaxFailure(`"${name}" is a constant, not a function`, token.start, length);
    if (this.allowedNames.has(name)) throw syntaxFailure(`"${name}" is a variable, not a function`, token.start, length);
    const suggestion = didYouMean(name, Object.keys(FORMULA_FUNCTIONS));
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
    throw syntaxFailure(`unknown function "${name}"${hint}`, token.start, length, suggestion);
  }

  private resolveName(token: Extract<Token, { kind: 'name' }>): FormulaNode {
    const name = token.text;
    const node: FormulaNode = { kind: 'name', name, start: token.start, end: token.end };
    if (lookupConstant(name) !== undefined) return node;
    if (this.allowedNames.has(name)) {
      if (!this.seenNames.has(name)) {
        this.seenNames.add(name);
        this.names.push(name);
      }
      return node;
    }
    const length = token.end - token.start;
    if (lookupFunction(name)) throw syntaxFailure(`"${name}" is a function; call it like ${name}(...)`, token.start, length);
    const suggestion = didYouMean(name, [...this.allowedNames, ...Object.keys(FORMULA_CONSTANTS)]);
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
    const known = this.allowedNames.size > 0 ? `; known names: ${[...this.allowedNames].join(', ')}` : '';
    throw syntaxFailure(`unknown name "${name}"${hint}${known}`, token.start, length, suggestion);
  }

  /** An expression was required at `token` but it cannot start one. */
  private expectedExpression(token: Token): FormulaSyntaxFailure {
    if (token.kind === 'invalid') return this.unexpected(token);
    const previous = this.previous;
    if (token.kind === 'end') {
      return previous ? syntaxFailure(`expected an expression after "${previous.text}"`, previous.start, previous.end - previous.start) : syntaxFailure('empty formula', 0, 0);
    }
    if (previous && (previous.kind === 'op' || previous.kind === ',')) {
      return syntaxFailure(`expected an expression after "${previous.text}", got "${token.text}"`, token.start, token.end - token.start);
    }
    return this.unexpected(token);
  }

  private unexpected(token: Token): FormulaSyntaxFailure {
    const length = token.end - token.start;
    if (token.kind === 'invalid') return syntaxFailure(token.message, token.start, length);
    if (token.kind === 'end') return syntaxFailure('unexpected end of formula', token.start, 0);
    return syntaxFailure(`unexpected "${token.text}"`, token.start, length);
  }
}

function binary(op: BinaryOp, left: FormulaNode, right: FormulaNode): FormulaNode {
  return { kind: 'binary', op, left, right, start: left.start, end: right.end };
}

/** Long chains like `a+b+c+...` are deep trees without deep parser recursion; bound them too. */
function checkTreeDepth(root: FormulaNode): void {
  const stack: [FormulaNode, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_TREE_DEPTH) {
      throw syntaxFailure(`formula is too long (more than ${MAX_TREE_DEPTH} nested operations)`, node.start, node.end - node.start);
    }
    for (const child of childrenOf(node)) stack.push([child, depth + 1]);
  }
}
