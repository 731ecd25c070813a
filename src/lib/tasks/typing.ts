/**
 * The typing indicator of a task's user. WhatsApp shows it until the next message arrives or for
 * 25 s, so it is shown only when a message follows within that time: as the video goes out, and
 * from the start of a job that recent ones say is quick (or that the cache answers). It is never
 * repeated to fake activity through a long job. Best effort: a failure is a warning, never the task's.
 */
import { toVidbotError } from '../errors.ts';
import type { Task } from '../store/port.ts';
import { type LifecycleDeps, channelFor } from './deps.ts';

/** How long WhatsApp shows the indicator; another one within it would not show (and adds nothing). */
const INDICATOR_MS = 25_000;
/** A job expected to take at most this long shows the indicator from its start. */
export const QUICK_JOB_SEC = 20;
/** The video must not wait on a slow indicator. */
const TYPING_TIMEOUT_MS = 5_000;

export interface Typing {
  /** Whether this task's user can see one at all: a message of theirs to answer, on a channel that has it. */
  readonly possible: boolean;
  /** Shows the indicator, unless one shown by this run still shows. Never throws. */
  show(signal?: AbortSignal): Promise<void>;
}

export const createTyping = (deps: Pick<LifecycleDeps, 'channels' | 'onWarning'>, task: Task): Typing => {
  const { messageId, from } = task;
  const channel = channelFor(deps, task.channel);
  const possible = messageId !== undefined && from !== '' && channel.typing !== undefined;
  let shownAt = Number.NEGATIVE_INFINITY;
  return {
    possible,
    async show(signal) {
      if (!possible || messageId === undefined || signal?.aborted) return;
      if (performance.now() - shownAt < INDICATOR_MS) return;
      shownAt = performance.now();
      const limit = AbortSignal.timeout(TYPING_TIMEOUT_MS);
      try {
        await channel.typing?.({ to: from, replyingTo: messageId }, { signal: signal ? AbortSignal.any([signal, limit]) : limit });
      } catch (error) {
        if (signal?.aborted) return;
        deps.onWarning?.(`Could not show ${from} that a reply is coming (task ${task.taskId}): ${toVidbotError(error).message}`);
      }
    },
  };
};
