import { throwIfAborted } from '../errors.ts';
import type { PromptPolisher } from './port.ts';

/** Keeps the user's prompt exactly as written. */
export const createPassthroughPolisher = (): PromptPolisher => ({
  name: 'passthrough',
  async polish(prompt, options) {
    throwIfAborted(options?.signal);
    return { prompt, polished: false };
  },
});
