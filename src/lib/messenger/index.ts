export type { DeliveryStatus, Messenger, OutboundMessage, SentMessage } from './port.ts';
export { createLocalMessenger } from './local.ts';
export {
  applyStatusCallback,
  createTwilioMessenger,
  mapTwilioStatus,
  parseStatusCallback,
  type StatusUpdate,
  type TwilioMessengerOptions,
} from './twilio.ts';
