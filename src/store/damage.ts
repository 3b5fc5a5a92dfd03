// A damaged DB file (a disk error, a copy cut short, bytes overwritten): which of its tables
// SQLite finds damaged, in words, and how to salvage what it can still read. The writer refuses a
// damaged DB before writing anything; readers show what they can and then say what is damaged.
import Database from 'better-sqlite3';

/** SQLite's "database disk image is malformed" and its variants. */
export function isCorruption(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code.startsWith('SQLITE_CORRUPT');
}

/** What each table holds, for messages. */
const TABLE_CONTENTS: Record<string, string> = {
  sweep: 'the sweep record',
  trials: 'the trials',
  metrics: 'the metric curves',
  models: 'the kept models',
  meta: 'the schema version and writer lock',
};

/** How many problems quick_check lists at most: enough to name the damaged tables, cheap on a wreck. */
const MAX_CHECK_ROWS = 100;

/**
 * SQLite's quick_check (structure only, O(size of the file), no index contents) as a list of the
 * damaged tables and indexes in words; an empty list when the file is sound.
 */
export function findDamage(db: Database.Database): string[] {
  let lines: string[] | undefined;
  // quick_check itself can fail on a wreck once it has listed enough problems: ask for fewer.
  for (const rows of [MAX_CHECK_ROWS, 10, 1]) {
    try {
      lines = (db.pragma(`quick_check(${rows})`) as { quick_check: string }[]).flatMap((row) => row.quick_check.split('\n'));
      break;
    } catch {
      continue;
    }
  }
  if (!lines) return ["the file's structure (SQLite's quick_check cannot finish)"];
  if (lines.length === 1 && lines[0] === 'ok') return [];
  const roots = new Map<number, string>();
  try {
    for (const row of db.prepare<[], { name: string; type: string; rootpage: number }>('SELECT name, type, rootpage FROM sqlite_master').all()) {
      roots.set(row.rootpage, row.type === 'index' ? `index ${row.name}` : `table ${row.name}${TABLE_CONTENTS[row.name] ? ` (${TABLE_CONTENTS[row.name]})` : ''}`);
    }
  } catch {
    return ['the schema (sqlite_master)'];
  }
  const damaged = new Set<string>();
  for (const line of lines) {
    const tree = /^Tree (\d+) /.exec(line);
    if (tree) damaged.add(roots.get(Number(tree[1])) ?? `b-tree ${tree[1]}`);
    else if (/^(Page|On page|\*\*\* in database)/.test(line)) {
      if (!line.startsWith('***')) damaged.add('free or unreferenced pages');
    } else if (line !== 'ok' && !/malformed/.test(line)) damaged.add(line);
  }
  return damaged.size ? [...damaged] : ['its pages'];
}

/** The advice every damage message ends with. */
export function salvageAdvice(dbPath: string): string {
  return `to salvage what SQLite can still read: sqlite3 ${dbPath} .recover | sqlite3 recovered.db`;
}
