/**
 * The bot's side of the repeat guard (limits/repeats.ts): a request that repeats one on its way is
 * answered with a word that it is coming; any other is made, and the guard told what it made.
 */
import type { RepeatGuard, RepeatRequest } from '../limits/repeats.ts';
import type { Task } from '../store/port.ts';
import { choiceTexts } from '../tasks/messages.ts';
import { alreadyOnItsWayText } from './replies.ts';
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

/** Runs `make` unless the request repeats one whose video is on its way (the same words, or another take). */
export const unlessRepeated = async (
  guard: RepeatGuard,
  request: RepeatRequest,
  asked: 'words' | 'take',
  make: () => Promise<BotReply>,
  standingOf?: StandingOf,
): Promise<BotReply> => {
  const check = await guard.check(request);
  if ('repeats' in check) return repeatReply(check.repeats, asked, await standingOf?.(check.repeats));
  let made: string | undefined;
  try {
    const reply = await make();
    made = reply.kind === 'ack' ? reply.taskId : undefined;
    return reply;
  } finally {
    check.settled(made);
  }
};
