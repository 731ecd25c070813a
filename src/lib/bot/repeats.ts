/**
 * The same words sent again while their video is still on its way: a double tap on send, or "is it
 * working?" typed as the prompt once more (or "Another take" tapped twice). Each prompt gets one
 * video, so the repeat queues nothing and hears that the first is coming. What this keeps is a hint
 * (which task a sender's words made lately, in this process); whether that task is still open is
 * read from the store, its owner, and only when the words match. Words repeated after their video
 * arrived make a new one, as asked.
 */
import { createHash } from 'node:crypto';
import { OPEN_TASK_STATUSES } from '../domain.ts';
import { createRecentMap } from '../limits/recent.ts';
import type { Store, Task } from '../store/port.ts';
import { oneLine } from '../text.ts';
import { alreadyOnItsWayText } from './replies.ts';
import { choiceTexts } from '../tasks/messages.ts';
import type { BotReply } from './types.ts';

/** A message asking for a video: what it asks for (sameWordsKey, anotherTakeKey), and its id. */
export interface RepeatRequest {
  readonly key: string;
  readonly messageId: string;
}

export type RepeatCheck =
  /** An earlier message of the same words made this task, still on its way. */
  | { readonly repeats: Task }
  /** Not a repeat: this message now stands for its words; `settled` is told what it made (always, once). */
  | { readonly settled: (taskId: string | undefined) => void };

export interface RepeatGuard {
  check(request: RepeatRequest): Promise<RepeatCheck>;
}

interface Entry {
  readonly messageId: string;
  /** The task the message made, once it is decided; undefined when it made none. */
  readonly taskId: Promise<string | undefined>;
}

/** Senders' words kept at least (the newest; between this and twice as many). */
const KEPT = 10_000;

/** Two prompts are the same words from the same sender for the same model, case, spacing and closing punctuation aside. */
export const sameWordsKey = ({ from, prompt, model }: { from: string; prompt: string; model?: string | undefined }): string =>
  keyOf('words', from, model ?? '', oneLine(prompt).toLowerCase().replace(/[\s.!?…]+$/u, ''));

/** "Another take" of one video, asked by its sender. */
export const anotherTakeKey = (from: string, taskId: string): string => keyOf('take', from, taskId);

/** Kept as a digest: a prompt may be a thousand characters, and only its equality matters. */
const keyOf = (...parts: string[]): string => createHash('sha1').update(parts.join('\u0000')).digest('base64url');

export const createRepeatGuard = (options: { readonly store: Pick<Store, 'getTask'> }): RepeatGuard => {
  const latest = createRecentMap<Entry>(KEPT);

  return {
    async check(request) {
      const { key } = request;
      for (;;) {
        const entry = latest.get(key);
        // A redelivery of the message itself is answered from its claim, not here.
        if (entry === undefined || entry.messageId === request.messageId) break;
        const taskId = await entry.taskId;
        const task = taskId === undefined ? null : await options.store.getTask(taskId);
        if (task !== null && OPEN_TASK_STATUSES.includes(task.status)) return { repeats: task };
        // Its video came (or never will): these words make a new one, unless a newer message took their place meanwhile.
        if (latest.get(key) === entry) break;
      }
      let settle: (taskId: string | undefined) => void = () => {};
      const entry: Entry = { messageId: request.messageId, taskId: new Promise((resolve) => (settle = resolve)) };
      latest.set(key, entry);
      return {
        settled(taskId) {
          settle(taskId);
          // Words that made nothing (refused, over a limit) stand for no video: the next message of them is judged alone.
          if (taskId === undefined && latest.get(key) === entry) latest.delete(key);
        },
      };
    },
  };
};

/**
 * Runs `make` unless the request repeats one whose video is on its way, which is answered instead
 * (the same words, or another take), and tells the guard what it made.
 */
export const unlessRepeated = async (guard: RepeatGuard, request: RepeatRequest, asked: 'words' | 'take', make: () => Promise<BotReply>): Promise<BotReply> => {
  const check = await guard.check(request);
  if ('repeats' in check) return repeatReply(check.repeats, asked);
  let made: string | undefined;
  try {
    const reply = await make();
    made = reply.kind === 'ack' ? reply.taskId : undefined;
    return reply;
  } finally {
    check.settled(made);
  }
};

export const repeatReply = (task: Task, asked: 'words' | 'take'): BotReply => ({
  text: asked === 'take' ? choiceTexts.takeOnItsWay(task) : alreadyOnItsWayText(task),
  kind: 'repeat',
  duplicate: false,
});
