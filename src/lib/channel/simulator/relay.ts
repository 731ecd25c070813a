/**
 * The simulator across processes. The page is served by a web process (`vidbot serve --simulator`),
 * but with a shared queue any process's workers may take its users' tasks (`vidbot worker`). Those
 * workers send through this stand-in channel of the same name, which puts each message and typing
 * indicator on the activity bus; the web process's simulator shows what the bus brings to its page.
 * Without it a worker fell back to its default channel, and a simulated number got a real WhatsApp
 * message through Twilio.
 */
import { throwIfAborted } from '../../errors.ts';
import type { Channel } from '../port.ts';
import { type SimulatorChannel, type SimulatorEvent, simulatorRefusalKind, takeMessage } from './index.ts';

/** What goes on the bus: one event of the page's. */
export interface SimulatorRelayEvent {
  readonly type: 'simulator';
  readonly ts: number;
  readonly event: SimulatorEvent;
}

/** What the relay needs of the activity bus (activity/bus/port.ts), which carries other events too. */
export interface SimulatorBus {
  publish(event: SimulatorRelayEvent): void;
  subscribe(listener: (message: { readonly event: { readonly type: string } }) => void): () => void;
}

/** The channel a process without the page sends the simulator's messages through. */
export const createSimulatorRelay = (bus: SimulatorBus): Channel => {
  const publish = (event: SimulatorEvent): void => bus.publish({ type: 'simulator', ts: Date.now(), event });
  return {
    name: 'simulator',
    enforcesWindow: false,
    ordered: true,
    refusalKind: simulatorRefusalKind,
    webhooks: [],
    async send(message, options) {
      const { sent, event } = takeMessage(message, options);
      publish(event);
      return sent;
    },
    async typing(input, options) {
      throwIfAborted(options?.signal);
      publish({ type: 'typing', to: input.to, replyingTo: input.replyingTo });
    },
  };
};

/** Shows on this process's page what other processes' workers sent its users; returns the unsubscribe. */
export const showRelayed = (bus: SimulatorBus, simulator: Pick<SimulatorChannel, 'show'>): (() => void) =>
  bus.subscribe(({ event }) => {
    if (event.type === 'simulator') simulator.show((event as SimulatorRelayEvent).event);
  });
