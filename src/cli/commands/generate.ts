import { resolve } from 'node:path';
import { createVidbot } from '../../lib/create-vidbot.ts';
import { isAbortError, vidbotError } from '../../lib/errors.ts';
import { assertWritableOutput, outputPathFor, slugify } from '../../lib/files.ts';
import { createOutputFileHost } from '../../lib/media-host/output-file.ts';
import { imageDecodes } from '../../lib/ffmpeg/image.ts';
import { probeMedia } from '../../lib/ffmpeg/probe.ts';
import { validatePrompt } from '../../lib/pipeline/prompt.ts';
import { assertImageFile, damagedImage } from '../../lib/video-provider/output.ts';
import { parseInputFlags } from '../../lib/video-provider/replicate-models.ts';
import { type CliContext, flag, loadCliConfig } from '../context.ts';
import { describeMedia, mediaJson } from '../format.ts';
import { createProgressView } from '../progress.ts';
import { interrupted, refuseToReplace } from '../replace.ts';

export interface GenerateFlags {
  output?: string;
  force?: boolean;
  /** One provider, or a list to fail over through (checked as VIDBOT_PROVIDER is). */
  provider?: string;
  model?: string;
  input?: string[];
  image?: string;
  polish: boolean;
  cache: boolean;
  portrait?: boolean;
  landscape?: boolean;
  duration?: string;
  json?: boolean;
}

export const generateCommand = async (context: CliContext, rawPrompt: string, flags: GenerateFlags): Promise<void> => {
  const { config } = await loadCliConfig(context, {
    provider: flag('--provider', flags.provider),
    orientation: flag(flags.landscape ? '--landscape' : '--portrait', flags.landscape ? 'landscape' : flags.portrait ? 'portrait' : undefined),
    videoSeconds: flag('--duration', flags.duration),
  });
  // Check everything the user typed before touching the store, so bad input changes nothing.
  const prompt = validatePrompt(rawPrompt, config.promptMaxChars);
  const inputs = flags.input?.length ? parseInputFlags(flags.input) : undefined;
  const image = flags.image ? resolve(context.cwd, flags.image) : undefined;
  if (image) await assertImageFile(image);
  // Last: it may ask whether to replace the file, which is pointless if the command would fail anyway.
  const output = await assertWritableOutput(await outputPathFor(context.cwd, flags.output, `${slugify(prompt)}.mp4`));
  await refuseToReplace(context, output, flags.force, 'generated');

  const view = createProgressView(context.stderr);
  // The video goes straight to the output file: the data folder keeps no second copy.
  const vidbot = await createVidbot(config, {
    env: { ...context.env },
    onWarning: (message) => view.warn(message),
    overrides: { mediaHost: createOutputFileHost({ target: output }) },
  });
  try {
    // Said, not silently dropped: the local preview draws the prompt and takes no model's inputs.
    const ignored = [flags.model ? `--model ${flags.model}` : undefined, inputs ? '--input' : undefined].filter(Boolean);
    if (!vidbot.provider.capabilities().ai && ignored.length > 0) {
      view.warn(`the local preview ignores ${ignored.join(' and ')}: a model runs on Replicate, fal or a Cog server (--provider, once its key or URL is set)`);
    }
    // Decoded once, as the bot does a photo: one cut short passes the type check above, then failed
    // deep in the render with ffmpeg's own words.
    if (image && !(await imageDecodes(vidbot.ffmpeg.ffmpeg, image, context.signal))) throw damagedImage(image);
    const { task } = await vidbot.createTask({
      prompt,
      sessionId: 'cli',
      options: {
        polish: flags.polish,
        useCache: flags.cache,
        ...(flags.model ? { model: flags.model } : {}),
        ...(inputs ? { inputs } : {}),
        ...(image ? { firstFrameImage: image } : {}),
      },
    });
    const onAbort = () => void vidbot.store.updateTask(task.taskId, { cancelRequested: true });
    context.signal.addEventListener('abort', onAbort, { once: true });
    let done;
    try {
      done = await vidbot.runTask(task.taskId, { signal: context.signal, onEvent: view.onEvent });
    } catch (error) {
      if (isAbortError(error) || context.signal.aborted) {
        await vidbot.store.updateTask(task.taskId, { status: 'canceled', finishedAt: Date.now(), error: 'Interrupted.' });
        throw interrupted();
      }
      throw error;
    } finally {
      context.signal.removeEventListener('abort', onAbort);
      view.stop();
    }
    if (done.filePath !== output) throw vidbotError('VIDBOT_INTERNAL', `Task ${done.taskId} finished without writing ${output}.`);
    const info = await probeMedia(output, { ffprobe: vidbot.ffmpeg.ffprobe });
    if (flags.json) {
      context.stdout.write(
        `${JSON.stringify({
          ok: true,
          taskId: done.taskId,
          // Who made it: a failover chain may have picked another provider and model than asked.
          provider: done.generation?.provider ?? done.options.provider,
          model: done.generation?.model ?? done.options.model ?? vidbot.provider.defaultModel,
          // A video from the cache cost nothing this time.
          ...(done.generation?.cost !== undefined ? { cost: done.generation.cost } : done.cacheHit ? { cost: 0 } : {}),
          cacheHit: done.cacheHit ?? false,
          prompt: done.prompt,
          ...(done.polishedPrompt ? { polishedPrompt: done.polishedPrompt } : {}),
          ...mediaJson(info),
        })}\n`,
      );
      return;
    }
    const note = vidbot.provider.capabilities().ai ? '' : '  (local preview, not AI: set REPLICATE_API_TOKEN for real videos)\n';
    context.stdout.write(`${output}\n  ${describeMedia(info)}${done.cacheHit ? ', from cache' : ''}\n${note}`);
  } finally {
    await vidbot.close();
  }
};
