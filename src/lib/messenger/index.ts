export type { DeliveryStatus, Messenger, OutboundMessage, SendOptions, SentLookup, SentMessage } from './port.ts';
export { createLocalMessenger } from './local.ts';
export { createTwilioMessenger, type TwilioMessengerOptions } from './twilio.ts';
export { mapTwilioStatus, parseStatusCallback, type Receipt } from './twilio-status.ts';
export { refusalKind as twilioRefusalKind } from './twilio-codes.ts';
export {
  type SimulatedMessage,
  type SimulatorListener,
  type SimulatorMessenger,
  createSimulatorMessenger,
} from './simulator.ts';
