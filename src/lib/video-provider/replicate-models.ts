import { vidbotError } from '../errors.ts';
import type { VideoRequest } from './port.ts';

export type ModelInput = Record<string, string | number | boolean>;

export interface ModelSpec {
  readonly id: string;
  readonly description: string;
  /** Whether a first-frame image can be given, and whether the model refuses to run without one. */
  readonly image: 'none' | 'optional' | 'required';
  /** Seconds the model can make; the request's duration is rounded to the nearest. */
  readonly durations: readonly number[];
  /** How vidbot's request becomes the model's inputs; `image` is a data URI or URL. */
  readonly toInput: (request: VideoRequest, image: string | undefined, durationSec: number) => ModelInput;
}

const aspect = (request: VideoRequest): string => (request.orientation === 'landscape' ? '16:9' : '9:16');

/** The models vidbot maps by name; any other model runs with raw `--input key=value` inputs. */
export const replicateModels: readonly ModelSpec[] = Object.freeze([
  {
    id: 'minimax/video-01',
    description: 'MiniMax Hailuo video-01: 6 s, 720p; text or first frame',
    image: 'optional',
    durations: [6],
    toInput: (request, image) => ({
      prompt: request.prompt,
      prompt_optimizer: true,
      ...(image ? { first_frame_image: image } : {}),
    }),
  },
  {
    id: 'minimax/hailuo-02',
    description: 'MiniMax Hailuo 02: 6 or 10 s, up to 1080p; text or first frame',
    image: 'optional',
    durations: [6, 10],
    // 10-second clips exist only at 768p.
    toInput: (request, image, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      resolution: durationSec === 10 ? '768p' : '1080p',
      prompt_optimizer: true,
      ...(image ? { first_frame_image: image } : {}),
    }),
  },
  {
    id: 'google/veo-3-fast',
    description: 'Google Veo 3 Fast: 8 s with audio, 16:9 or 9:16; text or first frame',
    image: 'optional',
    durations: [8],
    toInput: (request, image) => ({
      prompt: request.prompt,
      aspect_ratio: aspect(request),
      resolution: '720p',
      ...(image ? { image } : {}),
    }),
  },
  {
    id: 'kwaivgi/kling-v2.1',
    description: 'Kling 2.1: 5 or 10 s; animates a start image (image-to-video only)',
    image: 'required',
    durations: [5, 10],
    toInput: (request, image, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      mode: 'standard',
      ...(image ? { start_image: image } : {}),
    }),
  },
]);

/** "owner/name" of "owner/name:version". */
const baseId = (model: string): string => model.split(':')[0] ?? model;

export const findModel = (model: string): ModelSpec | undefined =>
  replicateModels.find((spec) => spec.id === baseId(model).toLowerCase());

const MODEL_ID = /^[\w.-]+\/[\w.-]+(?::[0-9a-f]{64})?$/i;

export const assertModelId = (model: string): void => {
  if (!MODEL_ID.test(model)) {
    throw vidbotError('VIDBOT_MODEL_UNKNOWN', `"${model}" is not a Replicate model id.`, {
      hint: 'Use owner/name or owner/name:version, e.g. minimax/video-01; `vidbot models` lists known ones.',
    });
  }
};

const nearest = (wanted: number, choices: readonly number[]): number =>
  choices.reduce((best, choice) => (Math.abs(choice - wanted) < Math.abs(best - wanted) ? choice : best), choices[0] ?? wanted);

/**
 * The inputs one prediction gets: the catalogue's mapping for known models (or just the prompt for
 * others), with raw inputs laid over it so a user can set anything the model accepts.
 */
export const buildModelInput = (model: string, request: VideoRequest, image: string | undefined): ModelInput => {
  const spec = findModel(model);
  if (spec?.image === 'required' && !image && !hasImageInput(request.inputs)) {
    throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `${spec.id} animates a start image and cannot work from text alone.`, {
      hint: 'Send a photo with the prompt (WhatsApp), pass --image, or choose a text-to-video model such as minimax/video-01.',
    });
  }
  if (image && spec?.image === 'none') {
    throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `${spec.id} cannot start from an image.`);
  }
  if (image && !spec) {
    throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `vidbot does not know which input of ${model} takes an image.`, {
      hint: 'Pass the image yourself with --input <name>=<url>, or use a model from `vidbot models`.',
    });
  }
  const base: ModelInput = spec
    ? spec.toInput(request, image, nearest(request.durationSec, spec.durations))
    : { prompt: request.prompt };
  return { ...base, ...request.inputs };
};

const hasImageInput = (inputs: VideoRequest['inputs']): boolean =>
  Object.keys(inputs ?? {}).some((key) => /image/.test(key));

/** Parses repeatable `key=value` flags; numbers and booleans become JSON values, the rest stay strings. */
export const parseInputFlags = (pairs: readonly string[]): ModelInput => {
  const inputs: ModelInput = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (!key) {
      throw vidbotError('VIDBOT_INPUT_INVALID', `--input "${pair}" is not key=value.`, {
        hint: 'Write each model input as key=value, e.g. --input duration=10 --input prompt_optimizer=false.',
      });
    }
    const raw = pair.slice(at + 1);
    inputs[key] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return inputs;
};
