export type { DeliveryStatus, Messenger, OutboundMessage, SentMessage } from './port.ts';
export { createLocalMessenger } from './local.ts';
export { createTwilioMessenger, type TwilioMessengerOptions } from './twilio.ts';
export { applyStatusCallback, mapTwilioStatus, parseStatusCallback, type StatusUpdate } from './twilio-status.ts';
export {
  type SimulatorListener,
  type SimulatorMessenger,
  type SimulatorMessengerOptions,
  createSimulatorMessenger,
} from './simulator.ts';
