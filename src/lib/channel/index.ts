export type {
  Channel,
  ChannelSet,
  ChannelWebhook,
  DeliveryStatus,
  InboundMedia,
  InboundMessage,
  MediaPolicy,
  OutboundMessage,
  Receipt,
  SendOptions,
  SentLookup,
  SentMessage,
  TypingInput,
  WebhookContent,
  WebhookRequest,
  WebhookResponse,
} from './port.ts';
export { createChannelSet } from './set.ts';
export {
  downloadInboundImage,
  downloadInboundMedia,
  type InboundFile,
  type MediaDownloadFailure,
  MediaDownloadError,
  type MediaDownloadOptions,
} from './media.ts';
export { createLocalChannel } from './local/index.ts';
export {
  SIMULATOR_WEBHOOKS,
  type SimulatedMessage,
  type SimulatorChannel,
  type SimulatorChannelOptions,
  type SimulatorEvent,
  type SimulatorListener,
  createSimulatorChannel,
} from './simulator/index.ts';
export * from './twilio/index.ts';
export { normalizeRecipient } from './recipient.ts';
