import { vidbotError } from '../../errors.ts';
import type { VideoRequest } from '../port.ts';
import { falModels } from './fal.ts';
import { googleModels } from './replicate-google.ts';
import { klingLumaPixverseModels } from './replicate-kling-luma-pixverse.ts';
import { minimaxModels } from './replicate-minimax.ts';
import { bytedanceWanModels } from './replicate-bytedance-wan.ts';
import { type CatalogueProvider, type Frames, type ModelInput, type ModelSpec, nearest } from './spec.ts';

export type { CatalogueProvider, Frames, ModelInput, ModelSpec } from './spec.ts';
export { FAL_DEFAULT_MODEL, falModels } from './fal.ts';

export const replicateModels: readonly ModelSpec[] = Object.freeze([
  ...minimaxModels,
  ...googleModels,
  ...bytedanceWanModels,
  ...klingLumaPixverseModels,
]);

/** Every catalogued model, Replicate's first. */
export const catalogue: readonly ModelSpec[] = Object.freeze([...replicateModels, ...falModels]);

/** "owner/name" of "owner/name:version". */
const baseId = (model: string): string => model.split(':')[0] ?? model;

export const findModel = (model: string, provider: CatalogueProvider = 'replicate'): ModelSpec | undefined => {
  const wanted = baseId(model).toLowerCase();
  return catalogue.find((spec) => spec.provider === provider && spec.id === wanted);
};

const hasImageInput = (inputs: VideoRequest['inputs']): boolean => Object.keys(inputs ?? {}).some((key) => /image/.test(key));

/**
 * The inputs one job gets: the catalogue's mapping for known models (or just the prompt for others),
 * with raw inputs laid over it so a user can set anything the model accepts. Refuses, before
 * anything is paid for, a request the model cannot take.
 */
export const buildModelInput = (
  model: string,
  request: VideoRequest,
  frames: Frames = {},
  provider: CatalogueProvider = 'replicate',
): ModelInput => {
  const spec = findModel(model, provider);
  if (spec?.image === 'required' && !frames.first && !hasImageInput(request.inputs)) {
    throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `${spec.id} animates a start image and cannot work from text alone.`, {
      hint: 'Send a photo with the prompt (WhatsApp), pass --image, or choose a text-to-video model (`vidbot models`).',
    });
  }
  if (frames.first && spec?.image === 'none') {
    throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `${spec.id} cannot start from an image.`);
  }
  if (frames.last && spec && !spec.lastFrame) {
    throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `${spec.id} cannot end on a given last frame.`);
  }
  if ((frames.first || frames.last) && !spec) {
    throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `vidbot does not know which input of ${model} takes an image.`, {
      hint: 'Pass the image yourself with --input <name>=<url>, or use a model from `vidbot models`.',
    });
  }
  const base: ModelInput = spec ? spec.toInput(request, frames, nearest(request.durationSec, spec.durations)) : { prompt: request.prompt };
  return { ...base, ...request.inputs };
};

/** The endpoint a fal request goes to: the image-to-video one when a first frame is given. */
export const falEndpoint = (model: string, frames: Frames): string => {
  const spec = findModel(model, 'fal');
  return frames.first && spec?.imageEndpoint ? spec.imageEndpoint : model;
};
