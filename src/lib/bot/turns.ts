/**
 * The turns a message takes of its sender's limits while it is decided: the gate every request for a
 * new video passes (the rate limit, then the daily allowance), and the giving back of a turn taken by
 * a message that ended without a task (a photo too large, a voice note not understood): it made
 * nothing, so it costs the sender nothing.
 */
import type { InboundMessage } from '../channel/port.ts';
import type { SenderLimits } from '../limits/port.ts';
import { type Admission, admissionOf } from './admission.ts';
import type { BotReply } from './types.ts';

export interface Turns {
  /** Takes the message's turn; the reply when it may not have one. */
  admit(message: InboundMessage): Promise<Admission>;
  /** Runs the decision of one message, then gives back the turn it took when it made no task. */
  deciding(message: InboundMessage, decide: () => Promise<BotReply>): Promise<BotReply>;
}

export const createTurns = (options: {
  readonly limits: Pick<SenderLimits, 'take' | 'release'>;
  readonly perMinute: number;
  readonly now: () => number;
  readonly onWarning?: (message: string) => void;
}): Turns => {
  /** Messages being decided that took a turn. */
  const took = new Set<string>();
  return {
    async admit(message) {
      const verdict = await options.limits.take({ from: message.from, messageId: message.messageId, now: options.now() });
      const admission = admissionOf(verdict, options.perMinute);
      if (admission.denied === undefined) took.add(message.messageId);
      return admission;
    },
    async deciding(message, decide) {
      try {
        const reply = await decide();
        if (took.has(message.messageId) && reply.taskId === undefined) {
          await options.limits.release(message.from, message.messageId).catch((error: unknown) => {
            options.onWarning?.(`Giving back ${message.from}'s turn failed: ${(error as Error).message}`);
          });
        }
        return reply;
      } finally {
        took.delete(message.messageId);
      }
    },
  };
};
