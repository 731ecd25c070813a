/**
 * Two web processes behind a balancer on one Redis (REDIS_URL): a sender has the same rate limit
 * and daily allowance as with one, a redelivery reaching the other process takes nothing more, and
 * a failed video is given back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { vidbotError } from '../../src/lib/errors.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { INJECT_ORIGIN, makeServer, newMessageSid, signedPost, twimlText, whatsappText } from '../helpers/server.ts';

const WEBHOOK = `${INJECT_ORIGIN}/whatsapp/webhook`;
const ALICE = 'whatsapp:+15550001111';
const BOB = 'whatsapp:+15550002222';

let redis: TestRedis;
beforeAll(async () => void (redis = await startRedis()));
afterAll(async () => await redis.cleanup());
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const twoWebProcesses = async (env: Record<string, string>, overrides: { provider?: VideoProvider } = {}) => {
  const web = await Promise.all(
    [1, 2].map(async () => {
      const server = await makeServer({ REDIS_URL: redis.url, ...env }, { vidbot: { overrides } });
      cleanups.push(server.cleanup);
      return server;
    }),
  );
  const say = async (index: number, from: string, text: string, messageSid = newMessageSid()) => {
    const response = await web[index % 2]?.app.inject(signedPost(WEBHOOK, whatsappText(from, text, messageSid)));
    return { status: response?.statusCode, text: twimlText(response?.body ?? '') ?? '', messageSid };
  };
  return { web, say };
};

describe('limits shared by two web processes on Redis', () => {
  it('gives a sender the per-minute limit once across both, whichever process a message reaches', async () => {
    await redis.client().flushall();
    const { web, say } = await twoWebProcesses({ VIDBOT_RATE_LIMIT: '3' });
    expect(web.map((server) => server.vidbot.limits.name)).toEqual(['redis', 'redis']);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => say(i, ALICE, `a kite, take ${i}`)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => answer.text.includes('Generating'))).toHaveLength(3);
    expect(answers.filter((answer) => /up to 3 videos a minute/.test(answer.text))).toHaveLength(3);
    // Another sender is not held up by Alice.
    expect((await say(1, BOB, 'a fox')).text).toContain('Generating');
  });

  it('counts the daily allowance across both; a redelivery to the other process is answered as the first', async () => {
    await redis.client().flushall();
    const { web, say } = await twoWebProcesses({ VIDBOT_DAILY_LIMIT: '2' });
    const first = await say(0, ALICE, 'a red kite');
    expect(first.text).toContain('1 of 2 videos left today');
    // Twilio retries the same message; the balancer sends it to the other process. It has its own
    // store here, so the message is new to it, but the limits remember the verdict: nothing more is taken.
    const retried = await say(1, ALICE, 'a red kite', first.messageSid);
    expect(retried.text).toContain('1 of 2 videos left today');
    expect((await say(1, ALICE, 'a blue kite')).text).toContain('That was your last video for today');
    const refused = await say(0, ALICE, 'a green kite');
    expect(refused.text).toContain("You've had all 2 of today's videos");
    const status = await say(1, ALICE, '/status');
    expect(status.text).toContain("You've had all 2 of today's videos");
    expect(await web[0]?.vidbot.store.countTasks({ from: ALICE })).toBe(1);
  });

  const failing: VideoProvider = {
    name: 'failing',
    defaultModel: 'failing-model',
    capabilities: () => ({ imageToVideo: false, ai: true }),
    generate: async () => {
      throw vidbotError('VIDBOT_GENERATION_FAILED', 'The model refused the prompt.', { retryable: false });
    },
  };

  it('gives back the video of a task that failed', async () => {
    await redis.client().flushall();
    const { web, say } = await twoWebProcesses({ VIDBOT_DAILY_LIMIT: '1' }, { provider: failing });
    const first = await say(0, ALICE, 'a red kite');
    expect(first.text).toContain('That was your last video for today');
    expect((await say(1, ALICE, 'a blue kite')).text).toContain("You've had today's video");
    const [task] = await (web[0]?.vidbot.store.listTasks({ from: ALICE }) ?? []);
    await expect(web[0]?.vidbot.runTask(task?.taskId ?? '')).rejects.toThrow('refused');
    expect((await web[0]?.vidbot.store.getTask(task?.taskId ?? ''))?.status).toBe('failed');
    expect((await say(1, ALICE, 'a green kite')).text).toContain('That was your last video for today');
  });

  it("counts a retried task's video again, so a retry is not a free video", async () => {
    await redis.client().flushall();
    const { web, say } = await twoWebProcesses({ VIDBOT_DAILY_LIMIT: '1' }, { provider: failing });
    await say(0, ALICE, 'a red kite');
    const [task] = await (web[0]?.vidbot.store.listTasks({ from: ALICE }) ?? []);
    await expect(web[0]?.vidbot.runTask(task?.taskId ?? '')).rejects.toThrow('refused');
    expect(await web[1]?.vidbot.limits.allowance(ALICE, Date.now())).toMatchObject({ used: 0, left: 1 });
    // An operator retries it (POST /api/tasks/:id/retry): it makes a video again, and counts as one.
    expect((await web[0]?.vidbot.retryTask(task?.taskId ?? ''))?.status).toBe('queued');
    expect(await web[1]?.vidbot.limits.allowance(ALICE, Date.now())).toMatchObject({ used: 1, left: 0 });
    expect((await say(1, ALICE, 'a green kite')).text).toContain("You've had today's video");
  });
});
