/**
 * The browser simulator's channel: Twilio's webhook format on its own routes (so it runs beside a
 * real Twilio channel), or Meta's Cloud API JSON when the page is switched to it, both checked with
 * the local token, and a transport that takes each message as
 * Twilio would (status `sent`, an SM... id) and pushes it to the simulator page. The page's
 * simulated receipts (delivered, read, 63016...) then come back through its status route. Typing
 * indicators are told to the page too, as events of their own.
 */
import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../../errors.ts';
import type { Channel, OutboundMessage, SendOptions, SentMessage } from '../port.ts';
import type { RefusalKind } from '../../domain.ts';
import { refusalKind as cloudRefusalKind } from '../cloud-api/codes.ts';
import { cloudWebhooks } from '../cloud-api/webhooks.ts';
import { refusalKind as twilioRefusalKind } from '../twilio/codes.ts';
import { twilioWebhooks } from '../twilio/webhooks.ts';

/** A message the simulator took, told to the page at once (before the tasks record the answer), with its choices. */
export interface SimulatedMessage extends OutboundMessage, SentMessage {
  /** vidbot's id of the message (its outbound record). */
  readonly reference?: string;
}

/** What the page is told: a message the bot sent, or that a reply is being prepared for `to`. */
export type SimulatorEvent =
  | { readonly type: 'message'; readonly message: SimulatedMessage }
  | { readonly type: 'typing'; readonly to: string; readonly replyingTo: string };

export type SimulatorListener = (event: SimulatorEvent) => void;

export interface SimulatorChannel extends Channel {
  /** Called with every message the bot sends through the simulator, and every typing indicator. */
  subscribe(listener: SimulatorListener): () => void;
  /** Shows what another process's workers sent through the simulator (relay.ts). */
  show(event: SimulatorEvent): void;
}

export const SIMULATOR_WEBHOOKS = { inbound: '/simulator/webhook', status: '/simulator/status-callback', cloud: '/simulator/cloud' } as const;

/** The page speaks Twilio's forms or Meta's Cloud API JSON: either service's failure codes mean what they mean there. */
export const simulatorRefusalKind = (code: string): RefusalKind => {
  const twilio = twilioRefusalKind(code);
  return twilio === 'other' ? cloudRefusalKind(code) : twilio;
};

export interface SimulatorChannelOptions {
  /** The token the page's forms are signed with (the local token). */
  readonly authToken: string;
  /** The only media the simulator's messages may carry: its own uploads. */
  readonly isOwnUpload: (url: URL) => boolean;
  /** The URL of an upload by its id: Cloud API JSON names media by id. */
  readonly uploadUrlOf?: (id: string) => string | undefined;
}

/**
 * A message as the simulator takes it (here, or through the bus from another process: relay.ts):
 * Twilio-shaped ids, so the status callbacks the page simulates look like Twilio's; the page draws
 * the choices as buttons.
 */
export const takeMessage = (message: OutboundMessage, options?: SendOptions): { sent: SentMessage; event: SimulatorEvent } => {
  throwIfAborted(options?.signal);
  const sent: SentMessage = {
    messageId: `SM${randomBytes(16).toString('hex')}`,
    status: 'sent',
    ...(message.choices?.length ? { presented: 'buttons' as const } : {}),
  };
  return { sent, event: { type: 'message', message: { ...message, ...sent, ...(options?.reference ? { reference: options.reference } : {}) } } };
};

export const createSimulatorChannel = (options: SimulatorChannelOptions): SimulatorChannel => {
  const listeners = new Set<SimulatorListener>();
  const tell = (event: SimulatorEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A page that went away must not fail the worker's delivery.
      }
    }
  };
  return {
    name: 'simulator',
    enforcesWindow: false,
    // The page shows messages in the order they were pushed to it.
    ordered: true,
    // The page simulates Twilio's receipts, codes included.
    refusalKind: simulatorRefusalKind,
    webhooks: [
      ...twilioWebhooks({ channel: 'simulator', authToken: options.authToken, paths: SIMULATOR_WEBHOOKS }),
      // The page's Cloud API mode: Meta's JSON signed with the same local token as the app secret.
      ...cloudWebhooks({
        channel: 'simulator',
        appSecret: options.authToken,
        path: SIMULATOR_WEBHOOKS.cloud,
        mediaBase: 'https://simulator.invalid/media',
        mediaUrlOf: (id) => options.uploadUrlOf?.(id) ?? `https://simulator.invalid/media/${encodeURIComponent(id)}`,
      }).filter((hook) => hook.method === 'POST'),
    ],
    media: { allows: options.isOwnUpload, headersFor: () => ({}), mayRedirect: () => false },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    show: tell,
    async send(message, sendOptions) {
      const { sent, event } = takeMessage(message, sendOptions);
      tell(event);
      return sent;
    },
    async typing(input, typingOptions) {
      throwIfAborted(typingOptions?.signal);
      tell({ type: 'typing', to: input.to, replyingTo: input.replyingTo });
    },
  };
};
