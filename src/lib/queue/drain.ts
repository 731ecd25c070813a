import type { QueueWorker } from './port.ts';

/**
 * Graceful stop of workers: no new jobs, running ones get `graceSec` to finish, then go back to
 * the queue without spending an attempt (another worker, or the next start, picks them up).
 */
export const drainWorkers = async (
  worker: QueueWorker & { readonly draining?: () => void },
  graceSec: number,
  onHandBack: (running: number) => void = () => {},
): Promise<void> => {
  worker.draining?.();
  worker.pause();
  const deadline = Date.now() + graceSec * 1000;
  while (worker.running > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (worker.running > 0) onHandBack(worker.running);
  await worker.close({ release: true });
};
