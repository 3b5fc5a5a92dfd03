// Turns a zod issue into one plain sentence: what was expected, what was found, and a did-you-mean.
import { z, type ZodIssue, type ZodTypeAny } from 'zod';
import { describeValue } from './errors.js';
import { didYouMean } from '../formula/index.js';

export interface IssueReport {
  path: (string | number)[];
  /** true when the position to show is the key itself (an unknown key). */
  atKey: boolean;
  message: string;
}

export function reportIssue(issue: ZodIssue, data: unknown, schema: ZodTypeAny): IssueReport {
  const path = [...issue.path];
  const actual = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const known = knownKeys(schema, path);
      const suggestion = didYouMean(key, known);
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
      const list = known.length ? `; expected one of: ${known.join(', ')}` : '';
      return { path: [...path, key], atKey: true, message: `unknown key "${key}"${hint}${list}` };
    }
    case 'invalid_enum_value': {
      const options = issue.options.map(String);
      const suggestion = typeof actual === 'string' ? didYouMean(actual, options) : undefined;
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
      return { path, atKey: false, message: `expected one of ${options.join(', ')}; got ${describeValue(actual)}${hint}` };
    }
    case 'invalid_union_discriminator': {
      const options = issue.options.map(String);
      const given = valueAt(data, [...path, 'type']) ?? actual;
      const suggestion = typeof given === 'string' ? didYouMean(given, options) : undefined;
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
      return { path, atKey: false, message: `expected type to be one of ${options.join(', ')}; got ${describeValue(given)}${hint}` };
    }
    case 'invalid_type': {
      if (issue.received === 'undefined') return { path, atKey: true, message: `is required: expected ${expectedName(issue.expected)}` };
      return { path, atKey: false, message: `expected ${expectedName(issue.expected)}, got ${describeValue(actual)}` };
    }
    case 'invalid_literal':
      return { path, atKey: false, message: `expected ${JSON.stringify(issue.expected)}, got ${describeValue(actual)}` };
    case 'too_small': {
      if (issue.type === 'array') return { path, atKey: false, message: issue.message.startsWith('expected') ? issue.message : `expected at least ${issue.minimum} item(s)` };
      if (issue.type === 'string') return { path, atKey: false, message: issue.message.startsWith('expected') ? issue.message : 'expected a non-empty string' };
      const bound = issue.inclusive ? '≥' : '>';
      return { path, atKey: false, message: `expected a number ${bound} ${issue.minimum}, got ${describeValue(actual)}` };
    }
    case 'too_big': {
      if (issue.type === 'array') return { path, atKey: false, message: issue.message };
      const bound = issue.inclusive ? '≤' : '<';
      return { path, atKey: false, message: `expected a number ${bound} ${issue.maximum}, got ${describeValue(actual)}` };
    }
    case 'not_multiple_of':
      return { path, atKey: false, message: `expected a multiple of ${issue.multipleOf}, got ${describeValue(actual)}` };
    default:
      return {
        path,
        atKey: false,
        message: issue.message === 'Expected integer, received float' ? `expected a whole number, got ${describeValue(actual)}` : issue.message,
      };
  }
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping (key: value)';
    case 'array':
      return 'a list';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'integer':
      return 'a whole number';
    default:
      return expected;
  }
}

export function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let node = data;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = Object.hasOwn(node, segment) ? (node as Record<string | number, unknown>)[segment] : undefined;
  }
  return node;
}

/** The keys an object schema accepts at `path` (walking through defaults, optionals, records, arrays). */
export function knownKeys(schema: ZodTypeAny, path: readonly (string | number)[]): string[] {
  let node: ZodTypeAny | undefined = schema;
  for (const segment of [...path, null]) {
    node = unwrap(node);
    if (!node) return [];
    if (segment === null) break;
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, ZodTypeAny>)[String(segment)];
    else if (node instanceof z.ZodRecord) node = node.valueSchema as ZodTypeAny;
    else if (node instanceof z.ZodArray) node = node.element as ZodTypeAny;
    else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape as object) : [];
}

function unwrap(schema: ZodTypeAny | undefined): ZodTypeAny | undefined {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodDefault) node = node._def.innerType as ZodTypeAny;
    else if (node instanceof z.ZodOptional) node = node.unwrap() as ZodTypeAny;
    else if (node instanceof z.ZodEffects) node = node.innerType() as ZodTypeAny;
    else if (node instanceof z.ZodLazy) node = node.schema as ZodTypeAny;
    else return node;
  }
}
