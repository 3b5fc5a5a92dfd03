// Reads a sweep file (YAML, or JSON, which is YAML too) keeping source positions, so that any
// field path can be turned back into a line:column for error messages.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { SpecError, type SpecLocation } from './errors.js';

export type FieldPath = readonly (string | number)[];

export interface SweepSource {
  file: string;
  text: string;
  data: unknown;
  /** Where the value at `path` starts; with `key: true`, where its key starts. Falls back to the nearest existing parent. */
  locate(path: FieldPath, opts?: { key?: boolean }): SpecLocation | undefined;
  /** For a scalar string at `path`: the position of character `offset` of its value (for formula errors). */
  locateInScalar(path: FieldPath, offset: number): SpecLocation | undefined;
}

export function readSweepSource(file: string, text: string): SweepSource {
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  } catch (error) {
    // The parser recurses per nesting level: thousands of nested [ or { overflow the stack.
    if (error instanceof RangeError) throw new SpecError(file, undefined, undefined, 'this YAML is nested too deeply to read; a sweep file is a few levels deep');
    throw error;
  }
  const firstError = doc.errors[0];
  if (firstError) {
    throw new SpecError(
      file,
      undefined,
      lineCounter.linePos(firstError.pos[0]),
      `this is not valid YAML: ${firstError.message.split('\n')[0]}`,
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // yaml's guard against "billion laughs": aliases (*name) that expand into ever more copies.
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new SpecError(file, undefined, undefined, 'its aliases (*name) expand into too many copies of their anchors (&name); write the values out, or use fewer aliases');
    }
    if (error instanceof RangeError) throw new SpecError(file, undefined, undefined, 'this YAML is nested too deeply to read; a sweep file is a few levels deep');
    throw error;
  }
  const toLocation = (offset: number): SpecLocation => lineCounter.linePos(offset);

  return {
    file,
    text,
    data,
    locate(path, opts) {
      const found = findNode(doc, path);
      if (opts?.key && found.keyNode?.range && found.depth === path.length) return toLocation(found.keyNode.range[0]);
      const range = found.node?.range ?? found.keyNode?.range;
      return range ? toLocation(range[0]) : undefined;
    },
    locateInScalar(path, offset) {
      const found = findNode(doc, path);
      const node = found.node;
      if (!node || !isScalar(node) || !node.range) return this.locate(path);
      // Quoted scalars start one character before their value; block scalars are approximated.
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
      const lineBreaks = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
      if (lineBreaks) return toLocation(node.range[0]);
      return toLocation(node.range[0] + quoted + offset);
    },
  };
}

interface FoundNode {
  node: Node | undefined;
  keyNode: Node | undefined;
  depth: number;
}

/** Walk the document along `path`, stopping at the deepest node that exists. */
function findNode(doc: Document, path: FieldPath): FoundNode {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      keyNode = undefined;
      node = item;
    } else {
      break;
    }
    depth++;
  }
  return { node: (node ?? undefined) as Node | undefined, keyNode, depth };
}
