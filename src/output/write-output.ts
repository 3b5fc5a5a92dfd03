// Writing a command's output file or directory (export --out, export-model --out, a report): the
// one place that decides whether a path may be written, and writes it so that a failure never
// leaves half a file. Refused, with exit 2 and nothing written: a path that is one of the files
// the command reads (its DB with its -wal/-shm, a sweep file), a directory that holds one, any
// existing file or non-empty directory unless `force`, and anything that is not a plain file or
// directory (a device, a fifo: renaming over /dev/null would replace the device node).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A path that may not be written; the message names it and says what to do (the CLI exits 2). */
export class OutputError extends Error {
  override name = 'OutputError';
}

export interface WriteOutputOptions {
  /** Replace an existing file, or an existing non-empty directory, at the path. */
  force?: boolean;
  /** Files the command reads: never written over or removed, even with `force`. A DB's -wal, -shm and -journal files are protected with it. */
  protect?: readonly string[];
  /** How the path was given in messages, e.g. "--out" (the default). */
  flag?: string;
}

export type OutputChunk = string | Uint8Array;

/**
 * Writes `content` (text, bytes, or chunks written one after another, so a large output is never
 * one string) to a temp file beside `target`, fsyncs it and renames it into place.
 */
export function writeOutputFile(target: string, content: OutputChunk | Iterable<OutputChunk>, options: WriteOutputOptions = {}): void {
  checkOutputFile(target, options);
  const flag = options.flag ?? '--out';
  const staging = stagingPath(target);
  try {
    const fd = fs.openSync(staging, 'wx');
    try {
      const chunks = typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
      for (const chunk of chunks) fs.writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { force: true });
    throw asOutputError(error, target, flag);
  }
}

/**
 * Throws the OutputError that writeOutputFile would throw for `target`, without writing anything:
 * a command that works long before it writes (a report) checks its path first.
 */
export function checkOutputFile(target: string, options: WriteOutputOptions = {}): void {
  const flag = options.flag ?? '--out';
  const existing = statOrUndefined(target);
  checkParent(target, flag);
  if (existing?.isDirectory()) throw new OutputError(`${flag} ${target} is a directory; give the path of a file to write`);
  refuseProtected(target, options.protect ?? [], flag);
  if (existing && !existing.isFile()) throw new OutputError(`${flag} ${target} is not a plain file (a device, a socket or a fifo); leave out ${flag} to write to stdout`);
  if (existing && !options.force) throw new OutputError(`${flag} ${target} already exists; give a new path, or add --force to replace it`);
}

/**
 * Writes `files` (name → content) into a fresh sibling directory, then swaps it in for `target`
 * with renames, so the set is always one export's: a crash leaves the old directory or the new one.
 */
export function writeOutputDir(target: string, files: ReadonlyMap<string, OutputChunk>, options: WriteOutputOptions = {}): void {
  const flag = options.flag ?? '--out';
  const existing = statOrUndefined(target);
  checkParent(target, flag);
  refuseProtected(target, options.protect ?? [], flag);
  if (existing && !existing.isDirectory()) throw new OutputError(`${flag} ${target} exists and is not a directory; give a new or empty directory`);
  if (existing && !options.force) {
    const entries = fs.readdirSync(target);
    if (entries.length) {
      const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
      throw new OutputError(`${flag} ${target} is not empty (it holds ${shown}); give a new or empty directory, or add --force to replace it`);
    }
  }

  // mkdirSync (not mkdtempSync, which makes it private) so the directory gets the usual permissions.
  const staging = stagingPath(target);
  let old: string | undefined;
  try {
    fs.mkdirSync(staging);
    for (const [name, content] of files) {
      const fd = fs.openSync(path.join(staging, name), 'wx');
      try {
        fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    if (existing) {
      old = `${staging}-old`;
      fs.renameSync(target, old);
    }
    fs.renameSync(staging, target);
  } catch (error) {
    if (old && !fs.existsSync(target)) fs.renameSync(old, target);
    fs.rmSync(staging, { recursive: true, force: true });
    throw asOutputError(error, target, flag);
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

function statOrUndefined(target: string): fs.Stats | undefined {
  try {
    return fs.statSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new OutputError(`${target}: a part of the path above it is a file, not a directory`);
    throw new OutputError(`cannot use ${target}: ${(error as Error).message}`);
  }
}

function checkParent(target: string, flag: string): void {
  const parent = path.dirname(path.resolve(target));
  const stat = statOrUndefined(parent);
  if (!stat) throw new OutputError(`${flag} ${target}: directory ${path.dirname(target)} does not exist; create it first`);
  if (!stat.isDirectory()) throw new OutputError(`${flag} ${target}: ${path.dirname(target)} is not a directory`);
}

/** The files `protect` names, with a DB's sidecar files, as (device, inode) pairs and as resolved paths. */
function refuseProtected(target: string, protect: readonly string[], flag: string): void {
  const resolvedTarget = resolveThroughParent(target);
  const targetStat = statOrUndefined(target);
  for (const file of protect) {
    for (const candidate of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
      const stat = statOrUndefined(candidate);
      const same = stat && targetStat ? stat.dev === targetStat.dev && stat.ino === targetStat.ino : resolveThroughParent(candidate) === resolvedTarget;
      if (same) throw new OutputError(`${flag} ${target} is ${candidate === file ? file : `${candidate}, a file of ${file}`}, which this command reads; write the output to another path`);
      if (targetStat?.isDirectory()) {
        const inside = path.relative(resolvedTarget, resolveThroughParent(candidate));
        if (stat && inside && !inside.startsWith('..') && !path.isAbsolute(inside)) {
          throw new OutputError(`${flag} ${target} holds ${candidate}, which this command reads; write the output to another directory`);
        }
      }
    }
  }
}

/** The absolute path with every symbolic link in its directory resolved (the file itself need not exist). */
function resolveThroughParent(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute));
    } catch {
      return absolute;
    }
  }
}

function stagingPath(target: string): string {
  const absolute = path.resolve(target);
  return path.join(path.dirname(absolute), `.${path.basename(absolute)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function asOutputError(error: unknown, target: string, flag: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EISDIR: 'it is a directory',
    EXDEV: 'it lies on another file system than its directory',
  };
  const reason = code ? reasons[code] : undefined;
  return reason ? new OutputError(`cannot write ${flag} ${target}: ${reason}; nothing was written`) : error;
}
