// Writing `report -o FILE`: never over an existing file without --force, never over the results
// DB (or its -wal/-shm) at all, and atomically (a temp file beside it, then rename), so a reader
// or a crash never sees half a report. Issue 15 brings one such module for every command; this
// is the one place to swap for it.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../commands/errors.js';

export interface OutputOptions {
  force?: boolean;
  /** Files never written over, --force or not (the results DB). */
  protect: readonly string[];
}

export function writeOutputFile(target: string, text: string, options: OutputOptions): void {
  const absolute = checkOutputFile(target, options);
  const directory = path.dirname(absolute);
  const temp = path.join(directory, `.${path.basename(absolute)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, text, { flag: 'wx' });
    fs.renameSync(temp, absolute);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new UsageError(`cannot write -o ${target}: ${(error as Error).message}`);
  }
}

/** Throws the UsageError writeOutputFile would, before any work is done; returns the absolute path. */
export function checkOutputFile(target: string, options: OutputOptions): string {
  const absolute = path.resolve(target);
  for (const kept of options.protect) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      if (sameFile(absolute, path.resolve(kept + suffix))) throw new UsageError(`-o ${target} is the results DB${suffix ? ` (its ${suffix.slice(1)} file)` : ''}: write the report somewhere else`);
    }
  }
  const directory = path.dirname(absolute);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`cannot write -o ${target}: ${(error as Error).message}`);
  }
  if (stat?.isDirectory()) throw new UsageError(`-o ${target} is a directory: give a file name, e.g. ${path.join(target, 'report.html')}`);
  if (stat && !options.force) throw new UsageError(`-o ${target} exists: pass --force to replace it`);
  if (!fs.existsSync(directory) || !fs.statSync(directory).isDirectory()) throw new UsageError(`cannot write -o ${target}: directory ${path.dirname(target)} does not exist`);
  return absolute;
}

function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const x = fs.statSync(a);
    const y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
