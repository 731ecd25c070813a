import { maybe, type ModelSpec, ratio } from './spec.ts';

export const klingLumaPixverseModels: readonly ModelSpec[] = [
  {
    id: 'kwaivgi/kling-v2.1',
    provider: 'replicate',
    description: 'Kling 2.1: 5 or 10 s; animates a start image (image-to-video only)',
    image: 'required',
    lastFrame: false,
    durations: [5, 10],
    audio: false,
    toInput: (request, frames, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      mode: 'standard',
      ...maybe('start_image', frames.first),
    }),
  },
  {
    id: 'kwaivgi/kling-v2.5-turbo-pro',
    provider: 'replicate',
    description: 'Kling 2.5 Turbo Pro: 5 or 10 s; text or start image',
    image: 'optional',
    lastFrame: false,
    durations: [5, 10],
    audio: false,
    // The model ignores aspect_ratio when it has a start image: the image's own shape wins.
    toInput: (request, frames, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      aspect_ratio: ratio(request.orientation),
      ...maybe('start_image', frames.first),
    }),
  },
  {
    id: 'luma/ray-2-720p',
    provider: 'replicate',
    description: 'Luma Ray 2 (720p): 5 or 9 s; text, start and end image',
    image: 'optional',
    lastFrame: true,
    durations: [5, 9],
    audio: false,
    toInput: (request, frames, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      aspect_ratio: ratio(request.orientation),
      ...maybe('start_image', frames.first),
      ...maybe('end_image', frames.last),
    }),
  },
  {
    id: 'pixverse/pixverse-v4',
    provider: 'replicate',
    description: 'PixVerse v4: 5 or 8 s, 720p; text, first and last frame',
    image: 'optional',
    lastFrame: true,
    durations: [5, 8],
    audio: false,
    toInput: (request, frames, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      quality: '720p',
      aspect_ratio: ratio(request.orientation),
      ...maybe('image', frames.first),
      ...(frames.first ? maybe('last_frame_image', frames.last) : {}),
    }),
  },
];
