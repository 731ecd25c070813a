import { vidbotError } from '../errors.ts';

/** A call after close(): the caller's order of shutdown, not the disk or the database server. */
export const storeClosedError = () =>
  vidbotError('VIDBOT_STORE_FAILED', 'The store is closed.', {
    retryable: false,
    hint: 'Something used the store after close(); close vidbot (or its store) last, once its work has ended.',
  });
