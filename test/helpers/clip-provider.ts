/**
 * A stand-in for the local preview in tests about what comes after a video is made (delivery,
 * receipts, retries, channels, buttons): it renders one real clip with the local renderer for each
 * orientation asked for, once, and hands each task a copy, so a test pays one render instead of one
 * per task. Same name, model and capabilities as the renderer it stands in for, so the bot says and
 * records the same; a landscape task still gets a landscape video.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalProvider } from '../../src/lib/video-provider/local.ts';
import type { VideoProvider } from '../../src/lib/video-provider/port.ts';

export const oneClipProvider = (options: { readonly ffmpeg: string; readonly dir: string }): VideoProvider => {
  const local = createLocalProvider({ ffmpeg: options.ffmpeg });
  const clips = new Map<string, Promise<string>>();
  let copies = 0;
  return {
    name: local.name,
    defaultModel: local.defaultModel,
    capabilities: (model) => local.capabilities(model),
    async generate(request, { workDir, signal }) {
      let clip = clips.get(request.orientation);
      if (clip === undefined) {
        const { orientation } = request;
        clip = local.generate({ prompt: `one clip for every ${orientation} task`, orientation, durationSec: 1 }, { workDir: options.dir }).then((made) => made.file);
        clips.set(request.orientation, clip);
      }
      signal?.throwIfAborted();
      const file = join(workDir, `clip-${(copies += 1)}.mp4`);
      await copyFile(await clip, file);
      return { file, provider: local.name, model: local.defaultModel };
    },
  };
};
