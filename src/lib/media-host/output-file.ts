/**
 * A media host for runs that make one file for a person (`vidbot generate`): publishing moves the
 * finished video to the path they chose, so no second copy stays in the data folder. Its path is
 * what the prompt cache remembers; a later run reuses it while the file is still there.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { throwIfAborted, vidbotError } from '../errors.ts';
import { copyFileAtomically } from '../files.ts';
import type { MediaHost } from './port.ts';

export const createOutputFileHost = (options: { readonly target: string }): MediaHost => ({
  name: 'file',
  shared: false,
  async publish(file, publishOptions) {
    throwIfAborted(publishOptions?.signal);
    try {
      await rename(file, options.target);
    } catch (error) {
      // Another file system (the data folder on one disk, the output on another): copy, then drop the source.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') {
        throw vidbotError('VIDBOT_OUTPUT_UNWRITABLE', `Cannot write ${options.target}: ${(error as Error).message}`, { cause: error });
      }
      await copyFileAtomically(file, options.target);
      await rm(file, { force: true });
    }
    publishOptions?.onProgress?.({ percent: 100 });
    return { id: randomBytes(16).toString('base64url'), path: options.target, host: 'file' };
  },
});
