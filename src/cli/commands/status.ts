import { formatCost } from '../../lib/cost/prices.ts';
import { createVidbot } from '../../lib/create-vidbot.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { QueueCounts } from '../../lib/queue/port.ts';
import type { Task } from '../../lib/store/port.ts';
import { parseConnectionString } from '../../lib/store/connection-string.ts';
import { cutText, displayWidth, terminalSafe } from '../../lib/text.ts';
import { type CliContext, loadCliConfig, warnOn } from '../context.ts';
import { serverClient } from '../server-client.ts';
import { maskSender, shortId } from '../dashboard/format.ts';
import { deliveryText, formatDuration, madeByText, notRunText, terminalColumns } from '../format.ts';

export interface StatusFlags {
  server?: string;
  watch?: boolean;
  json?: boolean;
  limit?: string;
}

interface StatusView {
  readonly source: string;
  readonly counts: QueueCounts;
  readonly workers?: { running: number; concurrency: number; paused: boolean; processes?: number; machines?: number };
  /** The daily budget, when one is set: today's estimated spend against it. */
  readonly budget?: { limit: number; spent_today: number; reached: boolean; resets_at: string };
  readonly tasks: readonly Task[];
}

export const statusCommand = async (context: CliContext, flags: StatusFlags, taskId?: string): Promise<void> => {
  const { config } = await loadCliConfig(context);
  if (taskId !== undefined) {
    if (flags.watch) throw vidbotError('VIDBOT_INPUT_INVALID', '--watch follows every task; give it no task id.');
    const { describeTaskInFull, taskFromServer, taskFromStore } = await import('./status-task.ts');
    const view = flags.server ? await taskFromServer(serverClient(flags.server, config.apiKey).get, taskId) : await taskFromStore(context, config, taskId);
    context.stdout.write(flags.json ? `${JSON.stringify(view)}\n` : `${describeTaskInFull(view).join('\n')}\n`);
    return;
  }
  if (flags.watch) {
    const { watchCommand } = await import('./status-watch.ts');
    const server = flags.server ?? `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${config.port}`;
    await watchCommand(context, { server, ...(config.apiKey ? { apiKey: config.apiKey } : {}), ...(flags.json ? { json: true } : {}) });
    return;
  }
  const limit = Number(flags.limit ?? 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `--limit must be a whole number from 1 to 100, got "${flags.limit}".`);
  }
  const view = flags.server
    ? await fromServer(flags.server, config.apiKey, limit)
    : await fromStore(context, config, limit);
  if (flags.json) {
    context.stdout.write(`${JSON.stringify(view)}\n`);
    return;
  }
  const out = (line: string) => context.stdout.write(`${line}\n`);
  const c = view.counts;
  // The queue's jobs: tasks that `vidbot generate` runs itself never join it.
  const columns = terminalColumns(context.stdout);
  const queue = `queue (${view.source}):`;
  const counts = `${c.waiting} waiting, ${c.active} active, ${c.delayed} retrying, ${c.completed} done, ${c.failed} failed, ${c.canceled} canceled jobs`;
  // Too wide for the terminal: the counts on a line of their own, not broken between two.
  if (columns !== undefined && displayWidth(`${queue} ${counts}`) > columns) out(`${queue}\n  ${counts}`);
  else out(`${queue} ${counts}`);
  if (view.workers) {
    const { running, concurrency, paused, processes, machines } = view.workers;
    // With Redis, a web process counts every worker process it hears from.
    const where = processes === undefined ? '' : ` in ${processes} ${processes === 1 ? 'process' : 'processes'}${machines && machines > 1 ? ` on ${machines} machines` : ''}`;
    out(`workers: ${running}/${concurrency} busy${where}${paused ? ' (paused)' : ''}`);
  }
  if (view.budget) {
    const b = view.budget;
    out(`budget: ${formatCost(b.spent_today)} of ${formatCost(b.limit)} spent today${b.reached ? ' (reached: no new videos until midnight UTC)' : ''}`);
  }
  if (view.tasks.length === 0) {
    out('no tasks yet: try `vidbot generate "a paper boat in the rain"`');
    return;
  }
  out('recent tasks (`vidbot status <id>` shows one in full):');
  // The state column as wide as the widest state listed (up to a point), so the senders line up.
  const states = view.tasks.map(stateOf);
  const widest = Math.min(Math.max(24, ...states.map((state) => state.length)), MAX_STATE_WIDTH);
  // On a narrow terminal the states give way first (cut, in full in `vidbot status <id>`), down to a point, then the prompts.
  const senders = Math.max(...view.tasks.map((task) => senderOf(task, columns).length));
  const width = columns === undefined ? widest : Math.max(MIN_STATE_WIDTH, Math.min(widest, columns - ROW_FIXED - senders - PROMPT_MIN - 4));
  view.tasks.forEach((task, index) => out(`  ${describeTask(task, cutText(states[index] ?? '', width), width, senders, columns)}`));
};

/** Past this, a state (a failure's reason) runs into the next column rather than pushing every row right. */
const MAX_STATE_WIDTH = 48;
const MIN_STATE_WIDTH = 16;
/** A row's indent, short id and the gaps between its columns. */
const ROW_FIXED = 2 + 8 + 2 + 2 + 2;

/** An error in one line: its first, and the next too when the first only introduces it ("ffmpeg failed (exit code 1):"). */
const firstLine = (text: string): string => {
  const [first = '', next] = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  return first.endsWith(':') && next !== undefined ? `${first} ${next.trim()}` : first;
};

const stateOf = (task: Task): string => {
  const took = task.finishedAt && task.startedAt ? ` in ${formatDuration(task.finishedAt - task.startedAt)}` : '';
  // A failed task's failed delivery is said by its error, not twice ("failed, failed: ...").
  const delivered = task.delivery && !(task.status === 'failed' && task.delivery.status === 'failed') ? `, ${deliveryText(task.delivery)}` : '';
  const notRun = notRunText(task);
  return notRun !== undefined ? notRun
    : task.status === 'processing' ? `processing (${task.stage ?? 'starting'})`
    : task.status === 'delivering' ? `delivering${delivered}`
    // One line a task: an error's first line (ffmpeg's stderr follows on the next ones; `vidbot status <id>` shows all).
    : task.status === 'failed' ? `failed${delivered}: ${firstLine(task.error ?? 'unknown error')}`
    : `${task.status}${took}${delivered}`;
};

/** A prompt is cut to this many characters, or on a terminal to what is left of its line (from PROMPT_MIN to PROMPT_MAX). */
const PROMPT_CHARS = 40;
const PROMPT_MIN = 16;
const PROMPT_MAX = 72;

/**
 * Who asked. On a terminal masked as the dashboard shows it (+1555…1111: a screen may be shared or
 * filmed, and the number takes half the room of whatsapp:+15551231111); piped, whole, for a script.
 * `vidbot status <id>` gives it whole.
 */
const senderOf = (task: Task, columns: number | undefined): string => {
  const from = task.from || 'cli';
  return columns === undefined ? from : maskSender(from, true);
};

const describeTask = (task: Task, state: string, width: number, senders: number, columns: number | undefined): string => {
  const before = `${shortId(task.taskId)}  ${state.padEnd(width)}  ${senderOf(task, columns).padEnd(senders)}  `;
  if (columns === undefined) return `${before}"${cutText(terminalSafe(task.prompt), PROMPT_CHARS)}"${madeBy(task)}`;
  // In the terminal's columns (an emoji or a CJK character takes two); the row's indent (2) and the prompt's quotes (2).
  const room = Math.min(PROMPT_MAX, Math.max(PROMPT_MIN, columns - displayWidth(before) - 4));
  return `${before}"${cutText(terminalSafe(task.prompt), room, { count: 'columns' })}"${madeBy(task)}`;
};

/** Who made the video (failover may have picked another provider) and its estimated cost. */
const madeBy = (task: Task): string => {
  const made = task.generation;
  if (made === undefined) return task.cacheHit ? '  (from cache)' : '';
  return `\n            by ${madeByText(made, 28)}`;
};

const fromStore = async (context: CliContext, config: Parameters<typeof createVidbot>[0], limit: number): Promise<StatusView> => {
  const vidbot = await createVidbot(config, { env: { ...context.env }, onWarning: warnOn(context) });
  try {
    const budget = await vidbot.budget?.state();
    return {
      // Where the queue's counts come from: BullMQ's Redis, or the embedded queue's file.
      source: config.redisUrl ? `BullMQ on ${redisWhere(config.redisUrl)}` : vidbot.paths.database,
      counts: await vidbot.queue.counts(),
      ...(budget ? { budget: { limit: budget.limit, spent_today: budget.spent, reached: budget.reached, resets_at: new Date(budget.resetsAt).toISOString() } } : {}),
      tasks: await vidbot.store.listTasks({ limit }),
    };
  } finally {
    await vidbot.close();
  }
};

const fromServer = async (server: string, apiKey: string | undefined, limit: number): Promise<StatusView> => {
  const { origin, get } = serverClient(server, apiKey);
  const health = (await get('/health')).body as { queue?: QueueCounts; workers?: StatusView['workers']; budget?: StatusView['budget'] };
  const tasks = (await get(`/api/tasks?limit=${limit}`)).body as { tasks?: Task[] };
  return {
    source: origin,
    counts: health.queue ?? { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, canceled: 0 },
    ...(health.workers ? { workers: health.workers } : {}),
    ...(health.budget && typeof health.budget.limit === 'number' ? { budget: health.budget } : {}),
    tasks: tasks.tasks ?? [],
  };
};

/** Where the queue lives, without credentials: the host, and the database number when not the first. */
const redisWhere = (url: string): string => {
  const { where, database } = parseConnectionString(url);
  return database && database !== '0' ? `${where}/${database}` : where;
};
