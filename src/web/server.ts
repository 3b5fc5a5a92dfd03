// `sweepdeck serve`: a read-only HTTP server over one results DB. Routes are a fixed list (the
// page, two bundled assets, three /api routes); nothing a request names is looked up on disk.
// A live sweep is followed by polling the DB's data_version once a second (one cheap PRAGMA, no
// read when nothing changed) and telling the pages over server-sent events, no more often than
// the cost of rebuilding the view allows (BUILD_COST_FACTOR).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadStore } from '../store/index.js';
import { loadSweepView, loadTrialView, type LoadCache } from './load.js';
import { ASSETS, notFoundHtml, pageHtml, readAsset } from './page.js';

export const DEFAULT_POLL_MS = 1000;
const SLOW_PARTS_EVERY_MS = 30_000;
/** Pages are told of a change at most once per this many times the last view build took: serving a live
 *  sweep then spends at most ~1/50 of one core rebuilding the view, however large the sweep grows. */
const BUILD_COST_FACTOR = 50;

export interface ServerOptions {
  store: ReadStore;
  dbPath: string;
  host: string;
  port: number;
  /** How often the DB is looked at for changes. */
  pollMs?: number;
  /** Changes are announced at most once per this many times the last view build took (default BUILD_COST_FACTOR). */
  buildCostFactor?: number;
  /** Where a request that failed inside the server is reported (the page gets a plain 500). */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // ECharts sets inline styles on the elements it creates; every script is our own bundle.
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'",
};

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { store, dbPath } = options;
  const log = options.log ?? (() => {});
  // A live sweep changes every second; the slow parts (importance, the best model's error per
  // input) are redone at most every SLOW_PARTS_EVERY_MS, so serving costs the sweep little CPU.
  const cache: LoadCache = { importanceEveryMs: SLOW_PARTS_EVERY_MS, inputErrorEveryMs: SLOW_PARTS_EVERY_MS };
  // What the pages are told changed: the DB's data_version, and whether a writer is alive.
  let token = await changeToken(store);
  let cached: { token: string; json: string } | undefined;
  let loading: Promise<string> | undefined;
  // How long the last view took to build, and when the pages were last told of a change.
  let lastBuildMs = 0;
  let announcedAt = 0;
  let announced = token;

  const sweepJson = async (): Promise<string> => {
    if (cached?.token === token) return cached.json;
    if (!loading) {
      const at = token;
      const started = performance.now();
      loading = loadSweepView(store, dbPath, cache)
        .then((view) => {
          const json = JSON.stringify(view);
          cached = { token: at, json };
          lastBuildMs = performance.now() - started;
          return json;
        })
        .finally(() => (loading = undefined));
    }
    return loading;
  };

  const listeners = new Set<http.ServerResponse>();
  const poll = setInterval(() => {
    void changeToken(store).then((next) => {
      token = next;
      // A change seen too soon after the last one waits for a later poll: it is announced, never dropped.
      if (token === announced || performance.now() - announcedAt < lastBuildMs * (options.buildCostFactor ?? BUILD_COST_FACTOR)) return;
      announced = token;
      announcedAt = performance.now();
      for (const response of listeners) response.write(`event: changed\ndata: ${token}\n\n`);
    }, (error: unknown) => log(`serve: reading ${dbPath} failed: ${(error as Error).message}`));
  }, options.pollMs ?? DEFAULT_POLL_MS);
  poll.unref();

  const allowedHosts = new Set<string>();
  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`serve: ${request.method} ${request.url} failed: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error: see the terminal running sweepdeck serve\n');
      else response.end();
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return send(response, 405, 'text/plain; charset=utf-8', 'read-only: only GET and HEAD\n');
    }
    // Another site's page must not read this one through a DNS name pointed at 127.0.0.1.
    if (allowedHosts.size > 0 && !allowedHosts.has((request.headers.host ?? '').toLowerCase())) {
      return send(response, 421, 'text/plain; charset=utf-8', 'unexpected Host header\n');
    }
    // The raw path, not decoded: "%2e%2e" or "%2F" never turn into a path that matches a route.
    const pathname = (request.url ?? '/').split('?')[0]!;
    const title = `${(await store.sweep()).name} · sweepdeck`;

    if (pathname === '/' || pathname === '/index.html') return send(response, 200, 'text/html; charset=utf-8', pageHtml({ title }));
    const asset = Object.hasOwn(ASSETS, pathname) ? ASSETS[pathname] : undefined;
    if (asset) return send(response, 200, asset.type, readAsset(asset.file), { 'Cache-Control': 'no-cache' });
    if (pathname === '/api/sweep') return send(response, 200, 'application/json; charset=utf-8', await sweepJson());
    if (pathname === '/api/events') return events(response);

    const trialPage = /^\/trial\/(\d{1,9})$/.exec(pathname);
    if (trialPage) {
      const number = Number(trialPage[1]);
      if (await store.trial(number)) return send(response, 200, 'text/html; charset=utf-8', pageHtml({ title }));
      return send(response, 404, 'text/html; charset=utf-8', notFoundHtml(`this sweep has no trial ${number}`));
    }
    const trialApi = /^\/api\/trial\/(\d{1,9})$/.exec(pathname);
    if (trialApi) {
      const number = Number(trialApi[1]);
      const view = await loadTrialView(store, dbPath, number);
      if (view) return send(response, 200, 'application/json; charset=utf-8', JSON.stringify(view));
      return send(response, 404, 'application/json; charset=utf-8', JSON.stringify({ error: `this sweep has no trial ${number}` }));
    }
    return send(response, 404, 'text/html; charset=utf-8', notFoundHtml(`nothing here: ${pathname.slice(0, 200)}`));
  }

  function events(response: http.ServerResponse): void {
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    response.write(`retry: 2000\nevent: changed\ndata: ${token}\n\n`);
    listeners.add(response);
    response.on('close', () => listeners.delete(response));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  if (isLoopback(options.host)) {
    for (const name of ['127.0.0.1', 'localhost', '[::1]', shownHost]) allowedHosts.add(`${name}:${address.port}`.toLowerCase());
  }
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: async () => {
      clearInterval(poll);
      for (const response of listeners) response.end();
      listeners.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function send(response: http.ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

async function changeToken(store: ReadStore): Promise<string> {
  const version = await store.dataVersion();
  const writer = await store.liveWriter();
  return `${version}${writer ? `-w${writer.pid}` : ''}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
