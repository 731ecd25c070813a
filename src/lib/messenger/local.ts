import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../errors.ts';
import type { Messenger } from './port.ts';

/**
 * Delivers nothing over the network: every message is "delivered" at once. The task lifecycle
 * records it like any other, so `vidbot status`, the server's APIs and tests can read it.
 */
export const createLocalMessenger = (): Messenger => ({
  name: 'local',
  enforcesWindow: false,
  async send(_message, options) {
    throwIfAborted(options?.signal);
    return { messageId: `LM${randomBytes(16).toString('hex')}`, status: 'delivered' };
  },
});
