// A TCP proxy in front of a real PostgreSQL server that can lose the reply to one COMMIT: once
// armed, it cuts the connection (both sides) at the server's CommandComplete "COMMIT", so the
// transaction is committed on the server and the client never hears so. New connections (the
// client's reconnect) go through as usual.
import net from 'node:net';

/** CommandComplete ('C', int32 length 11, "COMMIT\0"): what the server sends once a COMMIT is done. */
const COMMIT_DONE = Buffer.from([0x43, 0, 0, 0, 11, ...Buffer.from('COMMIT', 'ascii'), 0]);

export interface PgProxy {
  port: number;
  /** The server's URL with the proxy's port. */
  urlOf(serverUrl: string): string;
  /** The next COMMIT's reply is lost: the connection is cut instead of it reaching the client. */
  loseNextCommitReply(): void;
  /** How many COMMIT replies were lost so far. */
  readonly lost: number;
  close(): Promise<void>;
}

export async function startPgProxy(serverPort: number): Promise<PgProxy> {
  let armed = false;
  let lost = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(serverPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(COMMIT_DONE)) {
        armed = false;
        lost++;
        // The bytes before the reply still go through; the reply and the rest never do.
        client.write(chunk.subarray(0, chunk.indexOf(COMMIT_DONE)), () => {
          client.destroy();
          upstream.destroy();
        });
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    urlOf: (serverUrl) => serverUrl.replace(/@127\.0\.0\.1:\d+\//, `@127.0.0.1:${port}/`),
    loseNextCommitReply: () => (armed = true),
    get lost() {
      return lost;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
