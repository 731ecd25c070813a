import { createVidbot } from '../../lib/create-vidbot.ts';
import { vidbotError } from '../../lib/errors.ts';
import { type CliContext, flag, loadCliConfig, warnOn } from '../context.ts';

/** `vidbot media prune`: deletes old uploads on a remote media host. */
export const mediaPruneCommand = async (context: CliContext, flags: { olderThan?: string; json?: boolean }): Promise<void> => {
  const { config } = await loadCliConfig(context, { mediaRetentionDays: flag('--older-than', flags.olderThan) });
  const days = config.mediaRetentionDays;
  if (!days) {
    throw vidbotError('VIDBOT_INPUT_INVALID', 'No age given: media prune deletes uploads older than a number of days.', {
      hint: 'Pass --older-than <days>, or set VIDBOT_MEDIA_RETENTION_DAYS.',
    });
  }
  const vidbot = await createVidbot(config, { env: { ...context.env }, onWarning: warnOn(context) });
  try {
    const prune = vidbot.mediaHost.prune?.bind(vidbot.mediaHost);
    if (!prune) {
      throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `The ${vidbot.mediaHost.name} media host keeps nothing remotely to prune.`, {
        hint: 'Set CLOUDINARY_URL to prune Cloudinary uploads; local media lives in VIDBOT_MEDIA_DIR (default VIDBOT_DATA_DIR/media).',
      });
    }
    const { deleted } = await prune({ olderThanDays: days, signal: context.signal });
    if (flags.json) {
      context.stdout.write(`${JSON.stringify({ ok: true, olderThanDays: days, deleted })}\n`);
      return;
    }
    context.stdout.write(`Deleted ${deleted.length} upload(s) older than ${days} day(s) from ${vidbot.mediaHost.name}.\n`);
    for (const id of deleted) context.stdout.write(`  ${id}\n`);
  } finally {
    await vidbot.close();
  }
};
