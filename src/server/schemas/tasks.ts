/**
 * The task endpoints' schemas. They return the library's Task objects as they are, so the `Task`
 * component names the main fields and allows the rest (a task grows fields as it moves on).
 */
import { GUARDED, WHATSAPP_ADDRESS, errors } from './shared.ts';

export const TASK_STATUSES = ['queued', 'processing', 'delivering', 'done', 'failed', 'canceled'];
const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'canceled'];

export const TASK_SCHEMA = {
  $id: 'Task',
  type: 'object',
  description: 'A task as the library keeps it; fields appear as the task gets them (epoch milliseconds for times).',
  required: ['taskId', 'prompt', 'sessionId', 'from', 'status', 'attempts', 'createdAt', 'updatedAt'],
  properties: {
    taskId: { type: 'string' },
    prompt: { type: 'string' },
    sessionId: { type: 'string', description: 'The conversation: the sender, or `api` for tasks made here without one.' },
    from: { type: 'string', description: 'Where the video goes; empty when nowhere.' },
    status: { type: 'string', enum: TASK_STATUSES },
    stage: { type: 'string', enum: ['polish', 'cache', 'generate', 'compress', 'publish', 'deliver'] },
    progress: { type: 'integer', minimum: 0, maximum: 100 },
    attempts: { type: 'integer' },
    channel: { type: 'string' },
    messageId: { type: 'string', description: "The channel's id of the message that asked for it." },
    jobId: { type: 'string' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
    finishedAt: { type: 'integer' },
    videoUrl: { type: 'string' },
    error: { type: 'string' },
    errorCode: { type: 'string' },
  },
} as const;

export const JOB_SCHEMA = {
  $id: 'Job',
  type: 'object',
  description: "The task's job in the queue.",
  required: ['id', 'state', 'attempts', 'maxAttempts', 'createdAt'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: JOB_STATES },
    attempts: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    createdAt: { type: 'integer' },
    error: { type: 'string' },
    errorCode: { type: 'string' },
  },
} as const;

const taskRef = { $ref: 'Task#' };
export const limit = { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'How many, newest first.' };
export const fromFilter = { type: 'string', description: 'Only those of this sender.', examples: [WHATSAPP_ADDRESS] };
const taskId = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'The task id (`task_id` when it was made).' } },
};

export const listTasksSchema = {
  tags: ['api'],
  operationId: 'listTasks',
  summary: 'List tasks',
  security: GUARDED,
  querystring: { type: 'object', properties: { limit, from: fromFilter } },
  response: {
    200: { description: 'Tasks, newest first.', type: 'object', required: ['tasks'], properties: { tasks: { type: 'array', items: taskRef } } },
    ...errors(400, 401),
  },
} as const;

export const getTaskSchema = {
  tags: ['api'],
  operationId: 'getTask',
  summary: 'A task and its job',
  security: GUARDED,
  params: taskId,
  response: {
    200: {
      description: 'The task, and its job while the queue keeps it.',
      type: 'object',
      required: ['task', 'job'],
      properties: { task: taskRef, job: { anyOf: [{ $ref: 'Job#' }, { type: 'null' }] } },
    },
    ...errors(401, 404),
  },
} as const;

export const cancelTaskSchema = {
  tags: ['api'],
  operationId: 'cancelTask',
  summary: 'Cancel a task',
  security: GUARDED,
  params: taskId,
  response: {
    200: {
      description: 'Canceled at once (waiting), asked to stop (running), or it had already finished. Its WhatsApp user is told it was canceled (a running one once it stops).',
      type: 'object',
      required: ['outcome', 'task'],
      properties: { outcome: { type: 'string', enum: ['canceled', 'cancel-requested', 'already-finished'] }, task: taskRef },
    },
    ...errors(401, 404),
  },
} as const;

export const retryTaskSchema = {
  tags: ['api'],
  operationId: 'retryTask',
  summary: 'Retry a failed or canceled task',
  description: 'A task whose video was made sends it again; one without is made again.',
  security: GUARDED,
  params: taskId,
  response: {
    202: { description: 'Queued again under a new job.', type: 'object', required: ['outcome', 'task'], properties: { outcome: { const: 'retried' }, task: taskRef } },
    ...errors(401, 404, 409),
  },
} as const;
