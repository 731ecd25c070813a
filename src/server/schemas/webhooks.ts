/**
 * The webhooks' schemas: what the messaging services and the video providers post. They describe
 * and do not validate (`describeOnly` in src/server/validation.ts): the signature covers the body as
 * received and is checked first, then the channel or provider reads what it needs.
 */
import type { ChannelWebhook, JsonSchema, WebhookDoc } from '../../lib/channel/port.ts';
import { errors } from './shared.ts';

const responseOf = (answer: WebhookDoc['responses'][number]) =>
  answer.contentType === undefined
    ? { description: answer.description, type: 'null' }
    : { description: answer.description, content: { [answer.contentType]: { schema: answer.schema ?? { type: 'string' } } } };

/** `cloud-api` and `receiveMessage` → `cloudApiReceiveMessage`: the same on every server, whatever its paths. */
const webhookOperationId = (channel: string, operation: string): string =>
  [...channel.split(/[^A-Za-z0-9]+/), operation]
    .filter(Boolean)
    .map((word, index) => (index === 0 ? word.charAt(0).toLowerCase() : word.charAt(0).toUpperCase()) + word.slice(1))
    .join('');

/** A channel's webhook, tagged with the channel it belongs to, from the channel's own description of it. */
export const channelWebhookSchema = (channel: string, hook: ChannelWebhook) => {
  const doc: WebhookDoc = hook.doc ?? {
    operation: `receive${hook.method === 'GET' ? 'Get' : ''}Webhook`,
    summary: `A ${channel} webhook`,
    description: `What the ${channel} channel's service posts.`,
    responses: { 200: { description: 'Taken.', contentType: 'text/plain' } },
  };
  return {
    tags: [channel],
    operationId: webhookOperationId(channel, doc.operation),
    summary: doc.summary,
    description: doc.description,
    ...(doc.headers ? { headers: doc.headers } : {}),
    ...(doc.query ? { querystring: doc.query } : {}),
    ...(doc.body ? { body: { content: { [doc.body.contentType]: { schema: doc.body.schema } } } } : {}),
    response: {
      ...Object.fromEntries(Object.entries(doc.responses).map(([status, answer]) => [status, responseOf(answer)])),
      ...(hook.method === 'GET' ? errors(403) : errors(400, 403, 413, 415, 503)),
    },
  };
};

const json = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', additionalProperties: true, properties });
const text = (description: string): JsonSchema => ({ type: 'string', description });

const PREDICTION = json({
  id: text('The prediction id.'),
  status: { type: 'string', enum: ['starting', 'processing', 'succeeded', 'failed', 'canceled'] },
  output: { description: 'The result: a URL, or a list of them (a data URL from a Cog server).' },
  error: { type: ['string', 'null'] },
  logs: { type: ['string', 'null'] },
});

interface ProviderDoc {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly headers?: JsonSchema;
  readonly query: JsonSchema;
  readonly body: JsonSchema;
}

const PROVIDERS: Readonly<Record<'replicate' | 'fal' | 'cog', ProviderDoc>> = {
  replicate: {
    operationId: 'replicateReceiveUpdate',
    summary: 'A Replicate prediction moves on',
    description: 'Sent on start, logs and completion. Signed the Standard Webhooks way with the account\'s signing secret; deliveries older than five minutes are refused as replays.',
    headers: {
      type: 'object',
      properties: {
        'webhook-id': text('The delivery id.'),
        'webhook-timestamp': text('Epoch seconds.'),
        'webhook-signature': text('`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`; several during a secret rotation.'),
      },
    },
    query: { type: 'object', properties: { vidbot_task: text('The task the prediction was made for, as vidbot put it in the URL.') } },
    body: PREDICTION,
  },
  fal: {
    operationId: 'falReceiveResult',
    summary: 'A fal request finishes',
    description: "Signed with fal's ED25519 key (its published key set) over the request id, user id, timestamp and the body's hash.",
    headers: {
      type: 'object',
      properties: {
        'x-fal-webhook-request-id': text('The request id.'),
        'x-fal-webhook-user-id': text('The fal user.'),
        'x-fal-webhook-timestamp': text('Epoch seconds.'),
        'x-fal-webhook-signature': text('The hex ED25519 signature.'),
      },
    },
    query: { type: 'object', properties: {} },
    body: json({
      request_id: text('The request id; it must match the header.'),
      gateway_request_id: text('The id of the request that ran.'),
      status: { type: 'string', enum: ['OK', 'ERROR'] },
      payload: { description: "The model's output, e.g. `{ video: { url } }`." },
      error: text('What failed, when it did.'),
    }),
  },
  cog: {
    operationId: 'cogReceiveUpdate',
    summary: 'A Cog prediction moves on',
    description: "A self-hosted Cog server's updates. Cog signs nothing, so vidbot signs the URL it hands out: the token is an HMAC of the prediction id.",
    query: {
      type: 'object',
      required: ['prediction', 'token'],
      properties: { prediction: text('The prediction id.'), token: text("vidbot's HMAC of the prediction id.") },
    },
    body: PREDICTION,
  },
};

export const providerWebhookSchema = (name: keyof typeof PROVIDERS) => {
  const doc = PROVIDERS[name];
  return {
    tags: ['providers'],
    operationId: doc.operationId,
    summary: doc.summary,
    description: doc.description,
    ...(doc.headers ? { headers: doc.headers } : {}),
    querystring: doc.query,
    body: { content: { 'application/json': { schema: doc.body } } },
    response: {
      200: { description: 'Taken.', type: 'object', required: ['ok'], properties: { ok: { const: true } } },
      202: {
        description: 'This server does not use that provider: ignored, so the sender stops retrying.',
        type: 'object',
        properties: { ok: { const: true }, ignored: { const: true } },
      },
      ...errors(400, 403, 413),
    },
  };
};
