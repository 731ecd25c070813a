/**
 * The same request again while its video is still on its way: a double tap on send, "is it
 * working?" typed as the prompt once more, "Another take" tapped twice. Each prompt gets one video,
 * so the repeat queues nothing and hears that the first is coming (bot/repeats.ts answers it).
 * What a guard keeps is a hint, which task a request made lately; whether that task is still open
 * is read from the store, its owner, and only when a request matches. Asked again after its video
 * arrived, a request makes a new one. In this process here; in Redis (repeats-redis.ts) when
 * REDIS_URL is set, so two web processes behind a balancer make one video of a double send too.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { OPEN_TASK_STATUSES } from '../domain.ts';
import type { Store, Task } from '../store/port.ts';
import { oneLine } from '../text.ts';
import { createRecentMap } from './recent.ts';

/** A message asking for a video: what it asks for (sameWordsKey, anotherTakeKey), and its id. */
export interface RepeatRequest {
  readonly key: string;
  readonly messageId: string;
}

export type RepeatCheck =
  /** An earlier message asking the same made this task, still on its way. */
  | { readonly repeats: Task }
  /**
   * Not a repeat: this message now stands for its request; `settled` is told what it made (always,
   * once). `earlier`: the task the same request made before, ended since (done, failed, canceled).
   */
  | { readonly settled: (taskId: string | undefined) => void; readonly earlier?: Task };

export interface RepeatGuard {
  readonly name: 'memory' | 'redis';
  check(request: RepeatRequest): Promise<RepeatCheck>;
}

/** Words as a repeat compares them: case, spacing and closing punctuation aside. */
const wordsOf = (prompt: string): string => oneLine(prompt).toLowerCase().replace(/[\s.!?…]+$/u, '');

/** Two prompts are the same words from the same sender for the same model. */
export const sameWordsKey = ({ from, prompt, model }: { from: string; prompt: string; model?: string | undefined }): string =>
  keyOf('words', from, model ?? '', wordsOf(prompt));

/** The same photo (its bytes' digest) with the same caption from the same sender for the same model. */
export const samePhotoKey = ({ from, photo, prompt, model }: { from: string; photo: string; prompt: string; model?: string | undefined }): string =>
  keyOf('photo', from, model ?? '', photo, wordsOf(prompt));

/** "Another take" of one video, asked by its sender. */
export const anotherTakeKey = (from: string, taskId: string): string => keyOf('take', from, taskId);

/** Kept as a digest: a prompt may be a thousand characters, and only its equality matters. */
const keyOf = (...parts: string[]): string => createHash('sha1').update(parts.join('\u0000')).digest('base64url');

/** The task a request made: still on its way (a repeat of it makes nothing), or ended. */
export const madeTask = async (store: Pick<Store, 'getTask'>, taskId: string): Promise<{ open?: Task; ended?: Task }> => {
  const task = await store.getTask(taskId);
  if (task === null) return {};
  return OPEN_TASK_STATUSES.includes(task.status) ? { open: task } : { ended: task };
};

interface Entry {
  readonly messageId: string;
  /** The task the message made, once it is decided; undefined when it made none. */
  readonly taskId: Promise<string | undefined>;
}

/**
 * How long a repeat waits for the first message to be decided (a moment, as a rule) before taking
 * its request over: well within the 15 s a service gives a webhook to answer.
 */
export const DECIDING_MS = 5_000;

/** Requests kept at least (the newest; between this and twice as many). */
const KEPT = 10_000;

const undecided = Symbol('undecided');

/** In this process: a request's repeat arriving at the same moment waits for what the first made. */
export const createMemoryRepeatGuard = (options: { readonly store: Pick<Store, 'getTask'>; readonly decidingMs?: number }): RepeatGuard => {
  const latest = createRecentMap<Entry>(KEPT);
  const decidingMs = options.decidingMs ?? DECIDING_MS;

  return {
    name: 'memory',
    async check(request) {
      const { key } = request;
      let earlier: Task | undefined;
      for (;;) {
        const entry = latest.get(key);
        if (entry === undefined) break;
        // A redelivery of the message itself is answered from its claim; the entry stays the first delivery's.
        if (entry.messageId === request.messageId) return { settled: () => {} };
        const timer = new AbortController();
        const taskId = await Promise.race([entry.taskId, sleep(decidingMs, undecided, { signal: timer.signal }).catch(() => undecided)]);
        timer.abort();
        const made = typeof taskId === 'string' ? await madeTask(options.store, taskId) : {};
        if (made.open !== undefined) return { repeats: made.open };
        earlier = made.ended;
        // Its video came (or never will, or its decision hangs): the request makes a new one, unless a newer message took its place meanwhile.
        if (latest.get(key) === entry) break;
      }
      let settle: (taskId: string | undefined) => void = () => {};
      const entry: Entry = { messageId: request.messageId, taskId: new Promise((resolve) => (settle = resolve)) };
      latest.set(key, entry);
      return {
        ...(earlier === undefined ? {} : { earlier }),
        settled(taskId) {
          settle(taskId);
          // A request that made nothing (refused, over a limit) stands for no video: the next message of it is judged alone.
          if (taskId === undefined && latest.get(key) === entry) latest.delete(key);
        },
      };
    },
  };
};
