/**
 * `vidbot retry <task-id>`: a failed or canceled task made again, as the dashboard's r key and
 * POST /api/tasks/:id/retry do, on the local store (a running `vidbot serve` or `vidbot worker` on
 * the same data, or the same Redis, takes its job). A video already made is only sent again.
 */
import { createVidbot } from '../../lib/create-vidbot.ts';
import { vidbotError } from '../../lib/errors.ts';
import { type CliContext, loadCliConfig, warnOn } from '../context.ts';
import { shellQuote } from '../format.ts';
import { findTask } from './status-task.ts';

export const retryCommand = async (context: CliContext, options: { json?: boolean }, id: string): Promise<void> => {
  const { config } = await loadCliConfig(context);
  const vidbot = await createVidbot(config, { env: { ...context.env }, onWarning: warnOn(context) });
  try {
    const task = await findTask(vidbot.store, id);
    // Made for a file by `vidbot generate` (run by it, no job, no recipient): a worker would make it for no one, into the data folder.
    if (task.jobId === undefined && task.from === '') {
      throw vidbotError('VIDBOT_CONFLICT', `Task ${task.taskId} was made by \`vidbot generate\` for a file, not for a WhatsApp user: a retry would send it nowhere.`, {
        hint: `Generate it again: vidbot generate ${shellQuote(task.prompt)} -o <file>.mp4`,
      });
    }
    const queued = await vidbot.retryTask(task.taskId);
    if (options.json) {
      context.stdout.write(`${JSON.stringify({ task: queued }, null, 2)}\n`);
      return;
    }
    const again = queued.videoId ? 'its video is sent again' : 'its video is made again';
    context.stdout.write(`Retrying ${queued.taskId} ("${queued.prompt.slice(0, 60)}"): queued as job ${queued.jobId ?? queued.taskId}; ${again}.\n`);
    context.stdout.write('A running `vidbot serve` or `vidbot worker` on the same data takes it.\n');
  } finally {
    await vidbot.close();
  }
};
