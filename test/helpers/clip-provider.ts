/**
 * A stand-in for the local preview in tests about what comes after a video is made (delivery,
 * receipts, retries): it renders one real clip with the local renderer, once, and hands each task a
 * copy, so a test pays one render instead of one per task. Same name, model and capabilities as the
 * renderer it stands in for, so the bot says and records the same.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';

export const oneClipProvider = (options: { readonly ffmpeg: string; readonly dir: string }): VideoProvider => {
  const local = createLocalProvider({ ffmpeg: options.ffmpeg });
  let clip: Promise<string> | undefined;
  let copies = 0;
  return {
    name: local.name,
    defaultModel: local.defaultModel,
    capabilities: (model) => local.capabilities(model),
    async generate(request, { workDir, signal }) {
      clip ??= local.generate({ ...request, prompt: 'one clip for every task', durationSec: 1 }, { workDir: options.dir }).then((made) => made.file);
      signal?.throwIfAborted();
      const file = join(workDir, `clip-${(copies += 1)}.mp4`);
      await copyFile(await clip, file);
      return { file, provider: local.name, model: local.defaultModel };
    },
  };
};
