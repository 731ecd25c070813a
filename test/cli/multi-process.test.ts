/**
 * The scale-out shape as users run it, every part a real process or server: two `vidbot serve
 * --no-workers` web processes (behind one public URL, as behind a balancer) and two `vidbot worker`
 * processes, on Redis (queue, limits, repeats, events) and PostgreSQL (store), with media in one folder all
 * four mount, talking to a loopback Twilio. WhatsApp users write to both web processes at once.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shortId } from '../../src/cli/dashboard/format.ts';
import { computeTwilioSignature } from '../../src/lib/channel/twilio/signature.ts';
import { createPostgresStore } from '../../src/lib/store/postgres/index.ts';
import type { Task } from '../../src/lib/store/port.ts';
import { startFakeTwilio } from '../fakes/twilio-api.ts';
import { makeSandbox } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startRedis } from '../helpers/redis.ts';
import { newMessageSid, twimlText, whatsappText } from '../helpers/server.ts';
import { spawnVidbot } from '../helpers/spawn.ts';
import { waitFor } from '../helpers/vidbot.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.().catch(() => {});
});

const BOT = 'whatsapp:+14155238886';
const user = (name: string) => `whatsapp:+1555${String([...name].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 10_000_000).padStart(7, '0')}`;

describe('two web processes and two workers on Redis and PostgreSQL', () => {
  it('shares limits and media, keeps a burst from starving others, survives a SIGKILLed worker, delivers each video once', async () => {
    const [redis, postgres, twilio] = await Promise.all([startRedis(), startPostgres(), startFakeTwilio()]);
    cleanups.push(
      () => redis.cleanup(),
      () => postgres.cleanup(),
      async () => void (await twilio.close()),
    );
    const sandbox = await makeSandbox();
    cleanups.push(sandbox.cleanup);
    const media = join(sandbox.root, 'shared-media');
    await mkdir(media);
    const ports = [await freePort(), await freePort()];
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);
    // Twilio signs the public URL; the balancer passes each request to either web process.
    const publicBase = bases[0] ?? '';
    const envFor = (name: string) => ({
      ...sandbox.env,
      VIDBOT_DATA_DIR: join(sandbox.root, name),
      REDIS_URL: redis.url,
      DATABASE_URL: postgres.url,
      VIDBOT_MEDIA_DIR: media,
      PUBLIC_BASE_URL: publicBase,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_WHATSAPP_FROM: BOT,
      TWILIO_API_BASE_URL: twilio.url,
      VIDBOT_VIDEO_SECONDS: '1',
      VIDBOT_JOB_LEASE_SEC: '2',
      VIDBOT_SHUTDOWN_GRACE_SEC: '0',
      VIDBOT_RATE_LIMIT: '6',
      VIDBOT_PROGRESS_AFTER_SEC: '0',
    });
    const start = (args: string[], name: string, ready: string) => spawnVidbot(args, { env: envFor(name), cwd: sandbox.root, ready, cleanups });
    // The first creates the tables; the others find them.
    await start(['serve', '--no-workers', '--port', String(ports[0])], 'web-1', 'vidbot serving on');
    await start(['serve', '--no-workers', '--port', String(ports[1])], 'web-2', 'vidbot serving on');
    const workerA = await start(['worker', '--concurrency', '2'], 'worker-a', 'vidbot worker');
    const workerB = await start(['worker', '--concurrency', '2'], 'worker-b', 'vidbot worker');
    // The dashboard's view of the second web process, which runs no job: plain lines, as off a terminal.
    const watch = await start(['status', '--watch', '--server', bases[1] ?? ''], 'watch', 'queue:');
    const probe = redis.client();
    await waitFor(async () => ((await probe.pubsub('NUMSUB', 'vidbot:tasks:vb:activity')) as [string, number])[1] >= 1, 20_000);

    let turn = 0;
    const say = async (from: string, text: string) => {
      const params = whatsappText(from, text, newMessageSid());
      const body = new URLSearchParams(params as Record<string, string>).toString();
      const url = `${publicBase}/whatsapp/webhook`;
      const response = await fetch(`${bases[turn++ % 2]}/whatsapp/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': computeTwilioSignature({ authToken: twilio.authToken, url, params }),
        },
        body,
      });
      expect(response.status).toBe(200);
      return twimlText(await response.text()) ?? '';
    };

    const store = await createPostgresStore({ url: postgres.url });
    cleanups.push(() => store.close());
    const tasksOf = (from: string) => store.listTasks({ from, limit: 100 });
    const allDone = async (senders: readonly string[], count: number) => {
      const tasks = (await Promise.all(senders.map(tasksOf))).flat();
      return tasks.length === count && tasks.every((task) => task.status === 'done') ? tasks : undefined;
    };

    // A burst of nine from Alice, alternating between the web processes: six is the limit across both.
    const alice = user('alice');
    const burst = await Promise.all(Array.from({ length: 9 }, (_, i) => say(alice, `alice's kite number ${i}`)));
    expect(burst.filter((text) => text.includes('Generating'))).toHaveLength(6);
    expect(burst.filter((text) => /up to 6 videos a minute/.test(text))).toHaveLength(3);
    // Others write just after; one job per sender runs at a time, so they do not wait behind her six.
    const others = ['bob', 'carol', 'dan'].map(user);
    for (const from of others) expect(await say(from, `a fox for ${from}`)).toContain('Generating');
    const first = await waitFor(() => allDone([alice, ...others], 9), 120_000);
    const finished = (from: string) => first.filter((task) => task.from === from).map((task) => task.finishedAt ?? 0);
    const aliceLast = Math.max(...finished(alice));
    for (const from of others) expect(Math.max(...finished(from))).toBeLessThan(aliceLast);

    // A worker killed mid-job: its claim runs out and the other worker finishes the job.
    const late = ['erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'].map(user);
    for (const from of late) expect(await say(from, `a train for ${from}`)).toContain('Generating');
    const lateIds = new Set((await Promise.all(late.map(tasksOf))).flat().map((task) => task.taskId));
    const killed = await waitFor(async () => [...workerA.output().matchAll(/(\S+): started/g)].map((m) => m[1] ?? '').find((id) => lateIds.has(id)), 60_000);
    workerA.child.kill('SIGKILL');
    await workerA.child;
    const second = await waitFor(() => allDone(late, 6), 120_000);
    expect(second.find((task) => task.taskId === killed)?.status).toBe('done');
    expect(workerB.output()).toContain(`${killed}: started`);

    // A double send landing on both web processes at once: one video, and a word that it is coming.
    const kim = user('kim');
    const twice = await Promise.all([say(kim, 'a lighthouse for kim'), say(kim, 'a lighthouse for kim')]);
    expect(twice.filter((text) => text.includes('Generating'))).toHaveLength(1);
    expect(twice.filter((text) => text.startsWith('⏳ Already on it: "a lighthouse for kim"'))).toHaveLength(1);
    const third = await waitFor(() => allDone([kim], 1), 120_000);

    // Each task's video reached its user once, by a URL any web process serves from the shared folder.
    const tasks: Task[] = [...first, ...second, ...third];
    for (const task of tasks) {
      const videos = twilio.messages.filter((message) => message.to === task.from && message.mediaUrls.includes(task.videoUrl ?? '-'));
      expect(videos, `${task.taskId} sent once`).toHaveLength(1);
    }
    expect(twilio.messages.filter((message) => message.mediaUrls.length > 0)).toHaveLength(tasks.length);
    const sample = new URL(tasks[0]?.videoUrl ?? '');
    const served = await fetch(`${bases[1]}${sample.pathname}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('video/mp4');
    // The web process that ran nothing saw every job, and on which worker it completed.
    await waitFor(async () => tasks.every((task) => watch.output().includes(`${shortId(task.taskId)} completed on `)), 30_000);
    const machines = new Set([...watch.output().matchAll(/ completed on (\S+)/g)].map((match) => match[1]));
    expect(machines.size).toBe(2);
  }, 300_000);
});
