import { resolve } from 'node:path';
import { createFfmpegCompressor } from '../../lib/compressor/ffmpeg.ts';
import { vidbotError } from '../../lib/errors.ts';
import { assertWritableOutput } from '../../lib/files.ts';
import { locateFfmpeg } from '../../lib/ffmpeg/locate.ts';
import { type CliContext, flag, loadCliConfig } from '../context.ts';
import { describeMedia, mediaJson } from '../format.ts';
import { createProgressView } from '../progress.ts';

export interface CompressFlags {
  output?: string;
  maxBytes?: string;
  json?: boolean;
}

export const compressCommand = async (context: CliContext, input: string, flags: CompressFlags): Promise<void> => {
  if (flags.maxBytes !== undefined && !/^\d+$/.test(flags.maxBytes.trim())) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `--max-bytes must be a whole number of bytes, got "${flags.maxBytes}".`);
  }
  const { config } = await loadCliConfig(context, { whatsappMaxBytes: flag('--max-bytes', flags.maxBytes) });
  const output = flags.output ? await assertWritableOutput(resolve(context.cwd, flags.output)) : undefined;
  const ffmpeg = await locateFfmpeg({ env: { ...context.env }, ...(config.ffmpegBin ? { ffmpegBin: config.ffmpegBin } : {}) });
  const compressor = createFfmpegCompressor({ ...ffmpeg, maxBytes: config.whatsappMaxBytes });
  const view = createProgressView(context.stderr);
  let result;
  try {
    view.onEvent({ type: 'stage:start', stage: 'compress' });
    const started = performance.now();
    result = await compressor.compress(resolve(context.cwd, input), {
      signal: context.signal,
      ...(output ? { output } : {}),
      onProgress: (p) => view.onEvent({ type: 'stage:progress', stage: 'compress', ...p }),
    });
    view.onEvent({ type: 'stage:done', stage: 'compress', durationMs: performance.now() - started, note: result.mode });
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
  context.stdout.write(
    `${result.file}\n  ${describeMedia(result.output)}\n  ${result.mode === 'remux' ? 'remuxed (already compliant)' : `re-encoded in ${result.passes} pass(es)`}, ${(budget * 100).toFixed(0)}% of the ${result.maxBytes}-byte limit\n`,
  );
};
