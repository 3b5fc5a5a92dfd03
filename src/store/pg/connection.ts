// One connection to a PostgreSQL server, used by one sweepdeck process (an agent holds a single
// connection, so a hundred agents are a hundred connections, not a hundred pools). Operations run
// one at a time (a transaction never interleaves with another), and an operation that fails because
// the server went away is retried on a fresh connection with backoff, after saying what it waits for.
import pg from 'pg';

/** postgresql:// or postgres:// — anything else is a file path for SQLite. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL as it may be shown: the password (if the URL carries one) replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** Errors that mean "the server is not there right now", not "this statement is wrong". */
function isConnectionLoss(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  // Class 08: connection exception; 57P01-3: admin shutdown, crash shutdown, cannot connect now.
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error|not queryable/i.test(e?.message ?? '');
}

export interface ConnectionOptions {
  /** Said (once per outage, then every half minute) while the server cannot be reached. */
  onWaiting?: (message: string) => void;
  /** How long to keep trying before an operation fails (default SWEEPDECK_RECONNECT_S, or 300 s). */
  reconnectSeconds?: number;
}

export type Query = <R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

export class PgConnection {
  readonly shown: string;
  private client: pg.Client | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly reconnectMs: number;

  private constructor(
    private readonly url: string,
    private readonly options: ConnectionOptions,
  ) {
    this.shown = redactUrl(url);
    const env = Number(process.env.SWEEPDECK_RECONNECT_S);
    this.reconnectMs = (options.reconnectSeconds ?? (Number.isFinite(env) && env > 0 ? env : 300)) * 1000;
  }

  /** Connects now: a wrong URL, role or password fails here with the server's own message. */
  static async open(url: string, options: ConnectionOptions = {}): Promise<PgConnection> {
    const connection = new PgConnection(url, options);
    connection.client = await connection.connect();
    return connection;
  }

  /** Runs `work` alone on the connection, retried as a whole after the connection was lost. */
  run<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => this.withReconnect(work));
    this.queue = next.catch(() => {});
    return next;
  }

  /** `work` in one transaction (READ COMMITTED), committed, or rolled back on any error. */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    return this.run(async (query) => {
      await query('BEGIN');
      try {
        const result = await work(query);
        await query('COMMIT');
        return result;
      } catch (error) {
        await query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }

  private async connect(): Promise<pg.Client> {
    // The password comes from the URL, PGPASSWORD or ~/.pgpass (pg reads both); it is never logged.
    const client = new pg.Client({ connectionString: this.url, application_name: 'sweepdeck' });
    // A connection that breaks between operations must not crash the process: the next operation reconnects.
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    return client;
  }

  private async withReconnect<T>(work: (query: Query) => Promise<T>): Promise<T> {
    const started = Date.now();
    let delay = 250;
    let lastSaid = 0;
    for (;;) {
      try {
        if (this.closed) throw new Error(`the connection to ${this.shown} is closed`);
        this.client ??= await this.connect();
        const client = this.client;
        const query: Query = async (text, values) => (await client.query(text, values as unknown[])).rows;
        return await work(query);
      } catch (error) {
        if (!isConnectionLoss(error) || this.closed) throw error;
        await this.client?.end().catch(() => {});
        this.client = undefined;
        const waited = Date.now() - started;
        if (waited >= this.reconnectMs) {
          throw new Error(`PostgreSQL at ${this.shown} has been unreachable for ${Math.round(waited / 1000)} s: ${(error as Error).message}`, { cause: error });
        }
        if (lastSaid === 0 || Date.now() - lastSaid >= 30_000) {
          lastSaid = Date.now();
          this.options.onWaiting?.(
            `waiting for PostgreSQL at ${this.shown} (${(error as Error).message || (error as { code?: string }).code}); reconnecting with backoff, unwritten results are kept in memory`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }
}
