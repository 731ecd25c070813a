/**
 * The bot's side of the repeat guard (limits/repeats.ts): a request that repeats one on its way is
 * answered with a word that it is coming; any other is made, and the guard told what it made.
 */
import type { Vidbot } from '../create-vidbot.ts';
import type { RepeatCheck, RepeatGuard, RepeatRequest } from '../limits/repeats.ts';
import { isDeliveryFailure } from '../domain.ts';
import type { Task } from '../store/port.ts';
import { offerIdOf } from '../tasks/choices.ts';
import { choiceTexts } from '../tasks/messages.ts';
import { alreadyHaveText, alreadyOnItsWayText } from './replies.ts';
import type { BotReply } from './types.ts';

/** Where a task on its way stands (its place in line, when it should be ready), as the ack tells it. */
export type StandingOf = (task: Task) => Promise<Standing>;
export interface Standing {
  readonly place: number | null;
  readonly etaSec?: number;
  readonly startsNow?: boolean;
}

export const repeatReply = (task: Task, asked: 'words' | 'take', standing?: Standing): BotReply => ({
  text: asked === 'take' ? choiceTexts.takeOnItsWay(task) : alreadyOnItsWayText(task, standing),
  kind: 'repeat',
  duplicate: false,
});

/** How a repeat is told apart and answered. */
export interface RepeatAnswers {
  readonly asked: 'words' | 'take';
  /** Where the one on its way stands, told to its repeat. */
  readonly standingOf?: StandingOf;
  /**
   * Whether the sender has the video of the request's ended task already, so that making it again
   * would send the same one (undefined when not), and whether "Another take" was offered under it.
   */
  readonly hadAlready?: (earlier: Task) => Promise<SameVideo | undefined>;
}

/**
 * The answer to a request the guard saw before: its video on its way, or one the sender has already
 * (answers.hadAlready); undefined for a request to make. `standsFor`: the task the message then stands for.
 */
export const answerToRepeat = async (check: RepeatCheck, answers: RepeatAnswers): Promise<{ reply: BotReply; standsFor?: string } | undefined> => {
  if ('repeats' in check) return { reply: repeatReply(check.repeats, answers.asked, await answers.standingOf?.(check.repeats)) };
  const had = check.earlier === undefined ? undefined : await answers.hadAlready?.(check.earlier);
  if (check.earlier !== undefined && had !== undefined) {
    return { reply: { text: alreadyHaveText(check.earlier, had), kind: 'repeat', duplicate: false }, standsFor: check.earlier.taskId };
  }
  return undefined;
};

/**
 * Runs `make` unless the request repeats one whose video is on its way (the same words, or another
 * take), or one whose video the sender has already and would get again the same.
 */
export const unlessRepeated = async (guard: RepeatGuard, request: RepeatRequest, answers: RepeatAnswers, make: () => Promise<BotReply>): Promise<BotReply> => {
  const check = await guard.check(request);
  let made: string | undefined;
  try {
    const repeated = await answerToRepeat(check, answers);
    if (repeated !== undefined) {
      made = repeated.standsFor;
      return repeated.reply;
    }
    const reply = await make();
    made = reply.kind === 'ack' ? reply.taskId : undefined;
    return reply;
  } finally {
    if ('settled' in check) check.settled(made);
  }
};

/** A video the sender has already, that the same request would send again. */
export interface SameVideo {
  /** "🔁 Another take" was offered under it: the way to a new version is a tap away. */
  readonly offered: boolean;
}

/** Whether making the words again would send the sender the video they have (it arrived, and the cache has it). */
export const sameVideoArrived = async (
  vidbot: Pick<Vidbot, 'isCached' | 'store'>,
  earlier: Task,
  prompt: string,
  model: string | undefined,
): Promise<SameVideo | undefined> => {
  if (earlier.status !== 'done' || !(await vidbot.isCached({ prompt, ...(model ? { options: { model } } : {}) }))) return undefined;
  const offer = await vidbot.store.findOutbound({ id: offerIdOf(earlier) });
  return { offered: offer !== null && offer.messageId !== undefined && !isDeliveryFailure(offer.status) };
};
