// The terminal around the dashboard: whether one can be drawn, the alternate screen it is drawn on
// (so the shell's screen comes back untouched when it closes), and a stand-in terminal that
// discards output, to measure the dashboard's cost without a real one (npm run bench).
import { Writable } from 'node:stream';

/** As ink decides it (is-in-ci): in CI, ink writes only the last frame, so a live dashboard is pointless. */
function inCi(env: NodeJS.ProcessEnv): boolean {
  const set = (key: string) => key in env && env[key] !== '0' && env[key] !== 'false';
  return set('CI') || set('CONTINUOUS_INTEGRATION');
}

/** Whether `stdout` can show the dashboard: a terminal (not a pipe or file), not a dumb one, not CI. */
export function dashboardSupported(stdout: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stdout.isTTY === true && env.TERM !== 'dumb' && !inCi(env);
}

const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h\u001B[2J\u001B[H';
const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l';

/** Switches to the alternate screen; the returned function switches back (once). */
export function enterAlternateScreen(stdout: NodeJS.WriteStream): () => void {
  stdout.write(ENTER_ALTERNATE_SCREEN);
  let left = false;
  return () => {
    if (left) return;
    left = true;
    stdout.write(LEAVE_ALTERNATE_SCREEN);
  };
}

/** A terminal of the given size that throws its output away (counting the bytes), for benchmarks. */
export function discardingTerminal(size: { columns: number; rows: number }): NodeJS.WriteStream & { bytesWritten: number } {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      done();
    },
  });
  Object.defineProperties(stream, {
    isTTY: { value: true },
    columns: { value: size.columns },
    rows: { value: size.rows },
    bytesWritten: { get: () => bytes },
  });
  return stream as unknown as NodeJS.WriteStream & { bytesWritten: number };
}
