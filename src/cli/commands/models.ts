import { replicateModels } from '../../lib/video-provider/replicate-models.ts';
import { type CliContext, loadCliConfig } from '../context.ts';

/** `vidbot models`: the catalogue, with the configured default marked. */
export const modelsCommand = async (context: CliContext, flags: { json?: boolean }): Promise<void> => {
  const { config } = await loadCliConfig(context);
  const rows = replicateModels.map((spec) => ({
    id: spec.id,
    default: spec.id === config.replicateModel,
    image: spec.image,
    durations: spec.durations,
    description: spec.description,
  }));
  if (flags.json) {
    context.stdout.write(`${JSON.stringify({ default: config.replicateModel, models: rows })}\n`);
    return;
  }
  const width = Math.max(...rows.map((row) => row.id.length)) + 2;
  const lines = rows.map((row) => `${row.default ? '*' : ' '} ${row.id.padEnd(width)}${row.description}`);
  const custom = rows.some((row) => row.default) ? '' : `\n* ${config.replicateModel} (REPLICATE_MODEL; not in the catalogue: only the prompt is mapped)\n`;
  context.stdout.write(
    `${lines.join('\n')}\n${custom}\n* = default (REPLICATE_MODEL). Any other Replicate model works too:\n` +
      '  vidbot generate "..." --provider replicate --model owner/name --input key=value\n',
  );
};
