/**
 * A resolved choice carried out (bot/choices.ts resolves it): another take, the other orientation,
 * or the failed task run again, each through the same gates as a typed prompt; a second tap of a
 * choice already on its way makes nothing twice.
 */
import type { ChoiceAction, Orientation } from '../domain.ts';
import { OPEN_TASK_STATUSES } from '../domain.ts';
import type { Vidbot } from '../create-vidbot.ts';
import { isVidbotError } from '../errors.ts';
import type { InboundMessage } from '../channel/port.ts';
import type { Store, Task, TaskOptions } from '../store/port.ts';
import { choiceTexts } from '../tasks/messages.ts';
import { type RepeatGuard, anotherTakeKey } from '../limits/repeats.ts';
import type { Admission } from './admission.ts';
import type { ChoiceResolution } from './choices.ts';
import { repeatReply, unlessRepeated } from './repeats.ts';
import type { BotReply } from './types.ts';

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
  /** Remembers the takes asked for lately, so two taps at once make one (bot/repeats.ts). */
  readonly repeats: RepeatGuard;
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
  if (action !== 'again') return madeAnew(context, message, action, task);
  // Another take once while it is on its way: a second tap (in this process, two at once), or a tap once it is listed.
  const coming = await takeOnItsWay(vidbot.store, message.from, task);
  if (coming !== undefined) return repeatReply(coming, 'take');
  return unlessRepeated(context.repeats, { key: anotherTakeKey(message.from, task.taskId), messageId: message.messageId }, { asked: 'take' }, () =>
    madeAnew(context, message, action, task),
  );
};

/** The video a choice asks for, made anew (another take, the other orientation) or the failed task run again, once the limits allow it. */
const madeAnew = async (context: ChoiceContext, message: InboundMessage, action: ChoiceAction, task: Task): Promise<BotReply> => {
  const { vidbot } = context;
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
