/**
 * The same families on fal.ai. fal splits text-to-video and image-to-video into two endpoints and
 * takes images as `image_url` (a URL or a data URI); durations are strings ("5", "8s").
 */
import { maybe, type ModelSpec, ratio } from './spec.ts';

const kling: ModelSpec = {
  id: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video',
  imageEndpoint: 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video',
  provider: 'fal',
  description: 'Kling 2.5 Turbo Pro on fal: 5 or 10 s; text or first frame',
  image: 'optional',
  lastFrame: false,
  durations: [5, 10],
  audio: false,
  toInput: (request, frames, durationSec) => ({
    prompt: request.prompt,
    duration: String(durationSec),
    // The image-to-video endpoint takes its shape from the image and has no aspect_ratio.
    ...(frames.first ? { image_url: frames.first } : { aspect_ratio: ratio(request.orientation) }),
  }),
};

const veo = (id: string, description: string): ModelSpec => ({
  id,
  imageEndpoint: `${id}/image-to-video`,
  provider: 'fal',
  description,
  image: 'optional',
  lastFrame: false,
  durations: [4, 6, 8],
  audio: true,
  toInput: (request, frames, durationSec) => ({
    prompt: request.prompt,
    aspect_ratio: ratio(request.orientation),
    duration: `${durationSec}s`,
    resolution: '720p',
    generate_audio: true,
    ...maybe('image_url', frames.first),
  }),
});

const wan: ModelSpec = {
  id: 'fal-ai/wan-25-preview/text-to-video',
  imageEndpoint: 'fal-ai/wan-25-preview/image-to-video',
  provider: 'fal',
  description: 'Wan 2.5 on fal: 5 or 10 s, 720p, with audio; text or first frame',
  image: 'optional',
  lastFrame: false,
  durations: [5, 10],
  audio: true,
  toInput: (request, frames, durationSec) => ({
    prompt: request.prompt,
    duration: String(durationSec),
    resolution: '720p',
    enable_prompt_expansion: true,
    ...(frames.first ? { image_url: frames.first } : { aspect_ratio: ratio(request.orientation) }),
  }),
};

const hailuo: ModelSpec = {
  id: 'fal-ai/minimax/hailuo-2.3/standard/text-to-video',
  imageEndpoint: 'fal-ai/minimax/hailuo-2.3/standard/image-to-video',
  provider: 'fal',
  description: 'MiniMax Hailuo 2.3 on fal: 6 or 10 s, 768p; text or first frame',
  image: 'optional',
  lastFrame: false,
  durations: [6, 10],
  audio: false,
  toInput: (request, frames, durationSec) => ({
    prompt: request.prompt,
    duration: String(durationSec),
    prompt_optimizer: true,
    ...maybe('image_url', frames.first),
  }),
};

export const FAL_DEFAULT_MODEL = kling.id;

export const falModels: readonly ModelSpec[] = [
  kling,
  veo('fal-ai/veo3.1', 'Google Veo 3.1 on fal: 4-8 s with audio; text or first frame'),
  veo('fal-ai/veo3.1/fast', 'Google Veo 3.1 Fast on fal: 4-8 s with audio; text or first frame'),
  wan,
  hailuo,
];
