export type { DeliveryStatus, Messenger, OutboundMessage, SentMessage } from './port.ts';
export { createLocalMessenger } from './local.ts';
