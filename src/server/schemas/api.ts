/**
 * The JSON API's schemas, besides the tasks' (tasks.ts): /api/generate-video, sessions, videos, the
 * event stream, the workers and /test-send. Request parts validate (src/server/validation.ts);
 * responses document.
 */
import { GUARDED, WHATSAPP_ADDRESS, errors } from './shared.ts';
import { TASK_STATUSES, fromFilter, limit } from './tasks.ts';


export const generateVideoSchema = {
  tags: ['api'],
  operationId: 'generateVideo',
  summary: 'Make a video',
  description: 'Queues a task for the prompt; the video goes to `from` when it is made.',
  security: GUARDED,
  body: {
    type: 'object',
    required: ['prompt'],
    properties: {
      prompt: { type: 'string', minLength: 1, description: 'What the video shows.', examples: ['a fox running through a neon city at night'] },
      from: {
        type: ['string', 'null'],
        description: 'Who gets the video. Without it the task is filed under the `api` session and nothing is sent.',
        examples: [WHATSAPP_ADDRESS],
      },
    },
  },
  response: {
    202: {
      description: 'Queued.',
      type: 'object',
      required: ['task_id', 'status', 'position'],
      properties: {
        task_id: { type: 'string' },
        status: { type: 'string', enum: TASK_STATUSES },
        position: { type: ['integer', 'null'], description: 'Place in the queue (1 = next), 0 when running, null when finished.' },
      },
    },
    200: { description: 'The task existed already and was found rather than made; same fields as 202.', type: 'object' },
    ...errors(400, 401, 413, 415, 503),
  },
} as const;

export const sessionHistorySchema = {
  tags: ['api'],
  operationId: 'getSessionHistory',
  summary: "A sender's conversation",
  security: GUARDED,
  params: {
    type: 'object',
    required: ['sid'],
    properties: { sid: { type: 'string', description: 'The session id: the sender.', examples: [WHATSAPP_ADDRESS] } },
  },
  response: {
    200: {
      description: 'The messages, oldest first.',
      type: 'object',
      required: ['session_id', 'created_at', 'messages'],
      properties: {
        session_id: { type: 'string' },
        created_at: { type: 'string', format: 'date-time' },
        messages: {
          type: 'array',
          items: {
            type: 'object',
            required: ['role', 'text', 'meta', 'ts'],
            properties: {
              role: { type: 'string', examples: ['user', 'bot'] },
              text: { type: 'string' },
              meta: { type: ['object', 'null'], description: 'What came with it: the fields the service posted, the kind of answer.' },
              ts: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
    },
    ...errors(400, 401, 404),
  },
} as const;

const video = {
  type: 'object',
  required: ['video_id', 'task_id', 'created_at', 'cloud_url'],
  properties: {
    video_id: { type: 'string' },
    task_id: { type: 'string' },
    filename: { type: 'string' },
    prompt: { type: 'string' },
    session_id: { type: 'string' },
    from: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    cloud_url: { type: ['string', 'null'], description: 'Its public URL, when it has one.' },
    size_bytes: { type: 'integer' },
    duration_sec: { type: 'number' },
  },
};

export const listVideosSchema = {
  tags: ['api'],
  operationId: 'listVideos',
  summary: 'List the videos made',
  security: GUARDED,
  querystring: {
    type: 'object',
    properties: {
      limit,
      offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0, description: 'How many to skip (`next_offset` of the page before).' },
      from: fromFilter,
    },
  },
  response: {
    200: {
      description: 'A page of videos, newest first.',
      type: 'object',
      required: ['videos', 'limit', 'offset', 'next_offset'],
      properties: {
        videos: { type: 'array', items: video },
        limit: { type: 'integer' },
        offset: { type: 'integer' },
        next_offset: { type: ['integer', 'null'], description: 'The offset of the next page; null on the last.' },
      },
    },
    ...errors(400, 401),
  },
} as const;

export const eventsSchema = {
  tags: ['api'],
  operationId: 'streamEvents',
  summary: 'The activity feed (Server-Sent Events)',
  description: 'Recent events first, then each as it happens, one JSON object per `data:` line; `vidbot status --watch` reads it.',
  security: GUARDED,
  response: {
    200: { description: 'An event stream that stays open.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
    ...errors(401),
  },
} as const;

export const workersSchema = (action: 'pause' | 'resume') =>
  ({
    tags: ['api'],
    operationId: action === 'pause' ? 'pauseWorkers' : 'resumeWorkers',
    summary: action === 'pause' ? "Pause this server's workers" : "Resume this server's workers",
    description: 'Only the workers of this process: workers started apart from the server are paused or resumed there.',
    security: GUARDED,
    response: {
      200: { description: 'Done.', type: 'object', required: ['ok', 'paused'], properties: { ok: { const: true }, paused: { type: 'boolean' } } },
      ...errors(401, 409),
    },
  }) as const;

/** A form field, or a JSON string; a field sent more than once counts by its first value. */
const text = (description: string, examples: string[]) => ({ type: ['string', 'array'], items: { type: 'string' }, description, examples });

export const testSendSchema = {
  tags: ['api'],
  operationId: 'testSend',
  summary: 'Send a message',
  description: 'Sends a text or a media URL (or both) through the channel, outside the conversation rules: an operator\'s test.',
  security: GUARDED,
  consumes: ['application/json', 'application/x-www-form-urlencoded'],
  body: {
    type: 'object',
    required: ['to'],
    properties: {
      to: text('The recipient.', [WHATSAPP_ADDRESS]),
      message: text('The text; give it, a `media_url`, or both.', ['Hello from vidbot']),
      media_url: text('A public URL of an image or a video to attach.', ['https://example.com/clip.mp4']),
      mediaUrl: text('Same as `media_url`.', ['https://example.com/clip.mp4']),
    },
  },
  response: {
    200: {
      description: 'Sent (or recorded, on the local channel).',
      type: 'object',
      required: ['ok', 'sid', 'status'],
      properties: { ok: { const: true }, sid: { type: 'string', description: "The channel's message id." }, status: { type: 'string' } },
    },
    ...errors(400, 401, 413, 415),
  },
} as const;
