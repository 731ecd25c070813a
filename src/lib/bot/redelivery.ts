/**
 * A message the channel delivered again (a Twilio retry, a Meta redelivery): it gets the answer its
 * first delivery got, once that has one, and queues nothing of its own.
 */
import type { InboundClaim, Store } from '../store/port.ts';
import type { BotReply } from './types.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The answer stored with a message's claim, as the redelivery's reply. */
export const answerOfClaim = (claim: InboundClaim, reply: string): BotReply => ({
  text: reply,
  kind: claim.taskId ? 'ack' : 'command',
  duplicate: true,
  ...(claim.taskId ? { taskId: claim.taskId } : {}),
});

/**
 * The first delivery's answer, waited for up to `waitMs` from when it was received; undefined when
 * none came in time (the first delivery failed, or its process died): the caller handles it then.
 */
export const answerOfFirst = async (
  store: Pick<Store, 'claimInbound'>,
  waitMs: number,
  message: { readonly messageId: string; readonly from: string },
  receivedAt: number,
): Promise<BotReply | undefined> => {
  for (;;) {
    const { claim } = await store.claimInbound({ messageId: message.messageId, from: message.from });
    if (claim.reply !== undefined) return answerOfClaim(claim, claim.reply);
    // receivedAt is the store's clock (real time), not the injectable one used for rate limits.
    if (Date.now() - receivedAt >= waitMs) return undefined;
    await sleep(50);
  }
};
