/** Hands job updates that arrive by webhook to the runs that wait for them, in this process. */
export interface JobUpdates<T> {
  publish(id: string, update: T): void;
  /** Resolves with the next update of this job; undefined when the signal fires. Never rejects. */
  next(id: string, signal?: AbortSignal): Promise<T | undefined>;
}

export const createJobUpdates = <T>(): JobUpdates<T> => {
  const waiting = new Map<string, Set<(update: T | undefined) => void>>();
  return {
    publish(id, update) {
      const listeners = waiting.get(id);
      waiting.delete(id);
      for (const listener of listeners ?? []) listener(update);
    },
    next(id, signal) {
      return new Promise((resolve) => {
        const listeners = waiting.get(id) ?? new Set();
        const done = (update: T | undefined) => {
          listeners.delete(done);
          if (listeners.size === 0 && waiting.get(id) === listeners) waiting.delete(id);
          signal?.removeEventListener('abort', onAbort);
          resolve(update);
        };
        const onAbort = () => done(undefined);
        listeners.add(done);
        waiting.set(id, listeners);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
};

/** Waits `ms`, or less when the signal fires; never rejects. */
export const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
