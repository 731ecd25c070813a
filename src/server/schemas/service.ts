/**
 * Schemas of the routes that are not the API: the summary, health, metrics, the media files and this
 * description itself. None of them is behind the API key except the description.
 */
import { GUARDED, errors } from './shared.ts';

const component = (ok: boolean) =>
  ok
    ? { type: 'object', properties: { ok: { const: true }, name: { type: 'string' } } }
    : { type: 'object', properties: { ok: { const: false }, error: { type: 'string' } } };

const part = { anyOf: [component(true), component(false)] };

export const rootSchema = {
  tags: ['health'],
  operationId: 'getServiceIndex',
  summary: 'What this server is, and its endpoints',
  response: {
    200: {
      description: 'The name, version and endpoint list (the channels\' webhooks first).',
      type: 'object',
      required: ['name', 'status', 'version', 'endpoints'],
      properties: {
        name: { const: 'vidbot' },
        status: { const: 'ok' },
        version: { type: 'string' },
        endpoints: { type: 'array', items: { type: 'string', examples: ['POST /whatsapp/webhook'] } },
      },
    },
  },
} as const;

export const liveSchema = {
  tags: ['health'],
  operationId: 'getLiveness',
  summary: 'Liveness: the process answers',
  response: {
    200: {
      description: 'Alive.',
      type: 'object',
      required: ['status', 'uptime_sec'],
      properties: { status: { const: 'live' }, uptime_sec: { type: 'integer' } },
    },
  },
} as const;

export const readySchema = {
  tags: ['health'],
  operationId: 'getReadiness',
  summary: 'Readiness: the store writes, the queue answers, ffmpeg is there',
  response: {
    200: { description: 'Ready for traffic.', type: 'object', required: ['status'], properties: { status: { const: 'ready' } } },
    503: {
      description: 'Not ready: what fails, by part.',
      type: 'object',
      required: ['status', 'failing'],
      properties: { status: { const: 'unready' }, failing: { type: 'object', additionalProperties: { type: 'string' } } },
    },
  },
} as const;

const health = {
  type: 'object',
  required: ['status', 'version', 'uptime_sec', 'store', 'queue', 'workers', 'ffmpeg', 'adapters', 'security', 'public_base_url'],
  properties: {
    status: { type: 'string', enum: ['healthy', 'unhealthy'] },
    version: { type: 'string' },
    uptime_sec: { type: 'integer' },
    store: { ...part, description: 'A real write, then the task count.' },
    queue: { ...part, description: 'The job counts by state.' },
    workers: {
      type: 'object',
      description: "This process's workers; with Redis, every worker process's, summed (processes and machines counted).",
      properties: {
        running: { type: 'integer' },
        concurrency: { type: 'integer' },
        paused: { type: 'boolean' },
        processes: { type: 'integer' },
        machines: { type: 'integer' },
      },
    },
    ffmpeg: { type: 'object', properties: { ok: { type: 'boolean' }, path: { type: 'string' }, error: { type: 'string' } } },
    adapters: { type: 'object', description: 'The adapter in use for each part.', additionalProperties: true },
    security: {
      type: 'object',
      properties: { api: { type: 'string' }, twilio_signature: { type: 'string' } },
    },
    public_base_url: { type: ['string', 'null'] },
    providers: { type: 'array', description: "With a failover chain: each provider's circuit.", items: { type: 'object' } },
    budget: { type: 'object', description: 'With a daily budget: spent today, and whether it is reached.' },
  },
} as const;

export const healthSchema = {
  tags: ['health'],
  operationId: 'getHealth',
  summary: 'Health in detail',
  response: {
    200: { description: 'Healthy.', ...health },
    503: { description: 'Unhealthy: the store, the queue or ffmpeg fails (each part says why).', ...health },
  },
} as const;

export const metricsSchema = {
  tags: ['health'],
  operationId: 'getMetrics',
  summary: 'Prometheus metrics',
  response: {
    200: {
      description: 'The text exposition format: requests, queue depth, stage and job durations, failures, costs.',
      content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } },
    },
  },
} as const;

const video = { 'video/mp4': { schema: { type: 'string', contentMediaType: 'video/mp4' } } };

// No operationId: GET and HEAD share this schema, and an id must name one operation (the description makes one for each).
export const mediaSchema = {
  tags: ['media'],
  summary: 'A published video',
  description: 'For the messaging services to fetch. Ranges (206) and ETags (304) as browsers and WhatsApp\'s fetcher use them.',
  params: {
    type: 'object',
    required: ['file'],
    properties: { file: { type: 'string', description: 'The id the media host gave it, with its extension.', examples: ['8kq3v0Zr5bT2m7Jx1cYw4A.mp4'] } },
  },
  headers: {
    type: 'object',
    properties: {
      range: { type: 'string', description: 'One `bytes=` range; others are ignored.', examples: ['bytes=0-1023'] },
      'if-none-match': { type: 'string' },
      'if-range': { type: 'string' },
    },
  },
  response: {
    200: { description: 'The whole file (no body for HEAD).', content: video },
    206: { description: 'The range asked for.', content: video },
    304: { description: 'Not modified (If-None-Match).', type: 'null' },
    416: { description: 'The range is outside the file.', type: 'null' },
    ...errors(404),
  },
} as const;

export const openapiSchema = {
  tags: ['docs'],
  operationId: 'getOpenApi',
  summary: 'This OpenAPI description',
  security: GUARDED,
  response: {
    200: { description: 'OpenAPI 3.1, generated from the routes the server has (its channels\' webhooks included).', type: 'object' },
    ...errors(401),
  },
} as const;
