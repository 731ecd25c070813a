import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';
import { INJECT_ORIGIN, TEST_AUTH_TOKEN, makeServer, newMessageSid, signedPost, twimlText, whatsappText } from '../helpers/server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const WEBHOOK = `${INJECT_ORIGIN}/whatsapp/webhook`;
const ALICE = 'whatsapp:+15550001111';
const BOB = 'whatsapp:+15550002222';

const setup = async (...args: Parameters<typeof makeServer>) => {
  const server = await makeServer(...args);
  cleanups.push(server.cleanup);
  const say = async (from: string, body: string, messageSid = newMessageSid()) => {
    const response = await server.app.inject(signedPost(WEBHOOK, whatsappText(from, body, messageSid)));
    return { response, status: response.statusCode, text: twimlText(response.body) ?? '', messageSid };
  };
  return { ...server, say };
};

describe('POST /whatsapp/webhook', () => {
  it('logs structured lines without the signature, the auth token or API keys', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const { app, say } = await setup({}, { server: { logger: { level: 'debug', stream }, insecureSkipSignature: false } });
    const { messageSid } = await say(ALICE, 'a quiet harbour');
    await app.inject({ method: 'GET', url: '/api/tasks', headers: { authorization: 'Bearer super-secret-key' } });
    const request = signedPost(WEBHOOK, whatsappText(ALICE, 'hello'));
    await app.inject({ ...request, headers: { ...request.headers, 'x-twilio-signature': 'forged-signature-value' } });
    expect(lines.length).toBeGreaterThan(3);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // One line per request, with what it asked and how it ended; a webhook's says what came in on the same line.
    expect(parsed.filter((entry) => entry.msg === 'incoming request')).toEqual([]);
    expect(parsed.filter((entry) => entry.msg === 'request completed' || entry.msg === 'inbound message').map((entry) => [entry.msg, entry.method, entry.url, entry.statusCode])).toEqual([
      ['inbound message', 'POST', '/whatsapp/webhook', 200],
      ['request completed', 'GET', '/api/tasks', 200],
      ['request completed', 'POST', '/whatsapp/webhook', 403],
    ]);
    // The forged signature is a warning: a token set wrong, or someone knocking.
    expect(parsed.find((entry) => entry.code === 'VIDBOT_SIGNATURE_INVALID')).toMatchObject({ level: 40 });
    const inbound = parsed.find((entry) => entry.msg === 'inbound message');
    expect(inbound).toMatchObject({ messageId: messageSid, kind: 'ack', channel: 'local', duplicate: false, taskId: expect.any(String) });
    const all = lines.join('\n');
    for (const secret of [TEST_AUTH_TOKEN, 'super-secret-key', 'forged-signature-value']) expect(all).not.toContain(secret);
  });

  it('stores the message and its queued task before answering with TwiML, never JSON', async () => {
    const { vidbot, say } = await setup();
    const { response, text, messageSid } = await say(ALICE, 'a fox running through a neon city at night');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Message>/);
    expect(text).toContain("🎬 Generating your video... I'll send it here when ready.");
    expect(text).toContain("You're next in line.");

    const [task] = await vidbot.store.listTasks({ from: ALICE });
    expect(task).toMatchObject({ prompt: 'a fox running through a neon city at night', status: 'queued', messageId: messageSid, sessionId: ALICE });
    expect((await vidbot.queue.get(task?.taskId ?? ''))?.state).toBe('waiting');
    const session = await vidbot.store.getSession(ALICE);
    expect(session?.messages.map((m) => m.role)).toEqual(['user', 'bot']);
    // Every Twilio field is kept with the user's message.
    expect(session?.messages[0]?.meta).toMatchObject({ messageSid, fields: { ProfileName: 'Test User', WaId: '15550001111', NumSegments: '1' } });
  });

  it('gives the queue position and an ETA from recent job durations', async () => {
    const { vidbot, say } = await setup({}, { bot: { workers: 1 } });
    // A finished task that took 40 s gives the ETA its basis.
    const { task: past } = await vidbot.createTask({ prompt: 'an earlier video', from: BOB });
    await vidbot.store.updateTask(past.taskId, { status: 'done', startedAt: 1_000, finishedAt: 41_000 });
    await say(BOB, 'first in line');
    const second = await say(ALICE, 'second in line');
    expect(second.text).toContain("📋 You're #2 in line.");
    // Bob's job starts at once on the idle worker (40 s), Alice's once it ends: 80 s.
    expect(second.text).toContain('⏱️ Ready in about 1 min.');
  });

  it("places a prompt behind another sender's backlog where the workers will take it, one job at a time for each sender", async () => {
    const { say } = await setup({}, { bot: { workers: 2 } });
    for (const take of [1, 2, 3, 4]) expect((await say(BOB, `a busy sender's take ${take}`)).status).toBe(200);
    // Four of Bob's wait ahead by the count; the two idle workers take Bob's first and Alice's at once, while Bob's run one by one.
    expect((await say(ALICE, 'a lighthouse at dusk')).text).toContain('⚙️ Starting on it now.');
    // And /status says the same.
    expect((await say(ALICE, '/status')).text).toContain('"a lighthouse at dusk" — ⚙️ starting now');
    // Bob's fifth waits for his own four.
    expect((await say(BOB, "a busy sender's take 5")).text).toContain("📋 You're #6 in line.");
  });

  it('tells the count where no worker runs (serve --no-workers without Redis, or paused): who goes first is not known', async () => {
    const { say } = await setup();
    for (const take of [1, 2, 3, 4]) expect((await say(BOB, `a busy sender's take ${take}`)).status).toBe(200);
    expect((await say(ALICE, 'a lighthouse at dusk')).text).toContain("📋 You're #5 in line.");
  });

  it('answers a retry of the same MessageSid with the same reply and queues nothing new', async () => {
    const { vidbot, say } = await setup();
    const first = await say(ALICE, 'ocean waves at dawn');
    const retry = await say(ALICE, 'ocean waves at dawn', first.messageSid);
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(await vidbot.store.countTasks()).toBe(1);
    expect((await vidbot.queue.counts()).waiting).toBe(1);
  });

  it('queues one task when duplicates arrive at the same moment, and all get the same answer', async () => {
    const { vidbot, say } = await setup();
    const messageSid = newMessageSid();
    const answers = await Promise.all(Array.from({ length: 8 }, () => say(ALICE, 'a paper boat in the rain', messageSid)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(await vidbot.store.countTasks()).toBe(1);
    expect((await vidbot.queue.counts()).waiting).toBe(1);
  });

  it('handles a retry itself when the first delivery died before answering', async () => {
    const { vidbot, say } = await setup({}, { bot: { duplicateWaitMs: 200 } });
    const messageSid = newMessageSid();
    // What a crash between the claim and the task leaves behind: a claim without a reply.
    await vidbot.store.claimInbound({ messageId: messageSid, from: ALICE });
    const retry = await say(ALICE, 'a crash survivor', messageSid);
    expect(retry.text).toContain('Generating your video');
    expect(await vidbot.store.countTasks()).toBe(1);
  });

  describe('commands', () => {
    it('/help lists the commands; an unknown /word gets their names and where to read more', async () => {
      const { vidbot, say } = await setup();
      const help = await say(ALICE, '/help');
      for (const command of ['/status', '/history', '/cancel', '/help']) expect(help.text).toContain(command);
      const unknown = await say(ALICE, '/dance now');
      // Short, as a typo's answer: the commands by name, not the whole help.
      expect(unknown.text).toBe('🤔 I don\'t know the command "/dance". I know /help, /status, /history, /cancel: send /help to see what each does.');
      expect(await vidbot.store.countTasks()).toBe(0);
    });

    it('/status shows only your latest tasks and their states', async () => {
      const { vidbot, say } = await setup();
      expect((await say(ALICE, '/STATUS')).text).toContain("You haven't asked for any videos yet");
      await say(ALICE, 'a red balloon over Paris');
      await say(BOB, "bob's secret prompt");
      const { task: done } = await vidbot.createTask({ prompt: 'a finished one', from: ALICE });
      await vidbot.store.updateTask(done.taskId, { status: 'done', startedAt: 1, finishedAt: 2 });
      const status = await say(ALICE, '/status');
      expect(status.text).toContain('"a red balloon over Paris" — ⏳ queued, next in line');
      expect(status.text).toContain('"a finished one" — ✅ done');
      expect(status.text).not.toContain('secret');
    });

    it('/history lists your videos with their links', async () => {
      const { vidbot, say } = await setup();
      expect((await say(ALICE, '/history')).text).toContain('No videos yet');
      await vidbot.store.addVideo({
        taskId: 't-1', filename: 'a.mp4', path: '/x/a.mp4', prompt: 'a lighthouse in a storm', sessionId: ALICE, from: ALICE,
        videoUrl: 'https://bot.example.test/media/abc.mp4', sizeBytes: 1000, durationSec: 6,
      });
      const history = await say(ALICE, '/history');
      expect(history.text).toContain('"a lighthouse in a storm" — https://bot.example.test/media/abc.mp4');
      expect((await say(BOB, '/history')).text).toContain('No videos yet');
    });

    it('/cancel cancels your newest queued task, and says so when there is nothing to cancel', async () => {
      const { vidbot, say } = await setup();
      expect((await say(ALICE, '/cancel')).text).toContain("There's nothing to cancel");
      await say(BOB, 'bob keeps his');
      await say(ALICE, 'a slow sunrise');
      const canceled = await say(ALICE, '/cancel');
      expect(canceled.text).toContain('🛑 Canceled "a slow sunrise"');
      const [task] = await vidbot.store.listTasks({ from: ALICE });
      expect(task?.status).toBe('canceled');
      expect((await vidbot.queue.get(task?.taskId ?? ''))?.state).toBe('canceled');
      const [bobs] = await vidbot.store.listTasks({ from: BOB });
      expect(bobs?.status).toBe('queued');
    });
  });

  it('accepts unsigned webhooks only with insecureSkipSignature, warning on every one', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    const { app, vidbot } = await setup({}, { server: { insecureSkipSignature: true, logger: { level: 'info', stream } } });
    const unsigned = (body: string) => ({
      method: 'POST' as const,
      url: '/whatsapp/webhook',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(whatsappText(ALICE, body) as Record<string, string>).toString(),
    });
    expect((await app.inject(unsigned('first'))).statusCode).toBe(200);
    expect((await app.inject(unsigned('second'))).statusCode).toBe(200);
    expect(await vidbot.store.countTasks()).toBe(2);
    const warnings = lines.filter((line) => line.level === 40 && line.msg.includes('signature not checked (--insecure-skip-signature)'));
    expect(warnings).toHaveLength(2);
  });

  it('says so when the provider cannot animate photos, queueing nothing', async () => {
    const textOnly: VideoProvider = {
      name: 'text-only',
      defaultModel: 'text-1',
      capabilities: () => ({ imageToVideo: false, ai: true }),
      generate: () => Promise.reject(new Error('not called')),
    };
    const { vidbot, app } = await setup({}, { vidbot: { overrides: { provider: textOnly } } });
    const fields = { ...whatsappText(ALICE, 'animate this'), NumMedia: '1', MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', MediaContentType0: 'image/jpeg' };
    const response = await app.inject(signedPost(WEBHOOK, fields));
    expect(twimlText(response.body)).toContain("The current video model can't animate images");
    expect(await vidbot.store.countTasks()).toBe(0);
    // And its help does not offer photos.
    const help = await app.inject(signedPost(WEBHOOK, whatsappText(ALICE, '/help')));
    expect(twimlText(help.body)).not.toContain('📷');
  });

  describe('limits', () => {
    it('rate-limits a sender politely, queueing nothing, while others go on', async () => {
      let now = 1_000_000;
      const { vidbot, say } = await setup({ VIDBOT_RATE_LIMIT: '3' }, { bot: { now: () => now } });
      for (let i = 0; i < 3; i++) expect((await say(ALICE, `prompt ${i}`)).text).toContain('Generating');
      const limited = await say(ALICE, 'one too many');
      expect(limited.status).toBe(200);
      expect(limited.text).toMatch(/up to 3 videos a minute\. Please try again in 60 seconds\./);
      expect(await vidbot.store.countTasks({ from: ALICE })).toBe(3);
      // Commands are not prompts: they still answer.
      expect((await say(ALICE, '/status')).text).toContain('Your latest requests');
      expect((await say(BOB, 'bob is fine')).text).toContain('Generating');
      now += 60_001;
      expect((await say(ALICE, 'a minute later')).text).toContain('Generating');
    });

    it('keeps a daily allowance per sender, says what is left and when the next one frees up, and shows it in /status', async () => {
      const { vidbot, say } = await setup({ VIDBOT_DAILY_LIMIT: '2' });
      expect((await say(ALICE, 'a red kite')).text).toContain('🎟️ 1 of 2 videos left today.');
      const last = await say(ALICE, 'a blue kite');
      expect(last.text).toContain('🎟️ That was your last video for today (2 a day).');
      const refused = await say(ALICE, 'a green kite');
      expect(refused.status).toBe(200);
      expect(refused.text).toMatch(/^🎟️ You've had all 2 of today's videos\. The next one frees up in about 24 h; see you then!$/);
      expect(await vidbot.store.countTasks({ from: ALICE })).toBe(2);
      expect((await say(ALICE, '/status')).text).toContain("🎟️ You've had all 2 of today's videos.");
      // Others have their own; a failed video does not count against its sender.
      expect((await say(BOB, 'bob is fine')).text).toContain('1 of 2 videos left today');
      const [newest] = await vidbot.store.listTasks({ from: ALICE, limit: 1 });
      await vidbot.store.updateTask(newest?.taskId ?? '', { status: 'failed', errorCode: 'VIDBOT_PROVIDER_FAILED' });
      expect((await say(ALICE, '/status')).text).toContain('🎟️ 1 of 2 videos left today.');
      expect((await say(ALICE, 'a green kite, again')).text).toContain('Generating');
    });

    it('has no allowance by default', async () => {
      const { say } = await setup();
      for (let i = 0; i < 3; i++) expect((await say(ALICE, `kite ${i}`)).text).not.toContain('🎟️');
    });

    it('refuses a prompt over the cap and an empty message, queueing nothing', async () => {
      const { vidbot, say } = await setup({ VIDBOT_PROMPT_MAX_CHARS: '20' });
      expect((await say(ALICE, 'x'.repeat(21))).text).toContain('That description is 21 characters long. Please keep it to 20');
      expect((await say(ALICE, '   ')).text).toContain('Send me a short description');
      // Blank on the phone (zero-width spaces), or dots alone: no video of nothing either.
      expect((await say(ALICE, '\u200B\u200B')).text).toContain('Send me a short description');
      expect((await say(ALICE, '...')).text).toContain('Send me a short description');
      expect(await vidbot.store.countTasks()).toBe(0);
    });
  });
});
