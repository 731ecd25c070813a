/**
 * GET /simulator/events?to=<address>: a Server-Sent Events stream of what the bot sends to that
 * address (new messages and their delivery states, and `typing` when a reply is being prepared) and
 * of that sender's tasks (status, stage, percent).
 * The messenger pushes messages at once; a one-second look at the store also catches what it
 * cannot see: tasks' progress, and messages sent by workers in other processes.
 */
import type { FastifyReply } from 'fastify';
import type { SimulatedMessage, SimulatorChannel } from '../../lib/channel/simulator/index.ts';
import type { Choice } from '../../lib/domain.ts';
import { compact } from '../../lib/objects.ts';
import type { OutboundRecord, Store, Task } from '../../lib/store/port.ts';
import { OFFER_KINDS, choicesFor } from '../../lib/tasks/choices.ts';

const POLL_MS = 1_000;
const KEEPALIVE_MS = 15_000;

export interface OutboundEvent {
  /** The channel's id once it took the message (what simulated receipts name), else vidbot's. */
  readonly sid: string;
  /** vidbot's id of the message. */
  readonly id: string;
  readonly to: string;
  readonly kind: string;
  readonly body?: string;
  readonly mediaUrl?: string;
  /** Where the page can play the video: the message's media, else our own /media URL for it. */
  readonly videoUrl?: string;
  readonly taskId?: string;
  readonly status: string;
  readonly errorCode?: string;
  readonly createdAt: number;
  /** The replies the message offers (another take, the other orientation, try again), for the page to draw as buttons. */
  readonly choices?: readonly Choice[];
}

/**
 * Without PUBLIC_BASE_URL results carry no media URL; a local video is still served at /media.
 * `modelChoices` are the buttons a /model list carries (about no task).
 */
export const outboundEvent = async (store: Store, record: OutboundRecord, modelChoices: readonly Choice[] = []): Promise<OutboundEvent> => {
  let videoUrl = record.mediaUrl;
  const offers = OFFER_KINDS.includes(record.kind);
  const task = record.taskId !== undefined && (record.kind === 'result' || offers) ? await store.getTask(record.taskId) : null;
  if (videoUrl === undefined && record.kind === 'result' && task?.mediaId && !task.videoUrl) videoUrl = `/media/${task.mediaId}.mp4`;
  // Derived from the message's kind and task, as the bot reads a typed answer, so every process agrees.
  const offered = record.kind === 'models' ? modelChoices : offers && task ? choicesFor(record.kind, task) : [];
  const choices = offered.length > 0 ? offered : undefined;
  const { id, to, kind, body, mediaUrl, taskId, status, errorCode, createdAt } = record;
  const sid = record.messageId ?? id;
  return compact({ sid, id, to, kind, body, mediaUrl, videoUrl, taskId, status, errorCode, createdAt, choices });
};

export interface TaskEvent {
  readonly taskId: string;
  readonly status: Task['status'];
  readonly stage?: Task['stage'];
  /** How far the video has got, 0..100. */
  readonly progress?: number;
  readonly error?: string;
}

export const taskEvent = (task: Task): TaskEvent => ({
  taskId: task.taskId,
  status: task.status,
  ...(task.stage ? { stage: task.stage } : {}),
  ...(task.progress === undefined ? {} : { progress: task.progress }),
  ...(task.error ? { error: task.error } : {}),
});

export interface EventStreams {
  /**
   * Streams what changes from now on; with `since` (epoch ms, from GET /simulator/history), what
   * changed after that moment too, so a page that just read the history misses nothing.
   */
  open(reply: FastifyReply, to: string, since?: number): Promise<void>;
  /** Ends every open stream: an open stream would keep the server from closing. */
  closeAll(): void;
}

export const createEventStreams = (deps: { store: Store; channel: SimulatorChannel; modelChoices?: readonly Choice[] }): EventStreams => {
  const open = new Set<() => void>();
  const MAX_BUFFERED_BYTES = 1024 * 1024;

  return {
    closeAll() {
      for (const close of [...open]) close();
    },
    async open(reply, to, since) {
      const { store } = deps;
      const seen = new Map<string, string>();
      const outKey = (r: OutboundRecord) => `${r.status}|${r.errorCode ?? ''}|${r.messageId ?? ''}`;
      const taskKey = (t: Task) => `${t.status}|${t.stage ?? ''}|${t.progress ?? ''}|${t.error ?? ''}`;
      // What exists now is history (the page reads it from /simulator/history): only what happens from here on is sent.
      const before = (updatedAt: number) => since === undefined || updatedAt <= since;
      for (const r of await store.listOutbound({ to, limit: 20 })) if (before(r.updatedAt)) seen.set(r.id, outKey(r));
      for (const t of await store.listTasks({ from: to, limit: 10 })) if (before(t.updatedAt)) seen.set(t.taskId, taskKey(t));

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 2000\n\n');
      let closed = false;
      const write = (event: string, data: unknown) => {
        if (closed) return;
        // A reader that stopped reading (a suspended tab) is dropped rather than buffered forever.
        if (raw.writableLength > MAX_BUFFERED_BYTES) return close();
        raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const emitOutbound = async (record: OutboundRecord) => {
        // A message the channel has not answered yet is shown once it has (it needs its id for receipts).
        if (record.to !== to || record.status === 'pending' || seen.get(record.id) === outKey(record)) return;
        seen.set(record.id, outKey(record));
        write('outbound', await outboundEvent(store, record, deps.modelChoices));
      };
      const emitTask = (task: Task) => {
        if (seen.get(task.taskId) === taskKey(task)) return;
        seen.set(task.taskId, taskKey(task));
        write('task', taskEvent(task));
      };

      let polling = false;
      const poll = async () => {
        if (polling || closed) return;
        polling = true;
        try {
          // Tasks first: a task's "done" should reach the page before (or with) its video.
          for (const task of (await store.listTasks({ from: to, limit: 10 })).reverse()) emitTask(task);
          for (const record of (await store.listOutbound({ to, limit: 20 })).reverse()) await emitOutbound(record);
        } catch {
          // The store closing under a stream at shutdown: the stream ends right after.
        } finally {
          polling = false;
        }
      };
      // The messenger tells at once, before the lifecycle has recorded the channel's answer.
      const told = async (message: SimulatedMessage) => {
        const record = message.reference === undefined ? null : await store.findOutbound({ id: message.reference });
        if (record !== null) await emitOutbound({ ...record, messageId: message.messageId, status: message.status });
      };
      const unsubscribe = deps.channel.subscribe((event) => {
        if (event.type === 'message') void told(event.message).catch(() => undefined);
        // The page shows "typing…" until the next message, or for WhatsApp's 25 s.
        else if (event.to === to) write('typing', { to });
      });
      const timer = setInterval(() => void poll(), POLL_MS);
      const keepalive = setInterval(() => !closed && raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        clearInterval(keepalive);
        unsubscribe();
        open.delete(close);
        raw.end();
      };
      open.add(close);
      raw.on('close', close);
      // The client may have gone during the store reads above: 'close' has fired already then.
      if (raw.destroyed || reply.request.raw.destroyed) close();
      write('ready', { to });
    },
  };
};
