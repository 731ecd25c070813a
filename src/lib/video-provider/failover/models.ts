/**
 * Which provider of a chain hosts a model, and what the others run in its place. A failover keeps
 * the model's family where the next provider has it (Veo 3.1 on Replicate is Veo 3.1 on fal), and
 * uses that provider's own configured model otherwise: a video from another model beats none, and
 * the task records which model made it.
 */
import { findModel } from '../catalogue/index.ts';
import type { VideoProvider } from '../port.ts';

/** The same model on several providers: Replicate's id, then fal's. */
const FAMILIES: readonly (readonly string[])[] = [
  ['kwaivgi/kling-v2.5-turbo-pro', 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video'],
  ['google/veo-3.1', 'fal-ai/veo3.1'],
  ['google/veo-3.1-fast', 'fal-ai/veo3.1/fast'],
  ['wan-video/wan-2.5-t2v', 'wan-video/wan-2.5-i2v', 'fal-ai/wan-25-preview/text-to-video'],
  ['minimax/hailuo-2.3', 'fal-ai/minimax/hailuo-2.3/standard/text-to-video'],
];

const base = (model: string): string => (model.split(':')[0] ?? model).toLowerCase();

/** The provider (by name) that runs this model id: the catalogue's, a provider's own default, or by the id's shape. */
export const providerOfModel = (model: string, names: readonly string[], defaults: Readonly<Record<string, string>> = {}): string | undefined => {
  const byDefault = names.find((name) => defaults[name] === model);
  if (byDefault !== undefined) return byDefault;
  if (findModel(model, 'replicate') && names.includes('replicate')) return 'replicate';
  if (findModel(model, 'fal') && names.includes('fal')) return 'fal';
  if (base(model).startsWith('fal-ai/') && names.includes('fal')) return 'fal';
  // Any other owner/name is a Replicate model (vidbot passes it the prompt and --input values),
  // or, without Replicate, a fal endpoint (owner/app[/path]).
  if (/^[\w.-]+\/[\w.-]+(:\w+)?$/.test(model) && names.includes('replicate')) return 'replicate';
  if (/^[\w.-]+\/[\w.-]+(\/[\w.-]+)*$/.test(model) && names.includes('fal')) return 'fal';
  return undefined;
};

/**
 * The model `provider` runs in place of `model`: the same family when it has it (the one that
 * takes a photo, or works without one, as the request needs); undefined for its own default.
 */
export const equivalentModel = (model: string, provider: string, withImage: boolean): string | undefined => {
  if (provider !== 'replicate' && provider !== 'fal') return undefined;
  const family = FAMILIES.find((ids) => ids.includes(base(model))) ?? [];
  return family.find((id) => {
    const spec = findModel(id, provider);
    return spec !== undefined && spec.image !== (withImage ? 'none' : 'required');
  });
};

/** The order to try a chain in for a model: the provider that hosts it first, then the rest as configured. */
export const orderFor = (members: readonly VideoProvider[], model: string | undefined): VideoProvider[] => {
  if (model === undefined) return [...members];
  const defaults = Object.fromEntries(members.map((member) => [member.name, member.defaultModel]));
  const host = providerOfModel(model, members.map((member) => member.name), defaults);
  const first = members.find((member) => member.name === host);
  return first === undefined ? [...members] : [first, ...members.filter((member) => member !== first)];
};
