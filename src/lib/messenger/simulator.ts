import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../errors.ts';
import type { Messenger, OutboundMessage, SentMessage } from './port.ts';
import { refusalKind } from './twilio-codes.ts';

/** A message the simulator took, told to the page at once (before the lifecycle records the answer). */
export interface SimulatedMessage extends OutboundMessage, SentMessage {
  /** vidbot's id of the message (its outbound record). */
  readonly reference?: string;
}

export type SimulatorListener = (message: SimulatedMessage) => void;

export interface SimulatorMessenger extends Messenger {
  /** Called with every message the bot sends through the simulator. */
  subscribe(listener: SimulatorListener): () => void;
}

/**
 * The browser simulator's messenger: a transport that takes each message as Twilio would (status
 * `sent`, an SM... id) and pushes it to the simulator page. The page's simulated receipts
 * (delivered, read, 63016...) then come back through the real status route.
 */
export const createSimulatorMessenger = (): SimulatorMessenger => {
  const listeners = new Set<SimulatorListener>();
  return {
    name: 'simulator',
    enforcesWindow: false,
    // The page simulates Twilio's receipts, codes included.
    refusalKind,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async send(message, sendOptions) {
      throwIfAborted(sendOptions?.signal);
      // Twilio-shaped ids, so the status callbacks the page simulates look like Twilio's.
      const sent: SentMessage = { messageId: `SM${randomBytes(16).toString('hex')}`, status: 'sent' };
      const told: SimulatedMessage = { ...message, ...sent, ...(sendOptions?.reference ? { reference: sendOptions.reference } : {}) };
      for (const listener of listeners) {
        try {
          listener(told);
        } catch {
          // A page that went away must not fail the worker's delivery.
        }
      }
      return sent;
    },
  };
};
