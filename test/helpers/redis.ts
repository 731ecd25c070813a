import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ResultPromise, execa } from 'execa';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';

/**
 * A real redis-server on a loopback port, for one test file. REDIS_SERVER_BIN overrides the binary;
 * CI installs Debian's redis-server. Appendonly is on so a restart keeps the data, as in production.
 */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** A client configured as vidbot configures its own (maxRetriesPerRequest: null). */
  client(): Redis;
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

const waitForPing = async (port: number): Promise<void> => {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      // Not up yet.
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** On a free port, or on `port` (a test that starts Redis late, where a client already waits). */
export const startRedis = async (options: { port?: number } = {}): Promise<TestRedis> => {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'vidbot-redis-'));
  const clients: Redis[] = [];
  let server: ResultPromise | undefined;
  const start = async () => {
    const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
    server = execa(bin, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
    ], { reject: false, stdio: 'ignore' });
    // Not installed: said as such at once, not as a server that never answered.
    const missing = server.then((result) => ((result as { code?: string }).code === 'ENOENT' ? result : undefined));
    const ended = await Promise.race([waitForPing(port).then(() => undefined), missing]);
    if (ended !== undefined) throw new Error(`redis-server is not installed (${bin} was not found): install Debian's redis-server package (apt-get install redis-server; .ci/run does).`);
  };
  const stop = async () => {
    server?.kill('SIGTERM');
    await server;
    server = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client() {
      const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null });
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    stop,
    start,
    async cleanup() {
      for (const client of clients) client.disconnect();
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
