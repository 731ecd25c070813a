/**
 * Which task an answer to the bot's choices is about, on a real SQLite store: a tap acts on the
 * message it was on, never on a newer one; a typed answer on the newest offer of the last 24 hours.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actOnChoice } from '../../src/lib/bot/act-on-choice.ts';
import { newestOffer, resolveChoice } from '../../src/lib/bot/choices.ts';
import type { BotReply } from '../../src/lib/bot/types.ts';
import type { InboundMessage } from '../../src/lib/channel/port.ts';
import type { Vidbot } from '../../src/lib/create-vidbot.ts';
import type { Task } from '../../src/lib/store/port.ts';
import { makeVidbot } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15550003333';
const OTHER = 'whatsapp:+15550004444';
const DAY = 24 * 3600 * 1000;

let vidbot: Vidbot;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ vidbot, cleanup } = await makeVidbot());
});
afterEach(async () => {
  await cleanup();
});

let counter = 0;
const task = async (prompt: string, from = USER, orientation: 'portrait' | 'landscape' = 'portrait'): Promise<Task> =>
  (await vidbot.createTask({ prompt, from, options: { orientation } })).task;

/** A message the bot sent about a task, as the channel took it (with its SM id). */
const sent = async (about: Task, kind: string, to = USER): Promise<string> => {
  const messageId = `SM${String(++counter).padStart(32, '0')}`;
  const id = `${about.taskId}:${kind}:${counter}`;
  await vidbot.store.recordOutbound({ id, kind, to, body: 'offer', taskId: about.taskId, channel: 'local', status: 'pending' });
  await vidbot.store.updateOutbound(id, { status: 'sent', messageId });
  return messageId;
};

const inbound = (over: Partial<InboundMessage>): InboundMessage => ({
  channel: 'local',
  messageId: `SM${String(++counter).padStart(32, 'f')}`,
  from: USER,
  body: '',
  media: [],
  fields: {},
  ...over,
});

describe('resolveChoice', () => {
  it('acts on the task of the message a button was on, even when a newer offer exists', async () => {
    const older = await task('a fox in the snow');
    const onOlder = await sent(older, 'choices');
    const newer = await task('a boat at sea');
    await sent(newer, 'choices');

    const tap = inbound({ body: '↔️ Landscape', button: { payload: 'landscape', text: '↔️ Landscape' }, repliedTo: onOlder });
    expect(await resolveChoice(vidbot.store, tap, Date.now())).toMatchObject({ kind: 'chosen', action: 'landscape', task: { taskId: older.taskId } });
  });

  it('cannot place a tap on a message it does not know, or one sent to someone else, and never guesses the newest', async () => {
    const mine = await task('a fox in the snow');
    await sent(mine, 'choices');
    const theirs = await task('a cat', OTHER);
    const toThem = await sent(theirs, 'choices', OTHER);

    for (const repliedTo of ['SM_unknown_message_sid_0000000000', toThem]) {
      const tap = inbound({ body: '🔁 Another take', button: { payload: 'again', text: '🔁 Another take' }, repliedTo });
      expect(await resolveChoice(vidbot.store, tap, Date.now())).toEqual({ kind: 'unplaced' });
    }
  });

  it('takes a tap without the message it was on as the newest offer, and ignores buttons of other templates', async () => {
    const offered = await task('a fox in the snow');
    await sent(offered, 'failure');
    expect(await resolveChoice(vidbot.store, inbound({ button: { payload: 'retry', text: '🔄 Try again' } }), Date.now())).toMatchObject({
      kind: 'chosen',
      action: 'retry',
      task: { taskId: offered.taskId },
    });
    expect(await resolveChoice(vidbot.store, inbound({ body: 'Yes', button: { payload: 'CONFIRM', text: 'Yes' } }), Date.now())).toBeNull();
  });

  it('reads a typed number or title against the newest offer, with its own choices', async () => {
    const portrait = await task('a fox in the snow');
    await sent(portrait, 'choices');
    const landscape = await task('a boat at sea', USER, 'landscape');
    await sent(landscape, 'result');
    await sent(landscape, 'choices');

    const now = Date.now();
    expect(await resolveChoice(vidbot.store, inbound({ body: '1' }), now)).toMatchObject({ action: 'again', task: { taskId: landscape.taskId } });
    // The newest offer was about a landscape video: its second choice is portrait.
    expect(await resolveChoice(vidbot.store, inbound({ body: '2' }), now)).toMatchObject({ action: 'portrait', task: { taskId: landscape.taskId } });
    expect(await resolveChoice(vidbot.store, inbound({ body: 'portrait' }), now)).toMatchObject({ action: 'portrait' });
    // A swipe-reply to the older offer answers that one.
    const older = (await vidbot.store.listOutbound({ to: USER })).find((r) => r.taskId === portrait.taskId);
    expect(await resolveChoice(vidbot.store, inbound({ body: '2', repliedTo: older?.messageId ?? '' }), now)).toMatchObject({
      action: 'landscape',
      task: { taskId: portrait.taskId },
    });
  });

  it('treats descriptions as prompts, and a bare number with nothing to answer as a number', async () => {
    const offered = await task('a fox in the snow');
    await sent(offered, 'failure');
    const now = Date.now();
    expect(await resolveChoice(vidbot.store, inbound({ body: 'a fox running through a neon city at night' }), now)).toBeNull();
    expect(await resolveChoice(vidbot.store, inbound({ body: 'landscape' }), now)).toBeNull();
    expect(await resolveChoice(vidbot.store, inbound({ body: '2' }), now)).toEqual({ kind: 'bare-number' });
    expect(await resolveChoice(vidbot.store, inbound({ body: '1', from: OTHER }), now)).toEqual({ kind: 'bare-number' });
    expect(await resolveChoice(vidbot.store, inbound({ body: '1', media: [{ url: 'https://x/1', contentType: 'image/png' }] }), now)).toBeNull();
    // A button's words typed where no offer stands: not a video titled "Another take" (asked what they mean, as a number is).
    expect(await resolveChoice(vidbot.store, inbound({ body: 'Another take', from: OTHER }), now)).toEqual({ kind: 'bare-number' });
    expect(await resolveChoice(vidbot.store, inbound({ body: '🔄 Try again', from: OTHER }), now)).toEqual({ kind: 'bare-number' });
  });

  it('forgets offers older than a day', async () => {
    const offered = await task('a fox in the snow');
    await sent(offered, 'choices');
    expect(await newestOffer(vidbot.store, USER, Date.now())).toBeDefined();
    expect(await newestOffer(vidbot.store, USER, Date.now() + DAY + 1000)).toBeUndefined();
    expect(await resolveChoice(vidbot.store, inbound({ body: '1' }), Date.now() + DAY + 1000)).toEqual({ kind: 'bare-number' });
  });

  it('skips offers the channel never took', async () => {
    const offered = await task('a fox in the snow');
    await vidbot.store.recordOutbound({ id: 'x:choices', kind: 'choices', to: USER, body: 'offer', taskId: offered.taskId, channel: 'local', status: 'pending' });
    expect(await resolveChoice(vidbot.store, inbound({ body: '1' }), Date.now())).toEqual({ kind: 'bare-number' });
  });

  it('understands "try again" typed to a failure notice that showed no button (its retry could not help then), but not a bare number', async () => {
    const failed = await task('a lighthouse in a storm');
    await vidbot.store.updateTask(failed.taskId, { status: 'failed', errorCode: 'VIDBOT_BUDGET_REACHED' });
    await sent(failed, 'failure');
    expect(await resolveChoice(vidbot.store, inbound({ body: 'Try again' }), Date.now())).toMatchObject({ kind: 'chosen', action: 'retry', task: { taskId: failed.taskId } });
    expect(await resolveChoice(vidbot.store, inbound({ body: '1' }), Date.now())).toEqual({ kind: 'bare-number' });
  });
});

describe('actOnChoice', () => {
  const message = () => inbound({ body: 'again' });
  const context = (held: BotReply | undefined) => {
    const calls = { held: 0, admitted: 0 };
    return {
      calls,
      value: {
        vidbot,
        chooseModel: async () => ({ text: 'model', kind: 'model' as const, duplicate: false }),
        admit: async () => ((calls.admitted += 1), {}),
        acknowledge: async ({ taskId }: { taskId: string }) => ({ text: `ack ${taskId}`, kind: 'ack' as const, taskId, duplicate: false }),
        heldByBudget: async () => ((calls.held += 1), held),
        repeats: vidbot.repeats,
      },
    };
  };
  const HELD: BotReply = { text: '🌙 budget spent', kind: 'quota', duplicate: false };

  it("holds a button's new video while today's budget is spent, before taking a turn", async () => {
    const made = await task('a fox in the snow');
    for (const action of ['again', 'landscape', 'retry'] as const) {
      const { calls, value } = context(HELD);
      const about = action === 'retry' ? await vidbot.store.updateTask(made.taskId, { status: 'failed' }) : made;
      expect(await actOnChoice(value, message(), { kind: 'chosen', action, task: about })).toBe(HELD);
      expect(calls).toEqual({ held: 1, admitted: 0 });
    }
  });

  it('makes one take of two taps at once, however long the first waits at the gate', async () => {
    const made = await vidbot.store.updateTask((await task('a fox in the snow')).taskId, { status: 'done' });
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const value = { ...context(undefined).value, admit: async () => (await gate, {}) };
    const taps = [actOnChoice(value, message(), { kind: 'chosen', action: 'again', task: made }), actOnChoice(value, message(), { kind: 'chosen', action: 'again', task: made })];
    // Both taps are in before either has made its take.
    await new Promise((resolve) => setImmediate(resolve));
    open();
    expect((await Promise.all(taps)).map((reply) => reply.kind).sort()).toEqual(['ack', 'repeat']);
    expect(await vidbot.store.countTasks({ from: USER })).toBe(2);
  });

  it('lets a retry whose video was made (only its delivery failed) go ahead: sending it again costs nothing', async () => {
    const made = await task('a fox in the snow');
    const failed = await vidbot.store.updateTask(made.taskId, { status: 'failed', videoId: 'v1' });
    const { calls, value } = context(HELD);
    expect((await actOnChoice(value, message(), { kind: 'chosen', action: 'retry', task: failed })).kind).toBe('ack');
    expect(calls).toEqual({ held: 0, admitted: 1 });
  });
});
