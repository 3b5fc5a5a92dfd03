// `sweepdeck serve DB [--sweep NAME] [--port 8080] [--host 127.0.0.1] [--open]` and
// `sweepdeck report DB [--sweep NAME] -o FILE`:
// the web view of a results DB, live over HTTP or as one HTML file. Both only read the DB.
import { spawn } from 'node:child_process';
import { isPostgresUrl, openReadStore } from '../store/index.js';
import { isLoopback, startServer } from '../web/server.js';
import { buildReport } from '../web/report.js';
import { checkOutputFile, writeOutputFile } from '../output/write-output.js';
import { EXIT_OK, UsageError } from './errors.js';

type Print = (text: string) => void;

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServeFlags {
  /** Which sweep, where the DB (a PostgreSQL database) holds several. */
  sweep?: string;
  port: number;
  host: string;
  open?: boolean;
}

export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port expects a whole number from 0 to 65535 (0: any free port), got "${raw}"`);
  return port;
}

/** Serves until SIGINT/SIGTERM; resolves with the exit code. */
export async function serveCommand(location: string, flags: ServeFlags, print: Print, note: Print): Promise<number> {
  const store = await openReadStore(location, flags.sweep !== undefined ? { sweep: flags.sweep } : {});
  // What the page and messages name: the file, or the URL without its password.
  const dbPath = store.location;
  let server;
  try {
    server = await startServer({ store, dbPath, host: flags.host, port: flags.port, log: note });
  } catch (error) {
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${flags.port} on ${flags.host} is in use: pick another with --port (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') throw new UsageError(`cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`);
    throw error;
  }
  const sweep = store.sweep();
  print(`serving sweep ${sweep.name} from ${dbPath} (read-only) at ${server.url}`);
  if (!isLoopback(flags.host)) note(`note: --host ${flags.host} makes the results readable by anyone who can reach this machine on port ${flags.port}`);
  print('Ctrl-C stops');
  if (flags.open) openBrowser(server.url, note);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await store.close();
  return EXIT_OK;
}

function openBrowser(url: string, note: Print): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => note(`note: could not start a browser (${command}); open ${url} yourself`));
    child.unref();
  } catch {
    note(`note: could not start a browser (${command}); open ${url} yourself`);
  }
}

export async function reportCommand(location: string, flags: { out: string; force?: boolean; sweep?: string }, print: Print): Promise<number> {
  const started = performance.now();
  const output = { force: flags.force ?? false, protect: isPostgresUrl(location) ? [] : [location], flag: '-o' };
  checkOutputFile(flags.out, output);
  const store = await openReadStore(location, flags.sweep !== undefined ? { sweep: flags.sweep } : {});
  let report;
  try {
    report = await buildReport(store, store.location);
  } finally {
    await store.close();
  }
  writeOutputFile(flags.out, report.html, output);
  const mb = (Buffer.byteLength(report.html) / 1e6).toFixed(1);
  print(
    `wrote ${flags.out}: sweep ${report.view.sweep.name}, ${report.view.trials.length} trials (${report.pages} with full pages), ${mb} MB, one self-contained file, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return EXIT_OK;
}
