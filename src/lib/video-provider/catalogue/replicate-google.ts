import { maybe, type ModelSpec, ratio } from './spec.ts';

/** Veo 3.1 (and Fast): 4, 6 or 8 s with sound, a first and a last frame. */
const veo31 = (id: string, description: string): ModelSpec => ({
  id,
  provider: 'replicate',
  description,
  image: 'optional',
  lastFrame: true,
  durations: [4, 6, 8],
  audio: true,
  toInput: (request, frames, durationSec) => ({
    prompt: request.prompt,
    aspect_ratio: ratio(request.orientation),
    duration: durationSec,
    resolution: '720p',
    generate_audio: true,
    ...maybe('image', frames.first),
    // A last frame alone means nothing to Veo: it interpolates from a first one.
    ...(frames.first ? maybe('last_frame', frames.last) : {}),
  }),
});

export const googleModels: readonly ModelSpec[] = [
  {
    id: 'google/veo-3-fast',
    provider: 'replicate',
    description: 'Google Veo 3 Fast: 8 s with audio, 16:9 or 9:16; text or first frame',
    image: 'optional',
    lastFrame: false,
    durations: [8],
    audio: true,
    toInput: (request, frames) => ({
      prompt: request.prompt,
      aspect_ratio: ratio(request.orientation),
      resolution: '720p',
      ...maybe('image', frames.first),
    }),
  },
  veo31('google/veo-3.1', 'Google Veo 3.1: 4-8 s with audio; text, first and last frame'),
  veo31('google/veo-3.1-fast', 'Google Veo 3.1 Fast: 4-8 s with audio; text, first and last frame'),
];
