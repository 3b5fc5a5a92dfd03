// Splits formula text into tokens, one at a time; characters a formula cannot contain become `invalid` tokens.

export type Token =
  | { kind: 'number'; value: number; text: string; start: number; end: number }
  | { kind: 'name'; text: string; start: number; end: number }
  /** `^` also stands for `**`. */
  | { kind: 'op'; op: '+' | '-' | '*' | '/' | '^'; text: string; start: number; end: number }
  | { kind: '(' | ')' | ','; text: string; start: number; end: number }
  | { kind: 'end'; text: ''; start: number; end: number }
  /** Not part of the formula language; carries the message to report if the parser reaches it. */
  | { kind: 'invalid'; message: string; text: string; start: number; end: number };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isNameStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isNameChar = (c: string | undefined): boolean => isNameStart(c) || isDigit(c);
const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);

/** The token starting at or after `offset` (after skipping whitespace). */
export function nextToken(source: string, offset: number): Token {
  let pos = offset;
  while (isSpace(source[pos])) pos++;
  const start = pos;
  const c = source[pos];
  if (c === undefined) return { kind: 'end', text: '', start, end: start };
  if (isDigit(c) || (c === '.' && isDigit(source[pos + 1]))) return lexNumber(source, start);
  if (isNameStart(c)) {
    while (isNameChar(source[pos])) pos++;
    // `pred.y2`, `target.y2`: a dotted name (another target's value in a several-target problem).
    while (source[pos] === '.' && isNameStart(source[pos + 1])) {
      pos++;
      while (isNameChar(source[pos])) pos++;
    }
    return { kind: 'name', text: source.slice(start, pos), start, end: pos };
  }
  if (c === '*' && source[pos + 1] === '*') return { kind: 'op', op: '^', text: '**', start, end: start + 2 };
  if (c === '+' || c === '-' || c === '*' || c === '/' || c === '^') return { kind: 'op', op: c, text: c, start, end: start + 1 };
  if (c === '(' || c === ')' || c === ',') return { kind: c, text: c, start, end: start + 1 };
  const char = String.fromCodePoint(source.codePointAt(pos)!);
  return { kind: 'invalid', message: invalidCharacterMessage(char), text: char, start, end: start + char.length };
}

function invalidCharacterMessage(char: string): string {
  if (char === '"' || char === "'" || char === '`') return `unexpected ${char === '"' ? "'\"'" : `"${char}"`} (formulas have no strings)`;
  return `unexpected character "${char}"`;
}

/** `12`, `1.5`, `1.`, `.5`, `1e-6`, `2E+3`. */
function lexNumber(source: string, start: number): Token {
  let pos = start;
  while (isDigit(source[pos])) pos++;
  if (source[pos] === '.') {
    pos++;
    while (isDigit(source[pos])) pos++;
  }
  if (source[pos] === 'e' || source[pos] === 'E') {
    const sign = source[pos + 1] === '+' || source[pos + 1] === '-' ? 1 : 0;
    if (isDigit(source[pos + 1 + sign])) {
      pos += 1 + sign;
      while (isDigit(source[pos])) pos++;
    } else if (sign === 1 || !isNameChar(source[pos + 1])) {
      // `1e`, `1e+`: an exponent was started but has no digits.
      const end = pos + 1 + sign;
      return { kind: 'invalid', message: `malformed number "${source.slice(start, end)}"`, text: source.slice(start, end), start, end };
    }
  }
  if (source[pos] === '.') {
    // `1.5.3`, `1..2`: report the whole run of number-like characters.
    let end = pos;
    while (isDigit(source[end]) || source[end] === '.') end++;
    return { kind: 'invalid', message: `malformed number "${source.slice(start, end)}"`, text: source.slice(start, end), start, end };
  }
  const text = source.slice(start, pos);
  const value = Number(text);
  if (!Number.isFinite(value)) return { kind: 'invalid', message: `number "${text}" is too large`, text, start, end: pos };
  return { kind: 'number', value, text, start, end: pos };
}
