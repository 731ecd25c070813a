import type { QueueEventMap, QueueEventName, QueueListener } from './port.ts';

export interface QueueEmitter {
  on<K extends QueueEventName>(event: K, listener: QueueListener<K>): () => void;
  emit<K extends QueueEventName>(event: K, payload: QueueEventMap[K]): void;
}

/**
 * A small typed emitter. A throwing listener must not break the worker loop that emits, so its
 * error becomes a process warning instead of propagating.
 */
export const createQueueEmitter = (): QueueEmitter => {
  const listeners = new Map<QueueEventName, Set<(payload: never) => void>>();
  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      const entry = listener as (payload: never) => void;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    emit(event, payload) {
      const set = listeners.get(event);
      if (set === undefined) return;
      for (const listener of [...set]) {
        try {
          (listener as QueueListener<typeof event>)(payload);
        } catch (error) {
          warn(`A queue '${event}' listener threw`, error);
        }
      }
    },
  };
};

/** Problems the queue survives (a failed heartbeat, a listener that threw) but should not hide. */
export const warn = (message: string, error?: unknown): void => {
  const detail = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
  process.emitWarning(`${message}${detail}`, 'VidbotQueueWarning');
};
