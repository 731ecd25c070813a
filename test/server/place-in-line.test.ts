/**
 * The ack's place in line while both workers are busy, through the webhook as `vidbot serve` runs
 * it (embedded SQLite queue and ingest journal, two workers, one active job per sender): it must
 * say what /status says, and what the workers will do.
 */
import { afterEach, expect, it } from 'vitest';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { INJECT_ORIGIN, makeServer, newMessageSid, signedPost, twimlText, whatsappText } from '../helpers/server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const WEBHOOK = `${INJECT_ORIGIN}/whatsapp/webhook`;
const [ALICE, BOB, CAROL, DAVE] = ['1111', '2222', '3333', '4444'].map((n) => `whatsapp:+1555000${n}`) as [string, string, string, string];

/** A provider whose videos take until the job is stopped: the workers stay busy. */
const busyProvider: VideoProvider = {
  name: 'busy',
  defaultModel: 'busy-1',
  capabilities: () => ({ imageToVideo: false, ai: false }),
  generate: (_request, { signal }) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
};

it("acks the prompt after another sender's waiting one as #2 while both workers are busy, as /status does", async () => {
  // The bot's clock, moved on so its line is read again without sleeping (it reads it at most every second).
  let offset = 0;
  const server = await makeServer({}, { vidbot: { overrides: { provider: busyProvider } }, server: { workers: 2 }, bot: { now: () => Date.now() + offset } });
  cleanups.push(server.cleanup);
  const { vidbot } = server;
  // A past video that took 40 s: the basis for when each running job ends.
  const { task: past } = await vidbot.createTask({ prompt: 'an earlier video', from: 'whatsapp:+15550009999' });
  await vidbot.store.updateTask(past.taskId, { status: 'done', startedAt: 1_000, finishedAt: 41_000 });
  const say = async (from: string, body: string) => twimlText((await server.app.inject(signedPost(WEBHOOK, whatsappText(from, body, newMessageSid())))).body) ?? '';

  await say(ALICE, 'a fox in the snow');
  await say(BOB, 'a boat at dawn');
  await expect.poll(async () => (await vidbot.store.listTasks({ status: ['processing'] })).length, { timeout: 10_000 }).toBe(2);
  // Alice's video has run 20 s, Bob's 5 s: Alice's worker is free first.
  const [alice, bob] = [await vidbot.store.listTasks({ from: ALICE }), await vidbot.store.listTasks({ from: BOB })].map((tasks) => tasks[0]?.taskId ?? '');
  await vidbot.store.updateTask(alice ?? '', { startedAt: Date.now() - 20_000 });
  await vidbot.store.updateTask(bob ?? '', { startedAt: Date.now() - 5_000 });

  expect(await say(CAROL, 'a kite over the hills')).toContain("📋 You're next in line.");
  offset += 1_000;
  // Carol's starts when Alice's ends, Dave's when Bob's does.
  expect(await say(DAVE, 'a train in the rain')).toContain("📋 You're #2 in line.");
  expect(await say(DAVE, '/status')).toContain('"a train in the rain" — ⏳ queued, #2 in line');
  expect(await vidbot.queue.counts()).toMatchObject({ active: 2, waiting: 2 });
});
