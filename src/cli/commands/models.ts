import { catalogue, type ModelSpec } from '../../lib/video-provider/catalogue/index.ts';
import { type CliContext, loadCliConfig } from '../context.ts';

const seconds = (durations: readonly number[]): string =>
  durations.length === 1
    ? `${durations[0]} s`
    : // A run of every whole second reads as a range.
      durations.length > 3 && durations.every((d, i) => i === 0 || d === (durations[i - 1] ?? 0) + 1)
      ? `${durations[0]} to ${durations.at(-1)} s`
      : `${durations.slice(0, -1).join(', ')} or ${durations.at(-1)} s`;

const IMAGE: Record<ModelSpec['image'], string> = { none: 'text only', optional: 'text or photo', required: 'needs a photo' };

/** One short line of what a model takes and makes, under 80 columns with its indent. */
const summary = (spec: ModelSpec): string =>
  [seconds(spec.durations), IMAGE[spec.image], ...(spec.lastFrame ? ['last frame'] : []), spec.audio ? 'with sound' : 'silent'].join(' · ');

const PROVIDERS = [
  { provider: 'replicate', title: 'Replicate', variable: 'REPLICATE_MODEL' },
  { provider: 'fal', title: 'fal.ai', variable: 'FAL_MODEL' },
] as const;

/** `vidbot models`: the catalogue by provider, with each provider's configured default marked. */
export const modelsCommand = async (context: CliContext, flags: { json?: boolean }): Promise<void> => {
  const { config } = await loadCliConfig(context);
  const defaults = { replicate: config.replicateModel, fal: config.falModel };
  const rows = catalogue.map((spec) => ({
    id: spec.id,
    provider: spec.provider,
    default: spec.id === defaults[spec.provider],
    image: spec.image,
    lastFrame: spec.lastFrame,
    durations: spec.durations,
    audio: spec.audio,
    description: spec.description,
  }));
  if (flags.json) {
    context.stdout.write(`${JSON.stringify({ default: config.replicateModel, defaults, models: rows })}\n`);
    return;
  }
  const blocks = PROVIDERS.map(({ provider, title, variable }) => {
    const specs = catalogue.filter((spec) => spec.provider === provider);
    const lines = specs.map((spec) => `${spec.id === defaults[provider] ? '*' : ' '} ${spec.id}\n      ${summary(spec)}`);
    const custom = specs.some((spec) => spec.id === defaults[provider]) ? [] : [`* ${defaults[provider]} (${variable}; not in the catalogue: only the prompt is mapped)`];
    return [`${title} (* = ${variable})`, ...lines, ...custom].join('\n');
  });
  context.stdout.write(
    `${blocks.join('\n\n')}\n\nAny other model works too, with its inputs given as --input key=value:\n` +
      '  vidbot generate "..." --provider fal --model owner/app --input key=value\n' +
      'A Cog server (VIDBOT_COG_URL) runs its own model: `vidbot doctor` lists\nits inputs.\n',
  );
};
