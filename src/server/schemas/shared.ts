/**
 * Pieces every route schema shares: the error shape (the `Error` component), the error answers by
 * status, the API key's security requirement and the tags the description groups routes by.
 */

/** Every error answer: `{ error: { code, message, hint } }` (src/server/errors.ts). */
export const ERROR_SCHEMA = {
  $id: 'Error',
  type: 'object',
  description: 'An error: a stable code from the catalogue, what went wrong, and what to do about it.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'hint'],
      properties: {
        code: { type: 'string', pattern: '^VIDBOT_[A-Z_]+$', examples: ['VIDBOT_INPUT_INVALID'] },
        message: { type: 'string', examples: ['limit must be a whole number from 1 to 100, got "abc".'] },
        hint: { type: 'string', examples: ['GET /openapi.json describes every endpoint and the fields it takes.'] },
      },
    },
  },
} as const;

const ERRORS = {
  400: 'The request is not valid: it breaks the schema (the message names the field) or the rules (VIDBOT_INPUT_INVALID and others).',
  401: 'No API key, a wrong one, or (without a key set on the server) a caller that is not on its machine (VIDBOT_UNAUTHORIZED).',
  403: 'The signature is missing or does not match (VIDBOT_SIGNATURE_INVALID); nothing was read or stored.',
  404: 'Nothing by that id or name (VIDBOT_NOT_FOUND, VIDBOT_TASK_NOT_FOUND).',
  409: 'The current state does not allow it, e.g. retrying a task that has not failed (VIDBOT_CONFLICT).',
  413: "The body is over the server's limit (VIDBOT_BODY_TOO_LARGE).",
  415: 'The body is of a content type this endpoint does not read (VIDBOT_UNSUPPORTED_MEDIA_TYPE).',
  503: 'A part the server needs is down, e.g. the store cannot write; try again later.',
} as const;

export type ErrorStatus = keyof typeof ERRORS;

/** The error answers of a route, each the `Error` component with what that status means here. */
export const errors = (...statuses: ErrorStatus[]): Record<string, unknown> =>
  Object.fromEntries(statuses.map((status) => [status, { description: ERRORS[status], $ref: 'Error#' }]));

/** The API guard's scheme name in `components.securitySchemes`. */
export const API_KEY = 'apiKey';

/** The same key as a browser sends it: the scheme's name in `components.securitySchemes`. */
export const API_KEY_BASIC = 'apiKeyBasic';

/** Routes behind the API guard (src/server/auth.ts): either scheme will do. */
export const GUARDED: ReadonlyArray<Readonly<Record<string, readonly string[]>>> = [{ [API_KEY]: [] }, { [API_KEY_BASIC]: [] }];

export const API_KEY_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  description:
    'The server\'s VIDBOT_API_KEY, as `Authorization: Bearer <key>`. When the server has no key set, it ignores this header and ' +
    'answers these routes only to callers on its own machine whose request did not come through a proxy; anyone else gets 401.',
} as const;

export const API_KEY_BASIC_SCHEME = {
  type: 'http',
  scheme: 'basic',
  description:
    'The same key as the password of HTTP Basic auth, with any user name: how a browser sends it, after /docs asks for it ' +
    '(`WWW-Authenticate: Basic`). Only when the server has a key set.',
} as const;

export const TAGS = [
  { name: 'api', description: 'Tasks, videos and conversations; sending a message. Behind the API key.' },
  { name: 'twilio', description: 'What Twilio posts: inbound WhatsApp messages and delivery receipts, as signed forms.' },
  { name: 'local', description: "Twilio's webhooks without a Twilio account: the same forms, signed with the server's local token (`vidbot sign`)." },
  { name: 'cloud-api', description: "What Meta's WhatsApp Cloud API sends: its verification request, and signed JSON with messages and statuses." },
  { name: 'simulator', description: "The browser simulator's channel: Twilio's forms or Meta's JSON, signed with the local token." },
  { name: 'providers', description: 'What the video providers post as a job moves on: Replicate, fal and a Cog server.' },
  { name: 'media', description: 'The published videos, for the messaging services to fetch.' },
  { name: 'health', description: 'Health, readiness and Prometheus metrics for orchestrators and monitoring.' },
  { name: 'docs', description: 'This description.' },
] as const;

export const WHATSAPP_ADDRESS = 'whatsapp:+15551234567';
