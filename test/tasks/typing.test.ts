/**
 * The typing indicator, through the real server and worker with the loopback Twilio fake: shown
 * for the user's own message when a reply follows within its 25 s (the video going out, or a job
 * recent ones say is quick), once per task, never for tasks no WhatsApp message asked for, and
 * never at the cost of the video when Twilio refuses it. The video is one clip, rendered and
 * compressed once and copied for each task (the first task still waits for both): what is tested
 * is when the indicator shows around it.
 */
import { describe, expect, it } from 'vitest';
import { useBots } from '../helpers/bot.ts';
import { useOneClip } from '../helpers/clip-provider.ts';
import { newMessageSid, whatsappText } from '../helpers/server.ts';

const USER = 'whatsapp:+15557650001';

const clip = useOneClip('vidbot-typing-clip-');

describe('the typing indicator', () => {
  const start = useBots();
  const bot = () => start({}, { overrides: { provider: clip.provider, compressor: clip.compressor } });

  /** Sends a prompt with a known MessageSid and returns the task once it is done. */
  const ask = async (b: Awaited<ReturnType<typeof bot>>, prompt: string) => {
    const sid = newMessageSid();
    await b.post(whatsappText(USER, prompt, sid));
    const task = await b.vidbot.store.listTasks({ from: USER, limit: 1 }).then(([t]) => t);
    if (task?.messageId !== sid) throw new Error('no task was created for the message');
    return { sid, done: await b.until(task.taskId, 'done', 'failed') };
  };

  it("is shown for the user's message as the video goes out, or from the start of a job that is surely quick; once per task", async () => {
    const b = await bot();
    const first = await ask(b, 'a fox running through a neon city at night');
    expect(first.done.status).toBe('done');
    expect(b.fake.typing).toEqual([expect.objectContaining({ channel: 'whatsapp', messageId: first.sid, authorized: true })]);
    const [video] = await b.vidbot.store.listVideos({ limit: 1 });
    const [message] = await b.fake.waitForMessages(1);
    // No basis yet for how long a job takes: only as the made video goes out, right before it.
    expect(b.fake.typing[0]?.at).toBeGreaterThanOrEqual(video?.createdAt ?? Number.POSITIVE_INFINITY);
    expect(b.fake.typing[0]?.at).toBeLessThanOrEqual(message?.dateCreated.getTime() ?? 0);

    // Now recent jobs say a job takes seconds: shown from the start, and not again at delivery (it still shows).
    const second = await ask(b, 'a paper boat sailing down a rainy street');
    expect(second.done.status).toBe('done');
    expect(b.fake.typing.map((t) => t.messageId)).toEqual([first.sid, second.sid]);
    const [newest] = await b.vidbot.store.listVideos({ limit: 1 });
    expect(b.fake.typing[1]?.at).toBeLessThan(newest?.createdAt ?? 0);
    expect(b.warnings).toEqual([]);
  });

  it('is not shown for a task the API created (no WhatsApp message to answer)', async () => {
    const b = await bot();
    // The user wrote lately (WhatsApp's 24-hour window is open), but this task is the API's.
    expect(await b.say(USER, '/help')).toContain('Commands');
    const response = await fetch(`${b.base}/api/generate-video`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse in a storm', from: USER }),
    });
    expect(response.status).toBe(202);
    const { task_id: taskId } = (await response.json()) as { task_id: string };
    expect((await b.until(taskId, 'done', 'failed')).status).toBe('done');
    expect(await b.fake.waitForMessages(1)).toHaveLength(1);
    expect(b.fake.typing).toEqual([]);
  });

  it.each([
    [400, 400, 'invalid or incomplete inbound data in MDR'],
    [500, 20500, 'Internal error'],
  ])('refused by Twilio (HTTP %i), it is a warning: the video is still delivered, once', async (status, code, message) => {
    const b = await bot();
    b.fake.failTyping({ status, code, message, times: 10 });
    const { sid, done } = await ask(b, 'a red kite over green hills');
    expect(done).toMatchObject({ status: 'done', delivery: { status: 'queued' } });
    expect(b.fake.typing).toEqual([expect.objectContaining({ messageId: sid })]);
    expect(b.fake.messages).toHaveLength(1);
    expect(b.fake.messages[0]?.mediaUrls).toEqual([done.videoUrl]);
    expect(b.warnings).toEqual([expect.stringContaining(`HTTP ${status}`)]);
    expect(b.warnings[0]).toContain('reply is coming');
  });
});
