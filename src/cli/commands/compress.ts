import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createFfmpegCompressor, defaultOutput } from '../../lib/compressor/ffmpeg.ts';
import type { CompressResult } from '../../lib/compressor/port.ts';
import { isAbortError, vidbotError } from '../../lib/errors.ts';
import { assertWritableOutput, outputPathFor } from '../../lib/files.ts';
import { locateFfmpeg } from '../../lib/ffmpeg/locate.ts';
import { type CliContext, flag, loadCliConfig } from '../context.ts';
import { describeMedia, mediaJson } from '../format.ts';
import { createProgressView } from '../progress.ts';
import { interrupted, refuseToReplace } from '../replace.ts';

export interface CompressFlags {
  output?: string;
  force?: boolean;
  maxBytes?: string;
  json?: boolean;
}

export const compressCommand = async (context: CliContext, input: string, flags: CompressFlags): Promise<void> => {
  if (flags.maxBytes !== undefined && !/^\d+$/.test(flags.maxBytes.trim())) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `--max-bytes must be a whole number of bytes, got "${flags.maxBytes}".`);
  }
  const { config } = await loadCliConfig(context, { whatsappMaxBytes: flag('--max-bytes', flags.maxBytes) });
  // Everything typed is checked before any work starts (or is said to).
  const source = resolve(context.cwd, input);
  const found = await stat(source).then((s) => s.isFile(), () => undefined);
  if (found === undefined) throw vidbotError('VIDBOT_FILE_NOT_FOUND', `No video at ${source}.`);
  if (!found) throw vidbotError('VIDBOT_FILE_NOT_FOUND', `${source} is not a file.`);
  const output = await assertWritableOutput(await outputPathFor(context.cwd, flags.output, defaultOutput(source)));
  await refuseToReplace(context, output, flags.force, 'compressed');
  const ffmpeg = await locateFfmpeg({ env: { ...context.env }, ...(config.ffmpegBin ? { ffmpegBin: config.ffmpegBin } : {}) });
  const compressor = createFfmpegCompressor({ ...ffmpeg, maxBytes: config.whatsappMaxBytes });
  const view = createProgressView(context.stderr);
  let result;
  try {
    view.onEvent({ type: 'stage:start', stage: 'compress' });
    const started = performance.now();
    result = await compressor
      .compress(source, {
        signal: context.signal,
        output,
        onProgress: (p) => view.onEvent({ type: 'stage:progress', stage: 'compress', ...p }),
      })
      .catch((error: unknown) => {
        // Said as generate says it: no task here to start again, and no half-written file left.
        if (!isAbortError(error) && !context.signal.aborted) throw error;
        throw interrupted();
      });
    view.onEvent({ type: 'stage:done', stage: 'compress', durationMs: performance.now() - started, note: result.mode === 'remux' && soundEncoded(result) ? 'remux, sound to AAC' : result.mode });
  } finally {
    view.stop();
  }
  const budget = result.output.sizeBytes / result.maxBytes;
  if (flags.json) {
    context.stdout.write(
      `${JSON.stringify({
        ok: true,
        mode: result.mode,
        passes: result.passes,
        maxBytes: result.maxBytes,
        budgetUsed: Number(budget.toFixed(4)),
        input: mediaJson(result.input),
        ...mediaJson(result.output),
      })}\n`,
    );
    return;
  }
  context.stdout.write(`${result.file}\n  ${describeMedia(result.output)}\n  ${howMade(result)}, ${(budget * 100).toFixed(0)}% of the ${result.maxBytes}-byte limit\n`);
};

/** What was done to the video: a remux may still have encoded its sound (PCM or MP3 is not WhatsApp's AAC). */
/** The sound was encoded (or a silent track added) where the video was only copied. */
const soundEncoded = ({ input, output }: CompressResult): boolean => input.audio?.codec !== output.audio?.codec;

export const howMade = (result: CompressResult): string => {
  const { mode, passes, input } = result;
  if (mode === 'reencode') return `re-encoded in ${passes} ${passes === 1 ? 'pass' : 'passes'}`;
  if (!soundEncoded(result)) return 'remuxed (already compliant)';
  return input.audio === undefined ? 'video copied, a silent AAC track added' : `video copied, sound encoded as AAC (was ${input.audio.codec})`;
};
