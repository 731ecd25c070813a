import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../errors.ts';
import type { Store } from '../store/port.ts';
import type { Messenger } from './port.ts';

/**
 * Delivers nothing over the network: it records each outbound message in the store, where
 * `vidbot status`, the server's APIs and tests read it. A task's result is recorded once.
 */
export const createLocalMessenger = ({ store }: { store: Store }): Messenger => ({
  name: 'local',
  async send(message, options) {
    throwIfAborted(options?.signal);
    const { record, created } = await store.recordOutbound({
      sid: `LM${randomBytes(16).toString('hex')}`,
      to: message.to,
      kind: message.kind ?? 'notice',
      status: 'delivered',
      ...(message.body === undefined ? {} : { body: message.body }),
      ...(message.mediaUrl === undefined ? {} : { mediaUrl: message.mediaUrl }),
      ...(message.taskId === undefined ? {} : { taskId: message.taskId }),
    });
    return { sid: record.sid, status: record.status, duplicate: !created };
  },
});
