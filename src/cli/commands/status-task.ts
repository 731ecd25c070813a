/**
 * `vidbot status <task-id>`: one task in full (its state, prompt, who made the video, where it went,
 * its job), from the local store or a running server. The 8-character id `vidbot status` lists (an
 * id's end), or an id's start that only one task has, finds its task among the latest ones.
 */
import { terminalSafe } from '../../lib/text.ts';
import { createVidbot } from '../../lib/create-vidbot.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { JobInfo } from '../../lib/queue/port.ts';
import type { Store, Task } from '../../lib/store/port.ts';
import { type CliContext, warnOn } from '../context.ts';
import { deliveryText, formatDuration, madeByText, notRunText } from '../format.ts';
import type { ServerGet } from '../server-client.ts';

export interface TaskView {
  readonly task: Task;
  readonly job: JobInfo<unknown> | null;
}

/** The tasks a short id is looked for among: the latest, as `vidbot status` lists them (a server lists 100 at most). */
const SHORT_ID_REACH = { store: 1000, server: 100 } as const;
/** Fewer characters than this name too many tasks to be an id. */
const SHORTEST_ID = 4;

const notFound = (id: string) => vidbotError('VIDBOT_TASK_NOT_FOUND', `No task ${id.slice(0, 80)}.`);

/** The task an id names: a job's id is its task's, with `#2`, `#3` for the task's later runs. */
export const taskIdOf = (id: string): string => id.trim().replace(/#\d+$/, '');

/** The task a full id names, or the one latest task whose id ends with a short one. */
export const pickTask = (id: string, full: Task | null, recent: readonly Task[]): Task => {
  if (full !== null) return full;
  const end = taskIdOf(id).toLowerCase();
  if (end.length < SHORTEST_ID) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `"${id.slice(0, 80)}" is too short to be a task id.`, { hint: 'Give the 8 characters `vidbot status` lists, or the whole id.' });
  }
  const ending = recent.filter((task) => task.taskId.toLowerCase().endsWith(end));
  // Or the start of an id, as logs and the API show ids whole: ids made close together share it.
  const starting = recent.filter((task) => task.taskId.toLowerCase().startsWith(end) && !ending.includes(task));
  const [match, ...others] = [...ending, ...starting];
  if (match === undefined) throw notFound(id);
  if (others.length === 0) return match;
  if (starting.length > 0) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `${others.length + 1} recent tasks start or end with ${end}: ids made close together share their start.`, {
      hint: 'Give the last 8 characters, as `vidbot status` lists them, or the whole id.',
    });
  }
  throw vidbotError('VIDBOT_INPUT_INVALID', `${ending.length} recent tasks end with ${end}.`, { hint: 'Give more of the id, or the whole of it.' });
};

/** The task an id names in a store: the whole id, or the short one `vidbot status` lists. */
export const findTask = async (store: Pick<Store, 'getTask' | 'listTasks'>, id: string): Promise<Task> => {
  const full = await store.getTask(taskIdOf(id));
  return pickTask(id, full, full === null ? await store.listTasks({ limit: SHORT_ID_REACH.store }) : []);
};

export const taskFromStore = async (context: CliContext, config: Parameters<typeof createVidbot>[0], id: string): Promise<TaskView> => {
  const vidbot = await createVidbot(config, { env: { ...context.env }, onWarning: warnOn(context) });
  try {
    const task = await findTask(vidbot.store, id);
    return { task, job: task.jobId === undefined ? null : await vidbot.queue.get(task.jobId) };
  } finally {
    await vidbot.close();
  }
};

/** The server's own error for an answer that is not a task (its store failed: 503). */
const answerOf = (answer: { status: number; body: unknown }): TaskView => {
  if (answer.status === 200) return answer.body as TaskView;
  const error = (answer.body as { error?: { code?: string; message?: string } }).error;
  if (error?.code === 'VIDBOT_TASK_NOT_FOUND') throw vidbotError('VIDBOT_TASK_NOT_FOUND', error.message ?? 'No such task.');
  throw vidbotError('VIDBOT_SERVER_UNREACHABLE', `The server could not read the task (${answer.status}): ${error?.message ?? 'no reason given'}`);
};

export const taskFromServer = async (get: ServerGet, id: string): Promise<TaskView> => {
  const one = await get(`/api/tasks/${encodeURIComponent(taskIdOf(id))}`, { notFound: true });
  const notFound = one.status === 404 && (one.body as { error?: { code?: string } }).error?.code === 'VIDBOT_TASK_NOT_FOUND';
  if (!notFound) return answerOf(one);
  const { body } = await get(`/api/tasks?limit=${SHORT_ID_REACH.server}`);
  const task = pickTask(id, null, (body as { tasks?: Task[] }).tasks ?? []);
  return answerOf(await get(`/api/tasks/${encodeURIComponent(task.taskId)}`, { notFound: true }));
};

const when = (at: number): string => new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

const stateOf = (task: Task): string => {
  const took = task.finishedAt && task.startedAt ? ` in ${formatDuration(task.finishedAt - task.startedAt)}` : '';
  const notRun = notRunText(task);
  if (notRun !== undefined) return notRun;
  if (task.status === 'processing') return `processing (${task.stage ?? 'starting'}${task.progress === undefined ? '' : `, ${task.progress}%`})`;
  if (task.status === 'failed') return `failed${took}: ${task.error ?? 'unknown error'}${task.errorCode ? ` [${task.errorCode}]` : ''}`;
  return `${task.status}${took}`;
};

/** A video between delivery rounds (tasks/delivery-retry.ts): why it waits, and since when. */
const roundsText = (task: Task): string => {
  const rounds = task.delivery?.rounds ?? 0;
  if (rounds === 0 || task.delivery === undefined) return '';
  const state = task.status === 'delivering' ? 'trying again in rounds' : 'tried again in rounds';
  return `; the messenger could not be reached: ${state} (round ${rounds}, set at ${when(task.delivery.updatedAt)}; VIDBOT_DELIVERY_RETRY_SEC)`;
};

export const describeTaskInFull = ({ task, job }: TaskView): string[] => {
  const { options } = task;
  const rows: Array<[string, string | undefined]> = [
    ['status', stateOf(task)],
    ['prompt', `"${task.prompt}"`],
    ['polished', task.polishedPrompt && task.polishedPrompt !== task.prompt ? `"${task.polishedPrompt}"` : undefined],
    ['from', `${task.from || 'cli'}${task.channel ? ` via ${task.channel}` : ''}`],
    ['created', when(task.createdAt)],
    [
      'asked for',
      [options.provider, options.model, options.orientation, `${options.durationSec} s`, options.polish ? 'polish' : undefined, options.take ? `take ${options.take}` : undefined]
        .filter(Boolean)
        .join(', '),
    ],
    [
      'made by',
      task.generation ? `${madeByText(task.generation)}${task.cacheHit ? ' (from cache)' : ''}` : undefined,
    ],
    ['video', task.videoUrl],
    ['file', task.filePath],
    [
      'delivery',
      task.delivery
        ? `${deliveryText(task.delivery)}${task.delivery.channel === 'local' ? '' : ` via ${task.delivery.channel}`}${task.delivery.messageId ? `, message ${task.delivery.messageId}` : ''}${roundsText(task)}`
        : undefined,
    ],
    ['job', job ? `${job.state}, attempt ${job.attempts} of ${job.maxAttempts}${job.workerId ? `, on ${job.workerId}` : ''}` : task.jobId ? 'gone from the queue' : 'none (run by its creator)'],
  ];
  return [`task ${task.taskId}`, ...rows.filter((row): row is [string, string] => row[1] !== undefined).map(([label, value]) => `  ${label.padEnd(10)} ${terminalSafe(value)}`)];
};
