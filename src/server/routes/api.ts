/**
 * The seed bot's JSON API (snake_case fields, as its MongoDB documents had them) plus vidbot's
 * task endpoints, which return the library's Task objects as they are.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import { normalizeRecipient } from '../../lib/channel/recipient.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { Video } from '../../lib/store/port.ts';

/** A whole number from the query string within bounds, or a 400 naming the parameter. */
export const queryInt = (value: unknown, name: string, fallback: number, min: number, max: number): number => {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `${name} must be a whole number from ${min} to ${max}, got "${String(value).slice(0, 40)}".`);
  }
  return n;
};

const videoJson = (video: Video) => ({
  video_id: video.videoId,
  task_id: video.taskId,
  filename: video.filename,
  prompt: video.prompt,
  session_id: video.sessionId,
  from: video.from,
  created_at: new Date(video.createdAt).toISOString(),
  cloud_url: video.videoUrl ?? null,
  size_bytes: video.sizeBytes,
  duration_sec: video.durationSec,
});

export interface ApiRouteDeps {
  readonly vidbot: Pick<Vidbot, 'store' | 'queue' | 'submitTask' | 'cancelTask' | 'retryTask'>;
  readonly guard: preHandlerAsyncHookHandler;
}

export const apiRoutes = (app: FastifyInstance, deps: ApiRouteDeps): void => {
  const { vidbot, guard } = deps;
  const json = (value: unknown): Record<string, unknown> => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw vidbotError('VIDBOT_INPUT_INVALID', 'Send a JSON object, e.g. {"prompt": "a fox in the snow", "from": "whatsapp:+15551234567"}.');
    }
    return value as Record<string, unknown>;
  };

  app.post('/api/generate-video', { preHandler: guard }, async (request, reply) => {
    const body = json(request.body);
    const given = body.from === undefined || body.from === null ? '' : body.from;
    if (typeof given !== 'string') throw vidbotError('VIDBOT_INPUT_INVALID', '"from" must be a string such as whatsapp:+15551234567.');
    // Who gets the video: the same rule as `vidbot send` and /test-send.
    const from = given.trim() === '' ? '' : normalizeRecipient(given, { label: '"from"' });
    const { task, created } = await vidbot.submitTask({ prompt: body.prompt as string, from, sessionId: from || 'api' });
    const position = await vidbot.queue.position(task.taskId);
    return reply.status(created ? 202 : 200).send({ task_id: task.taskId, status: task.status, position });
  });

  app.get<{ Params: { sid: string } }>('/api/session-history/:sid', { preHandler: guard }, async (request) => {
    const session = await vidbot.store.getSession(request.params.sid);
    if (!session) throw vidbotError('VIDBOT_NOT_FOUND', `No session ${request.params.sid.slice(0, 80)}.`, { hint: 'Session ids are the sender, e.g. whatsapp:+15551234567.' });
    return {
      session_id: session.sessionId,
      created_at: new Date(session.createdAt).toISOString(),
      messages: session.messages.map((m) => ({ role: m.role, text: m.text, meta: m.meta ?? null, ts: new Date(m.ts).toISOString() })),
    };
  });

  app.get<{ Querystring: Record<string, unknown> }>('/api/list-videos', { preHandler: guard }, async (request) => {
    const limit = queryInt(request.query.limit, 'limit', 20, 1, 100);
    const offset = queryInt(request.query.offset, 'offset', 0, 0, 1_000_000);
    const from = typeof request.query.from === 'string' ? request.query.from : undefined;
    // One extra row tells whether there is a next page without counting the table.
    const rows = await vidbot.store.listVideos({ limit: limit + 1, offset, ...(from ? { from } : {}) });
    return {
      videos: rows.slice(0, limit).map(videoJson),
      limit,
      offset,
      next_offset: rows.length > limit ? offset + limit : null,
    };
  });

  app.get<{ Querystring: Record<string, unknown> }>('/api/tasks', { preHandler: guard }, async (request) => {
    const limit = queryInt(request.query.limit, 'limit', 20, 1, 100);
    const from = typeof request.query.from === 'string' ? request.query.from : undefined;
    return { tasks: await vidbot.store.listTasks({ limit, ...(from ? { from } : {}) }) };
  });

  app.get<{ Params: { id: string } }>('/api/tasks/:id', { preHandler: guard }, async (request) => {
    const task = await vidbot.store.getTask(request.params.id);
    if (!task) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${request.params.id.slice(0, 80)}.`);
    return { task, job: await vidbot.queue.get(task.taskId) };
  });

  app.post<{ Params: { id: string } }>('/api/tasks/:id/cancel', { preHandler: guard }, async (request) => {
    const { outcome, task } = await vidbot.cancelTask(request.params.id);
    return { outcome, task };
  });

  app.post<{ Params: { id: string } }>('/api/tasks/:id/retry', { preHandler: guard }, async (request, reply) => {
    const task = await vidbot.retryTask(request.params.id);
    return reply.code(202).send({ outcome: 'retried', task });
  });
};
