// Reading a text input (a sweep file, a CSV, stdin) with a ceiling on its size, so that /dev/zero,
// a fifo that never ends or a 5 GB file ends in a message instead of exhausting memory. Text
// inputs never hold a NUL byte, so the first one ends the read at once (a binary file or
// /dev/zero is refused after one chunk). Errors are values; the caller names the flag or file.
import fs from 'node:fs';

export type BoundedRead = { ok: true; text: string } | { ok: false; reason: string };

const CHUNK_BYTES = 1 << 20;

/** What a size is in words: "8 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${+(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${+(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${+(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** Reads the file at `file` as UTF-8, refusing it once more than `limitBytes` have been read or a NUL byte is seen. */
export function readBoundedFileSync(file: string, limitBytes: number): BoundedRead {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    return { ok: false, reason: describeOpenError(error) };
  }
  try {
    if (fs.fstatSync(fd).isDirectory()) return { ok: false, reason: 'it is a directory' };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      let read: number;
      try {
        read = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null);
      } catch (error) {
        // A non-blocking descriptor with nothing to read yet (a terminal): wait for it like a blocking read.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        return { ok: false, reason: describeOpenError(error) };
      }
      if (read === 0) break;
      const refused = accept(chunks, chunk.subarray(0, read), (total += read), limitBytes);
      if (refused) return refused;
    }
    return { ok: true, text: Buffer.concat(chunks, total).toString('utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

/** As readBoundedFileSync, for a file or, with "-", stdin (read as a stream, so a pipe or a terminal works). */
export async function readBoundedInput(file: string, limitBytes: number): Promise<BoundedRead> {
  if (file !== '-') return readBoundedFileSync(file, limitBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const data of process.stdin) {
      const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
      const refused = accept(chunks, chunk, (total += chunk.length), limitBytes);
      if (refused) {
        process.stdin.destroy();
        return refused;
      }
    }
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  return { ok: true, text: Buffer.concat(chunks, total).toString('utf8') };
}

function accept(chunks: Buffer[], chunk: Buffer, total: number, limitBytes: number): BoundedRead | undefined {
  if (chunk.includes(0)) return { ok: false, reason: 'it holds NUL bytes: a binary file, not text' };
  if (total > limitBytes) return { ok: false, reason: `it is larger than ${formatBytes(limitBytes)}, the most that is read` };
  chunks.push(chunk);
  return undefined;
}

function describeOpenError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return (error as Error).message;
  }
}
