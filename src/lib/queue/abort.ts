/** Aborting a running job. The signal's reason says why, so a handler can tell a cancel from a shutdown. */
import { type AbortKind, vidbotError } from '../errors.ts';

/** What holds a claimed job: a lease (SQLite) or a lock (BullMQ); named when another worker takes it over. */
export type ClaimName = 'lease' | 'lock';

export const abortMessage = (kind: AbortKind, claim: ClaimName): string => {
  if (kind === 'cancel') return 'The job was canceled.';
  if (kind === 'release') return 'The worker is shutting down; the job goes back to the queue.';
  return `The job was taken over by another worker after its ${claim} expired.`;
};

export interface JobAbort {
  readonly signal: AbortSignal;
  /**
   * Fires when the job is no longer this worker's (shutdown, lost claim), even after a cancel: the
   * signal for work a cancel does not stop (a made video's delivery).
   */
  readonly stopSignal: AbortSignal;
  /** Why the job was aborted; undefined while it was not. Only the first abort counts. */
  readonly kind: AbortKind | undefined;
  abort(kind: AbortKind): void;
}

export const createJobAbort = (jobId: string, claim: ClaimName): JobAbort => {
  const controller = new AbortController();
  const stop = new AbortController();
  let kind: AbortKind | undefined;
  const reasonOf = (next: AbortKind) => vidbotError('VIDBOT_CANCELED', abortMessage(next, claim), { details: { jobId, reason: next } });
  return {
    signal: controller.signal,
    stopSignal: stop.signal,
    get kind() {
      return kind;
    },
    abort(next) {
      if (next !== 'cancel' && !stop.signal.aborted) stop.abort(reasonOf(next));
      if (kind !== undefined) return;
      kind = next;
      controller.abort(reasonOf(next));
    },
  };
};
