import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../errors.ts';
import type { OutboundRecord, Store } from '../store/port.ts';
import type { Messenger } from './port.ts';

export type SimulatorListener = (record: OutboundRecord) => void;

export interface SimulatorMessenger extends Messenger {
  /** Called with every newly recorded message (and, through `publish`, every status change). */
  subscribe(listener: SimulatorListener): () => void;
  /** Tells the listeners about a record that changed outside `send` (a simulated status callback). */
  publish(record: OutboundRecord): void;
}

export interface SimulatorMessengerOptions {
  /**
   * The store, or a getter for it: `vidbot serve` builds the messenger before createVidbot opens
   * the store (the messenger is one of its overrides), so it may only be known later.
   */
  readonly store: Store | (() => Store);
}

/**
 * The browser simulator's messenger: records each outbound message in the store like the local
 * messenger, and pushes it to the simulator page. Messages start as `sent` rather than the local
 * messenger's `delivered`, so the page's simulated receipts (delivered, read, 63016...) apply as
 * Twilio's would; a failure cannot override a delivered message.
 */
export const createSimulatorMessenger = (options: SimulatorMessengerOptions): SimulatorMessenger => {
  const listeners = new Set<SimulatorListener>();
  const store = (): Store => (typeof options.store === 'function' ? options.store() : options.store);
  const publish = (record: OutboundRecord): void => {
    for (const listener of listeners) {
      try {
        listener(record);
      } catch {
        // A page that went away must not fail the worker's delivery.
      }
    }
  };
  return {
    name: 'simulator',
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    publish,
    async send(message, sendOptions) {
      throwIfAborted(sendOptions?.signal);
      const { record, created } = await store().recordOutbound({
        // Twilio-shaped sids, so the status callbacks the page simulates look like Twilio's.
        sid: `SM${randomBytes(16).toString('hex')}`,
        to: message.to,
        kind: message.kind ?? 'notice',
        status: 'sent',
        ...(message.body === undefined ? {} : { body: message.body }),
        ...(message.mediaUrl === undefined ? {} : { mediaUrl: message.mediaUrl }),
        ...(message.taskId === undefined ? {} : { taskId: message.taskId }),
      });
      if (created) publish(record);
      return { sid: record.sid, status: record.status, duplicate: !created };
    },
  };
};
