/**
 * `vidbot serve`'s plain output (piped, CI, --no-tui) ends as the dashboard's last frame does: what
 * became of the running jobs and of those waiting in line.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createServeView, describeEntry } from '../../src/cli/commands/serve-view.ts';
import type { QueueWorker } from '../../src/lib/queue/port.ts';
import { makeVidbot } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const plainView = () => {
  let said = '';
  const stderr = new PassThrough();
  stderr.on('data', (chunk: Buffer) => void (said += chunk.toString()));
  const view = createServeView({ context: { env: {}, cwd: '.', stdout: new PassThrough(), stderr, signal: new AbortController().signal }, noTui: true });
  return { view, said: () => said };
};

const description = { urls: { local: 'http://127.0.0.1:3000', webhook: 'http://127.0.0.1:3000/whatsapp/webhook' }, facts: [], warnings: [], banner: ['vidbot is listening'] } as const;

describe("serve's plain last words", () => {
  it('says how many running jobs went back to the queue and how many wait in it', async () => {
    const made = await makeVidbot();
    cleanups.push(made.cleanup);
    for (const prompt of ['a fox', 'a boat']) await made.vidbot.submitTask({ prompt, from: 'whatsapp:+15550001111' });
    const { view, said } = plainView();
    // Only what the view reads of the worker: one job running.
    await view.show({ description, vidbot: made.vidbot, worker: { running: 1 } as unknown as QueueWorker });
    view.stopping(30);
    expect(said()).toContain('Shutting down: 1 running job gets up to 30 s to finish, and no new one starts; the server closes after...');
    view.handingBack(1);
    // The line in waiting is read as the stop begins (the queue closes with the server).
    await view.stopped(1);
    expect(said()).toContain('Handing 1 running job back to the queue.\nStopped. 1 running job went back to the queue; 2 jobs wait in it: they run on the next start.\n');
    await view.close();
  });

  it('says that the running jobs finished within the grace, and what waits in the queue', async () => {
    const made = await makeVidbot();
    cleanups.push(made.cleanup);
    for (const prompt of ['a fox', 'a boat']) await made.vidbot.submitTask({ prompt, from: 'whatsapp:+15550001111' });
    const { view, said } = plainView();
    await view.show({ description, vidbot: made.vidbot, worker: { running: 1 } as unknown as QueueWorker });
    view.stopping(30);
    await view.stopped(0);
    expect(said()).toContain('Stopped. The running job ended in time. 2 jobs wait in the queue: they run on the next start.\n');
    await view.close();
  });

  it('says only "Stopped." when nothing ran and nothing waits, and that a web-only process runs no jobs', async () => {
    const made = await makeVidbot();
    cleanups.push(made.cleanup);
    const { view, said } = plainView();
    await view.show({ description, vidbot: made.vidbot });
    view.stopping(30);
    expect(said()).toContain('Shutting down: this process runs no jobs; closing the server...');
    await view.stopped(null);
    expect(said().trimEnd().endsWith('Stopped.')).toBe(true);
    await view.close();
  });
});

describe("the dashboard's words for the webhook's log", () => {
  it('says what the bot did with a message that queued nothing, never its words', () => {
    expect(describeEntry({ msg: 'inbound message', channel: 'simulator', kind: 'ack', taskId: '019a-aaaa-3f9a1c2e' })).toBe('simulator message: queued 3f9a1c2e');
    expect(describeEntry({ msg: 'inbound message', channel: 'simulator', kind: 'command' })).toBe('simulator message: answered a command');
    expect(describeEntry({ msg: 'inbound message', channel: 'twilio', kind: 'rate-limited', duplicate: true })).toBe('twilio message (a duplicate): over the per-minute limit, told to wait');
    expect(describeEntry({ msg: 'delivery status', channel: 'twilio', status: 'failed', errorCode: '63016' })).toBe('twilio delivery status: failed (63016)');
  });
});
