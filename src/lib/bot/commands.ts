/** The WhatsApp commands: /help, /status, /history, /cancel, /model (bot/models.ts). Each answers from the store and queue. */
import type { Vidbot } from '../create-vidbot.ts';
import { FINAL_TASK_STATUSES } from '../store/port.ts';
import { cancelTexts, helpText, historyText, statusText, unknownCommandText } from './replies.ts';

export type CommandName = 'help' | 'status' | 'history' | 'cancel' | 'model';

/** `/Status please` -> 'status', `/model 2` -> 'model' with '2'; anything not starting with a slash is a prompt (null). */
export const parseCommand = (body: string): { name: CommandName | undefined; word: string; argument: string } | null => {
  const text = body.trim();
  if (!text.startsWith('/')) return null;
  const word = text.slice(1).split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  const known: readonly CommandName[] = ['help', 'status', 'history', 'cancel', 'model'];
  return { name: known.find((name) => name === word), word: `/${word}`, argument: text.slice(1 + word.length).trim() };
};

export interface CommandContext {
  readonly vidbot: Pick<Vidbot, 'store' | 'queue' | 'cancelTask' | 'config' | 'limits'>;
  readonly from: string;
  readonly imageToVideo: boolean;
  readonly voiceNotes?: boolean;
  /** How many models users may pick from: /help mentions /model when more than one. */
  readonly models?: number;
  readonly listSize?: number;
}

export const runCommand = async (
  command: { name: Exclude<CommandName, 'model'> | undefined; word: string },
  context: CommandContext,
): Promise<string> => {
  const { vidbot, from } = context;
  const limit = context.listSize ?? 5;
  switch (command.name) {
    case undefined:
      return unknownCommandText(command.word, context);
    case 'help':
      return helpText(context);
    case 'status': {
      const tasks = await vidbot.store.listTasks({ from, limit });
      const lines = await Promise.all(
        tasks.map(async (task) => ({
          task,
          position: task.status === 'queued' ? await vidbot.queue.position(task.taskId) : null,
        })),
      );
      return statusText(lines, await vidbot.limits.allowance(from, Date.now()));
    }
    case 'history':
      return historyText(await vidbot.store.listVideos({ from, limit }));
    case 'cancel': {
      // The newest unfinished task: what the user most likely means.
      const [open] = await vidbot.store.listTasks({ from, status: ['queued', 'processing'], limit: 1 });
      if (!open) return cancelTexts.nothing;
      const result = await vidbot.cancelTask(open.taskId);
      if (result.outcome === 'already-finished' && FINAL_TASK_STATUSES.includes(result.task.status)) {
        return result.task.status === 'done' ? cancelTexts.finished(result.task) : cancelTexts.canceled(result.task);
      }
      return result.outcome === 'canceled' ? cancelTexts.canceled(result.task) : cancelTexts.stopping(result.task);
    }
  }
};
