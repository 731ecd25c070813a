/**
 * The Cloud API channel: WhatsApp straight on Meta's Cloud API (Graph API), beside or instead of
 * Twilio. Webhooks are signed JSON answered 200 (replies go out as messages), media goes up by
 * upload, and inbound media comes down in two steps. Its client is ours (graph.ts): Meta has no
 * maintained Node SDK, and a bot needs four endpoints.
 */
import { VidbotError } from '../../errors.ts';
import type { Channel } from '../port.ts';
import { type GraphClientOptions, createGraphClient } from './graph.ts';
import { cloudMediaPolicy } from './media.ts';
import { type CloudSenderOptions, createCloudSender } from './send.ts';
import { cloudWebhooks } from './webhooks.ts';

export interface CloudApiChannelOptions
  extends Pick<GraphClientOptions, 'token' | 'baseUrl' | 'version' | 'timeoutMs'>,
    Omit<CloudSenderOptions, 'graph'> {
  /** WHATSAPP_APP_SECRET: checks X-Hub-Signature-256; without it every POST is refused. */
  readonly appSecret?: string;
  /** WHATSAPP_VERIFY_TOKEN: answers Meta's subscription check; without it the check is refused. */
  readonly verifyToken?: string;
  /** Default /whatsapp/cloud. */
  readonly webhookPath?: string;
  readonly skipSignature?: boolean;
}

export const CLOUD_API_CHANNEL = 'cloud-api';

export const createCloudApiChannel = (options: CloudApiChannelOptions): Channel => {
  if (!options.token || !/^\d+$/.test(options.phoneNumberId)) {
    throw new VidbotError('VIDBOT_CONFIG_INVALID', 'The Cloud API channel needs a token and a phone number id (digits).', {
      hint: 'Set WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID (Meta app dashboard → WhatsApp → API setup).',
    });
  }
  const graph = createGraphClient(options);
  return {
    name: CLOUD_API_CHANNEL,
    ...createCloudSender({ ...options, graph }),
    // Meta cannot be asked what was sent; its statuses name the message by vidbot's reference.
    receiptsCarryReference: true,
    webhooks: cloudWebhooks({
      channel: CLOUD_API_CHANNEL,
      mediaBase: `${graph.baseUrl}/${graph.version}`,
      phoneNumberId: options.phoneNumberId,
      ...(options.appSecret ? { appSecret: options.appSecret } : {}),
      ...(options.verifyToken ? { verifyToken: options.verifyToken } : {}),
      ...(options.webhookPath ? { path: options.webhookPath } : {}),
      ...(options.skipSignature ? { skipSignature: true } : {}),
    }),
    media: cloudMediaPolicy({ graph, token: options.token }),
  };
};

export { GRAPH_BASE_URL, GRAPH_VERSION, GraphFailure, createGraphClient, type GraphClient, type GraphClientOptions } from './graph.ts';
export { RATE_LIMIT_CODES, WINDOW_CODE as CLOUD_WINDOW_CODE, refusalKind as cloudRefusalKind } from './codes.ts';
export { cloudMediaPolicy } from './media.ts';
export { addressOf, readPayload, type CloudPayload } from './payload.ts';
export { createCloudSender, recipientOf, type CloudSender, type CloudSenderOptions } from './send.ts';
export { CLOUD_WEBHOOK_PATH, cloudSignature, cloudWebhooks, isValidCloudSignature, type CloudWebhookOptions } from './webhooks.ts';
