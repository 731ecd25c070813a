/**
 * `vidbot worker` started before its Redis (as a container often is): it waits, says so, and works
 * once Redis answers, instead of exiting at once.
 */
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath, makeSandbox } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('vidbot worker', () => {
  it('waits for a Redis that is not up yet, and runs once it is', async () => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const child = execa(process.execPath, [binPath, 'worker'], {
      env: { ...sandbox.env, REDIS_URL: `redis://127.0.0.1:${port}`, VIDBOT_SHUTDOWN_GRACE_SEC: '0' },
      extendEnv: false,
      cwd: sandbox.root,
      reject: false,
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    let exited = false;
    void child.finally(() => void (exited = true));
    cleanups.push(async () => {
      if (!exited) child.kill('SIGKILL');
      await child;
    });
    await waitFor(async () => output.includes('waiting for Redis') || exited, 20_000);
    expect(output).toMatch(/waiting for Redis \(try 1, again in [\d.]+ s\): .*ECONNREFUSED/);
    const redis = await startRedis({ port });
    cleanups.push(() => redis.cleanup());
    await waitFor(async () => output.includes('queue bullmq') || exited, 30_000);
    expect(output).toContain('queue bullmq');
    child.kill('SIGINT');
    const ended = await child;
    expect(ended.exitCode).toBe(0);
    expect(output).toContain('Shutting down: no job was running.\nStopped.\n');
  });

  it.each(['worker', 'serve'])('%s stops at once on Ctrl-C while it waits for Redis, as a clean stop', async (command) => {
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const port = await freePort();
    const child = execa(process.execPath, [binPath, command, ...(command === 'serve' ? ['--no-tui', '-p', '0'] : [])], {
      env: { ...sandbox.env, REDIS_URL: `redis://127.0.0.1:${port}` },
      extendEnv: false,
      cwd: sandbox.root,
      reject: false,
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    let exited = false;
    void child.finally(() => void (exited = true));
    cleanups.push(async () => {
      if (!exited) child.kill('SIGKILL');
      await child;
    });
    await waitFor(async () => output.includes('waiting for Redis') || exited, 20_000);
    child.kill('SIGINT');
    // It had a minute of waiting left; it ends well before.
    const ended = await Promise.race([child, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref())]);
    expect(ended?.exitCode).toBe(0);
    expect(output).toContain(`Stopped while waiting for Redis at redis://127.0.0.1:${port}. Nothing had started.`);
  });
});
