/**
 * The seed bot's JSON API (snake_case fields, as its MongoDB documents had them) plus vidbot's
 * task endpoints, which return the library's Task objects as they are.
 */
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Vidbot } from '../../lib/create-vidbot.ts';
import { normalizeRecipient } from '../../lib/channel/recipient.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { Video } from '../../lib/store/port.ts';
import { generateVideoSchema, listVideosSchema, sessionHistorySchema } from '../schemas/api.ts';
import { cancelTaskSchema, getTaskSchema, listTasksSchema, retryTaskSchema } from '../schemas/tasks.ts';
import { schemaErrorFormatter } from '../validation.ts';

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
  readonly guard: onRequestAsyncHookHandler;
}

export const apiRoutes = (app: FastifyInstance, deps: ApiRouteDeps): void => {
  const { vidbot, guard } = deps;

  app.post<{ Body: { prompt: string; from?: string | null } }>(
    '/api/generate-video',
    // A prompt that is missing or not text is the library's VIDBOT_PROMPT_EMPTY, as an empty one is.
    { onRequest: guard, schema: generateVideoSchema, schemaErrorFormatter: schemaErrorFormatter({ '/prompt': 'VIDBOT_PROMPT_EMPTY' }) },
    async (request, reply) => {
      const given = request.body.from ?? '';
      // Who gets the video: the same rule as `vidbot send` and /test-send.
      const from = given.trim() === '' ? '' : normalizeRecipient(given, { label: '"from"' });
      const { task, created } = await vidbot.submitTask({ prompt: request.body.prompt, from, sessionId: from || 'api' });
      const position = await vidbot.queue.position(task.taskId);
      return reply.status(created ? 202 : 200).send({ task_id: task.taskId, status: task.status, position });
    },
  );

  app.get<{ Params: { sid: string } }>('/api/session-history/:sid', { onRequest: guard, schema: sessionHistorySchema }, async (request) => {
    const session = await vidbot.store.getSession(request.params.sid);
    if (!session) throw vidbotError('VIDBOT_NOT_FOUND', `No session ${request.params.sid.slice(0, 80)}.`, { hint: 'Session ids are the sender, e.g. whatsapp:+15551234567.' });
    return {
      session_id: session.sessionId,
      created_at: new Date(session.createdAt).toISOString(),
      messages: session.messages.map((m) => ({ role: m.role, text: m.text, meta: m.meta ?? null, ts: new Date(m.ts).toISOString() })),
    };
  });

  app.get<{ Querystring: { limit: number; offset: number; from?: string } }>('/api/list-videos', { onRequest: guard, schema: listVideosSchema }, async (request) => {
    const { limit, offset, from } = request.query;
    // One extra row tells whether there is a next page without counting the table.
    const rows = await vidbot.store.listVideos({ limit: limit + 1, offset, ...(from ? { from } : {}) });
    return {
      videos: rows.slice(0, limit).map(videoJson),
      limit,
      offset,
      next_offset: rows.length > limit ? offset + limit : null,
    };
  });

  app.get<{ Querystring: { limit: number; from?: string } }>('/api/tasks', { onRequest: guard, schema: listTasksSchema }, async (request) => {
    const { limit, from } = request.query;
    return { tasks: await vidbot.store.listTasks({ limit, ...(from ? { from } : {}) }) };
  });

  app.get<{ Params: { id: string } }>('/api/tasks/:id', { onRequest: guard, schema: getTaskSchema }, async (request) => {
    const task = await vidbot.store.getTask(request.params.id);
    if (!task) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${request.params.id.slice(0, 80)}.`);
    // The task's job now: a retry gives it a new one (<taskId>#2...).
    return { task, job: task.jobId === undefined ? null : await vidbot.queue.get(task.jobId) };
  });

  app.post<{ Params: { id: string } }>('/api/tasks/:id/cancel', { onRequest: guard, schema: cancelTaskSchema }, async (request) => {
    const { outcome, task } = await vidbot.cancelTask(request.params.id);
    return { outcome, task };
  });

  app.post<{ Params: { id: string } }>('/api/tasks/:id/retry', { onRequest: guard, schema: retryTaskSchema }, async (request, reply) => {
    const task = await vidbot.retryTask(request.params.id);
    return reply.code(202).send({ outcome: 'retried', task });
  });
};
