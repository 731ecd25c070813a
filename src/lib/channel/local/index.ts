/**
 * The local channel: delivers nothing over the network, every message is "delivered" at once. The
 * tasks record it like any other, so `vidbot status`, the APIs and tests can read it. Given
 * webhooks (the server gives it Twilio's format, checked with the local token), it also takes
 * requests signed with `vidbot sign`.
 */
import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../../errors.ts';
import type { Channel, ChannelWebhook } from '../port.ts';

export const createLocalChannel = (options: { webhooks?: readonly ChannelWebhook[] } = {}): Channel => ({
  name: 'local',
  enforcesWindow: false,
  // Nothing travels, so nothing arrives out of order.
  ordered: true,
  webhooks: options.webhooks ?? [],
  async send(message, sendOptions) {
    throwIfAborted(sendOptions?.signal);
    const sent = { messageId: `LM${randomBytes(16).toString('hex')}`, status: 'delivered' as const };
    // A plain text channel: choices would go out as the numbered list.
    return message.choices?.length ? { ...sent, presented: 'text' } : sent;
  },
});
