/**
 * Answers to the bot's choices: a tapped reply button, or a typed "1", "2" or button title where
 * the buttons went out as text. A tap acts on the task of the message it was tapped on (the
 * channel names that message), never on whatever is newest; a typed answer acts on the newest
 * offer sent to that user in the last 24 hours.
 */
import { type ChoiceAction, type Orientation, OPEN_TASK_STATUSES } from '../domain.ts';
import type { Vidbot } from '../create-vidbot.ts';
import { isVidbotError } from '../errors.ts';
import { isBareNumber, pickChoice } from '../channel/choices.ts';
import type { InboundMessage } from '../channel/port.ts';
import type { OutboundRecord, Store, Task, TaskOptions } from '../store/port.ts';
import { OFFER_KINDS, RETRY_OFFER_KINDS, choiceOf, choicesFor } from '../tasks/choices.ts';
import { choiceTexts } from '../tasks/messages.ts';
import type { ModelOption } from '../video-provider/allowed.ts';
import type { Admission } from './admission.ts';
import { MODEL_OFFER_KIND, answerToModels, modelOfChoice } from './models.ts';
import type { BotReply } from './types.ts';

const ACTIONS: readonly ChoiceAction[] = ['again', 'landscape', 'portrait', 'retry'];
/** WhatsApp's window: an offer older than this was made in another conversation. */
const OFFER_TTL_MS = 24 * 3600 * 1000;
/** Longer than any button title or number: a message this long is a description, not an answer. */
const ANSWER_MAX_CHARS = 40;
/** Recent messages to a user looked through for the newest offer. */
const RECENT_OUTBOUND = 20;

/** What a message answers: a choice about a task, a tap the bot cannot place, or a bare number about nothing. */
export type ChoiceResolution =
  | { readonly kind: 'chosen'; readonly action: ChoiceAction; readonly task: Task }
  /** A model picked from the /model list: by a tap (its id rides in the button), or a typed number or name. */
  | { readonly kind: 'model'; readonly model: string }
  | { readonly kind: 'unplaced' }
  | { readonly kind: 'bare-number' };

const isAction = (value: string): value is ChoiceAction => (ACTIONS as readonly string[]).includes(value);

/**
 * Whether a typed message could answer any offer at all: a number, a button's title or action, a
 * model's name. Most messages are descriptions that can answer none, and need no look at the offers.
 */
const couldAnswer = (answer: string, models: readonly ModelOption[]): boolean =>
  isBareNumber(answer) || pickChoice(answer, ACTIONS.map(choiceOf)) !== undefined || answerToModels(models, answer) !== undefined;

/** The newest message with choices sent to this user (and taken by the channel) within the window; the model list is about no task. */
export const newestOffer = async (store: Store, to: string, now: number): Promise<OutboundRecord | undefined> => {
  const recent = await store.listOutbound({ to, limit: RECENT_OUTBOUND });
  return recent.find(
    (record) =>
      OFFER_KINDS.includes(record.kind) &&
      record.messageId !== undefined &&
      (record.taskId !== undefined || record.kind === MODEL_OFFER_KIND) &&
      now - record.createdAt <= OFFER_TTL_MS,
  );
};

/** The offer a reply names (the channel's id of the message replied to), when it is one sent to this user. */
const offerRepliedTo = async (store: Store, message: InboundMessage): Promise<OutboundRecord | undefined> => {
  if (message.repliedTo === undefined) return undefined;
  const record = await store.findOutbound({ messageId: message.repliedTo });
  return record !== null && record.to === message.from && OFFER_KINDS.includes(record.kind) ? record : undefined;
};

const taskOf = async (store: Store, record: OutboundRecord | undefined): Promise<Task | undefined> =>
  record?.taskId === undefined ? undefined : ((await store.getTask(record.taskId)) ?? undefined);

/**
 * Whether this message answers one of the bot's choices, and about which task (or which model of
 * `models`, the /model list); null when it is an ordinary message.
 */
export const resolveChoice = async (store: Store, message: InboundMessage, now: number, models: readonly ModelOption[] = []): Promise<ChoiceResolution | null> => {
  if (message.media.length > 0) return null;
  if (message.button !== undefined) {
    const { payload } = message.button;
    const model = modelOfChoice(payload);
    if (model !== undefined) return { kind: 'model', model };
    const action = isAction(payload) ? payload : undefined;
    // Another template's button (the operator's own approved one): an ordinary message.
    if (action === undefined) return null;
    // A tap names its message; only a channel that cannot say which falls back to the newest offer.
    const offer = message.repliedTo !== undefined ? await offerRepliedTo(store, message) : await newestOffer(store, message.from, now);
    const task = await taskOf(store, offer);
    return task === undefined ? { kind: 'unplaced' } : { kind: 'chosen', action, task };
  }
  const answer = message.body.trim();
  if (answer === '' || [...answer].length > ANSWER_MAX_CHARS || answer.startsWith('/')) return null;
  if (!couldAnswer(answer, models)) return null;
  const offer = (await offerRepliedTo(store, message)) ?? (await newestOffer(store, message.from, now));
  if (offer?.kind === MODEL_OFFER_KIND) {
    const model = answerToModels(models, answer);
    if (model !== undefined) return { kind: 'model', model };
    return isBareNumber(answer) ? { kind: 'bare-number' } : null;
  }
  const task = await taskOf(store, offer);
  // A failure notice shows its button only where trying again can help, yet "try again" typed to
  // one still means that task (the day after a spent budget, it will work); a number needs the button.
  const understood = offer !== undefined && RETRY_OFFER_KINDS.includes(offer.kind) && !isBareNumber(answer) ? [choiceOf('retry')] : undefined;
  const picked = offer === undefined || task === undefined ? undefined : pickChoice(answer, understood ?? choicesFor(offer.kind, task));
  if (picked !== undefined && task !== undefined && isAction(picked.id)) return { kind: 'chosen', action: picked.id, task };
  return isBareNumber(answer) || answersNoOffer(answer) ? { kind: 'bare-number' } : null;
};

/**
 * A button's words typed where no offer stands ("Another take", "Try again"): about no video, and
 * surely no description of one. ("Landscape" or "Portrait" alone may well be one.)
 */
const answersNoOffer = (answer: string): boolean => pickChoice(answer, [choiceOf('again'), choiceOf('retry')]) !== undefined;

export type { Admission } from './admission.ts';

export interface ChoiceContext {
  readonly vidbot: Pick<Vidbot, 'store' | 'submitTask' | 'retryTask' | 'limits'>;
  /** Notes a model picked from the /model list (bot/models.ts). */
  chooseModel(from: string, model: string): Promise<BotReply>;
  /** The same gate as a typed prompt's: the rate limit and the daily allowance. */
  admit(message: InboundMessage): Promise<Admission>;
  /** The reply when today's budget is spent and this task's new video would have to be paid for (bot/budget-gate.ts). */
  heldByBudget(task: Task): Promise<BotReply | undefined>;
  /** The usual answer for a queued task (its place in line, an ETA, the allowance left), under `headline`. */
  acknowledge(task: Pick<Task, 'taskId' | 'from' | 'jobId'>, admission: Admission, headline: string, options?: { resend?: boolean }): Promise<BotReply>;
}

const told = (text: string): BotReply => ({ text, kind: 'rejected', duplicate: false });

/** The next take of a prompt for this user: one more than the highest they have asked for. */
const nextTake = async (store: Store, task: Task): Promise<number> => {
  const same = (await store.listTasks({ from: task.from, limit: 50 })).filter((t) => t.prompt === task.prompt);
  return Math.max(task.options.take ?? 1, ...same.map((t) => t.options.take ?? 1)) + 1;
};

/** The new task a choice asks for: the same prompt and options, with another take or orientation. */
const followUpOptions = async (store: Store, action: 'again' | Orientation, task: Task): Promise<Partial<Omit<TaskOptions, 'provider'>>> => {
  const { provider: _provider, ...options } = task.options;
  return action === 'again' ? { ...options, take: await nextTake(store, task) } : { ...options, orientation: action };
};

/** The options that make a video what it is (not who makes it, nor whether the cache may serve it). */
const shapeOf = (options: Partial<TaskOptions>): string =>
  JSON.stringify([options.orientation, options.durationSec, options.take ?? 1, options.model, options.firstFrameImage, options.inputs, options.polish]);

/** A task of this user's for the same video, made or on its way: a second tap, or the shape they started from. */
const sameVideo = async (store: Store, from: string, prompt: string, options: Partial<TaskOptions>): Promise<Task | undefined> => {
  const shape = shapeOf(options);
  const recent = await store.listTasks({ from, limit: 50 });
  return recent.find((t) => t.prompt === prompt && t.status !== 'failed' && t.status !== 'canceled' && shapeOf(t.options) === shape);
};

/** A take of this prompt after the tapped one's, still on its way: the tap already made (a second tap, or the tap typed as well). */
const takeOnItsWay = async (store: Store, from: string, task: Task): Promise<Task | undefined> => {
  const { take: _take, ...rest } = task.options;
  const shape = shapeOf(rest);
  const recent = await store.listTasks({ from, limit: 50 });
  return recent.find((t) => {
    const { take = 1, ...others } = t.options;
    return t.prompt === task.prompt && OPEN_TASK_STATUSES.includes(t.status) && take > (task.options.take ?? 1) && shapeOf(others) === shape;
  });
};

/** Carries a resolved choice out: a new task (another take, the other orientation), or the failed task run again. */
export const actOnChoice = async (context: ChoiceContext, message: InboundMessage, resolution: ChoiceResolution): Promise<BotReply> => {
  if (resolution.kind === 'unplaced') return told(choiceTexts.unknown);
  if (resolution.kind === 'bare-number') return told(choiceTexts.bareNumber(message.body));
  if (resolution.kind === 'model') return context.chooseModel(message.from, resolution.model);
  const { action, task } = resolution;
  const { vidbot } = context;
  if (action === 'retry' && task.status !== 'failed' && task.status !== 'canceled') return told(choiceTexts.notFailed(task));
  // The other orientation once: a second tap, or "portrait" under the landscape version of a portrait video.
  if (action === 'landscape' || action === 'portrait') {
    const existing = await sameVideo(vidbot.store, message.from, task.prompt, { ...task.options, ...(await followUpOptions(vidbot.store, action, task)) });
    if (existing !== undefined) return told(choiceTexts.alreadyAsked(existing, action));
  }
  if (action === 'again') {
    const coming = await takeOnItsWay(vidbot.store, message.from, task);
    if (coming !== undefined) return { text: choiceTexts.takeOnItsWay(coming), kind: 'repeat', duplicate: false };
  }
  // Another take or orientation is always made anew; a retry only when its video was never made.
  if (action !== 'retry' || task.videoId === undefined) {
    const held = await context.heldByBudget(task);
    if (held !== undefined) return held;
  }
  const admission = await context.admit(message);
  if (admission.denied !== undefined) return admission.denied;
  if (action === 'retry') {
    let retried: Task;
    try {
      retried = await vidbot.retryTask(task.taskId);
    } catch (error) {
      // Another tap (or the operator) retried it a moment ago.
      if (!isVidbotError(error, 'VIDBOT_CONFLICT')) throw error;
      return told(choiceTexts.notFailed((await vidbot.store.getTask(task.taskId)) ?? task));
    }
    // The task counts its own video again (a retry does, however asked): the tap's is given back, so it counts once.
    await vidbot.limits.refund(message.from, message.messageId).catch(() => undefined);
    const resend = task.videoId !== undefined;
    return context.acknowledge(retried, admission, resend ? choiceTexts.resend(task) : choiceTexts.retry(task), { resend });
  }
  // A new task through the same path as a typed prompt, keyed by this message so a redelivery queues nothing.
  const { task: queued } = await vidbot.submitTask({
    prompt: task.prompt,
    from: message.from,
    sessionId: message.from,
    messageId: message.messageId,
    channel: message.channel,
    options: await followUpOptions(vidbot.store, action, task),
  });
  return context.acknowledge(queued, admission, action === 'again' ? choiceTexts.again(task) : choiceTexts.orientation(task, action));
};
