/** The feed of a wired vidbot: its queue, its bus when it has one, and its store for who each job is for. */
import type { JobQueue } from '../queue/port.ts';
import type { Store } from '../store/port.ts';
import { cutText } from '../text.ts';
import type { TaskJob } from '../tasks/deps.ts';
import type { TaskLifecycle } from '../tasks/lifecycle.ts';
import type { ActivityBus } from './bus/port.ts';
import { type ActivityFeed, type ActivityFeedOptions, type JobSubject, createActivityFeed } from './feed.ts';

/** Long enough to tell prompts apart in a table or a log line; events stay small. */
const PROMPT_CHARS = 80;

const shorten = (text: string): string => cutText(text, PROMPT_CHARS);

export interface VidbotActivitySources {
  readonly queue: JobQueue<TaskJob>;
  readonly store: Pick<Store, 'getTask'>;
  readonly activityBus?: ActivityBus;
  /** Its receipts' late verdicts on deliveries, which the queue never tells. */
  readonly tasks?: Pick<TaskLifecycle, 'onLateDelivery'>;
}

/** Reads a job's task: a retried task runs under a job id of its own, so the job names its task. */
export const lookUpJobSubject =
  (vidbot: Pick<VidbotActivitySources, 'queue' | 'store'>) =>
  async (jobId: string): Promise<JobSubject | undefined> => {
    const taskId = (await vidbot.queue.get(jobId))?.data.taskId ?? jobId;
    const task = await vidbot.store.getTask(taskId);
    return task ? { prompt: shorten(task.prompt), sender: task.from || task.sessionId } : undefined;
  };

export const createVidbotFeed = (
  vidbot: VidbotActivitySources,
  options: Omit<ActivityFeedOptions, 'queue' | 'bus' | 'lookUpJob' | 'onLateDelivery'> = {},
): ActivityFeed => {
  const { tasks } = vidbot;
  return createActivityFeed({
    queue: vidbot.queue,
    ...(tasks ? { onLateDelivery: (listener) => tasks.onLateDelivery(listener) } : {}),
    ...(vidbot.activityBus ? { bus: vidbot.activityBus } : {}),
    lookUpJob: lookUpJobSubject(vidbot),
    ...options,
  });
};
