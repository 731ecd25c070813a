/**
 * `vidbot serve` as a user starts it (the built CLI, plain output, a Twilio sender configured), for
 * its resident memory once it has settled with nothing to do.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../test/helpers/ports.ts';

/** A process's resident set size, from /proc. */
export const rssOf = async (pid: number): Promise<number> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
};

const SETTLE_MS = 5_000;

export const serveIdleRss = async (options: { root: string; dataDir: string }): Promise<{ rss: number; note: string }> => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(options.root, 'bin', 'vidbot.js'), 'serve', '--no-tui'], {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      VIDBOT_DATA_DIR: options.dataDir,
      PORT: String(port),
      VIDBOT_HOST: '127.0.0.1',
      TWILIO_ACCOUNT_SID: `AC${'c0'.repeat(16)}`,
      TWILIO_AUTH_TOKEN: 'bench-serve-token-not-a-secret',
      TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
      CI: '1',
    },
  });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const healthy = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (healthy) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('vidbot serve did not come up');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A figure for a server at rest: its start-up garbage collected, its workers polling an empty queue.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const samples: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      samples.push(await rssOf(child.pid ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return { rss: Math.max(...samples), note: `workers on, ${SETTLE_MS / 1000} s after /health answered` };
  } finally {
    child.kill('SIGTERM');
  }
};
