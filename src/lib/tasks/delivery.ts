/** A task's delivery state: which message carries its result, and what may follow a refusal. */
import type { RefusalKind, TaskDelivery } from '../domain.ts';
import type { Channel } from '../channel/port.ts';
import type { Task } from '../store/port.ts';

export const outboundId = (taskId: string, kind: string, attempt: number): string => `${taskId}:${kind}:${attempt}`;

/** The delivery a task starts with once its video is made (attempt counts up on each retry). */
export const firstDelivery = (task: Task, channel: Channel): TaskDelivery => {
  const attempt = (task.delivery?.attempt ?? 0) + 1;
  return { status: 'pending', attempt, outboundId: outboundId(task.taskId, 'result', attempt), channel: channel.name, updatedAt: Date.now() };
};

type Fallback = 'link' | 'template' | undefined;

/** What may still reach the user after a refusal of this kind; undefined when nothing can. */
export const fallbackFor = (task: Task, kind: RefusalKind, channel: Channel): Fallback => {
  const tried = task.delivery?.fallback;
  if (kind === 'media' && tried === undefined && task.videoUrl) return 'link';
  if (kind === 'window' && tried !== 'template' && channel.sendTemplate !== undefined) return 'template';
  return undefined;
};

/** The task's delivery switched to a fallback message, not yet sent. */
export const withFallback = (task: Task, fallback: 'link' | 'template'): TaskDelivery => {
  const current = task.delivery as TaskDelivery;
  return { ...current, fallback, status: 'pending', outboundId: outboundId(task.taskId, fallback, current.attempt), updatedAt: Date.now() };
};

