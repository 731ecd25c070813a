/**
 * The bot's answer to an inbound message on services with no reply in the HTTP answer (Meta's Cloud
 * API): recorded before the webhook is acknowledged, under the inbound message's id, and sent as a
 * message right after. A redelivered webhook finds the record and sends nothing; a crash in between
 * leaves it pending, and the outbox sweep sends it.
 */
import type { Choice } from '../domain.ts';
import { toVidbotError } from '../errors.ts';
import { type LifecycleDeps, channelFor } from './deps.ts';
import { sendRecorded } from './outbound.ts';

export const REPLY_KIND = 'reply';

export interface ReplyInput {
  readonly channel: string;
  readonly to: string;
  readonly body: string;
  /** The channel's id of the message answered: one reply per inbound message. */
  readonly inReplyTo: string;
  readonly taskId?: string;
  /** The record's kind when the reply is an offer others answer (the /model list); default 'reply'. */
  readonly kind?: string;
  /** Replies offered with it: buttons where the channel has them, else numbered text. */
  readonly choices?: readonly Choice[];
}

export interface PreparedReply {
  send(): Promise<void>;
}

/** Records the reply; undefined when it was recorded before (a redelivery), or could not be. */
export const prepareReply = async (deps: LifecycleDeps, input: ReplyInput): Promise<PreparedReply | undefined> => {
  if (input.body.trim() === '') return undefined;
  const id = `${input.inReplyTo}:${REPLY_KIND}`;
  const channel = channelFor(deps, input.channel);
  const kind = input.kind ?? REPLY_KIND;
  const recorded = await deps.store.recordOutbound({
    id,
    kind,
    to: input.to,
    body: input.body,
    channel: channel.name,
    status: 'pending',
    ...(input.taskId === undefined ? {} : { taskId: input.taskId }),
  });
  if (!recorded.created) return undefined;
  const message = { to: input.to, body: input.body, ...(input.choices?.length ? { choices: input.choices } : {}) };
  return {
    async send() {
      // Marks the user's message read (blue ticks) as the reply is written, where the channel can.
      await channel.typing?.({ to: input.to, replyingTo: input.inReplyTo }).catch(() => undefined);
      try {
        // The user wrote a moment ago: the window is open. The bot already logged its reply in the session.
        await sendRecorded(deps, { id, kind, channel, message, untried: true, checkWindow: false, ...(input.taskId ? { taskId: input.taskId } : {}) });
      } catch (error) {
        deps.onWarning?.(`Could not send the reply to ${input.to}: ${toVidbotError(error).message}`);
      }
    },
  };
};
