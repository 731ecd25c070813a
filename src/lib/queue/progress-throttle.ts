/** Progress is emitted on every call but written to the backend at most every PROGRESS_WRITE_MS. */
import { performance } from 'node:perf_hooks';
import { warn } from './emitter.ts';

export const PROGRESS_WRITE_MS = 250;

export interface ProgressThrottle<V> {
  /** Keeps the latest value and writes it now, or once PROGRESS_WRITE_MS have passed since the last write. */
  push(value: V): void;
  /** Writes the value not yet written, if any. */
  flush(): Promise<void>;
  /** The value not yet written (the SQLite adapter saves it with the job's outcome). */
  readonly pending: V | undefined;
  /** Cancels a scheduled write; the pending value stays. */
  stop(): void;
}

/** `write` may be sync or async; its errors become warnings, since a lost progress write must not fail the job. */
export const createProgressThrottle = <V>(
  jobId: string,
  write: (value: V) => void | Promise<void>,
  intervalMs = PROGRESS_WRITE_MS,
): ProgressThrottle<V> => {
  let pending: V | undefined;
  let lastWrite = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };

  const flush = async (): Promise<void> => {
    stop();
    if (pending === undefined) return;
    const value = pending;
    pending = undefined;
    lastWrite = performance.now();
    try {
      await write(value);
    } catch (error) {
      warn(`Saving progress of job ${jobId} failed`, error);
    }
  };

  return {
    push(value) {
      pending = value;
      const wait = intervalMs - (performance.now() - lastWrite);
      if (wait <= 0) void flush();
      else timer ??= setTimeout(() => void flush(), wait);
    },
    flush,
    get pending() {
      return pending;
    },
    stop,
  };
};
