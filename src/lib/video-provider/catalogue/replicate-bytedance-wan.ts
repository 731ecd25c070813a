import { maybe, type ModelSpec, ratio } from './spec.ts';

const seedance = (id: string, description: string): ModelSpec => ({
  id,
  provider: 'replicate',
  description,
  image: 'optional',
  lastFrame: true,
  // 4 to 15 s (the schema also takes -1, "the model picks"; vidbot asks for what the user asked).
  durations: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  audio: true,
  toInput: (request, frames, durationSec) => ({
    prompt: request.prompt,
    duration: durationSec,
    resolution: '720p',
    aspect_ratio: ratio(request.orientation),
    generate_audio: true,
    ...maybe('image', frames.first),
    ...(frames.first ? maybe('last_frame_image', frames.last) : {}),
  }),
});

/** Wan 2.5 text-to-video names a pixel size ("width*height") rather than a ratio. */
const wanSize = (landscape: boolean): string => (landscape ? '1280*720' : '720*1280');

export const bytedanceWanModels: readonly ModelSpec[] = [
  seedance('bytedance/seedance-2.0', 'ByteDance Seedance 2.0: 4 to 15 s with audio; text, first and last frame'),
  seedance('bytedance/seedance-2.0-fast', 'ByteDance Seedance 2.0 Fast: 4 to 15 s with audio; text, first and last frame'),
  {
    id: 'wan-video/wan-2.5-t2v',
    provider: 'replicate',
    description: 'Wan 2.5 text-to-video: 5 or 10 s, 720p, with audio; text only',
    image: 'none',
    lastFrame: false,
    durations: [5, 10],
    audio: true,
    toInput: (request, _frames, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      size: wanSize(request.orientation === 'landscape'),
      enable_prompt_expansion: true,
    }),
  },
  {
    id: 'wan-video/wan-2.5-i2v',
    provider: 'replicate',
    description: 'Wan 2.5 image-to-video: 5 or 10 s, 720p, with audio; animates a first frame',
    image: 'required',
    lastFrame: false,
    durations: [5, 10],
    audio: true,
    toInput: (request, frames, durationSec) => ({
      prompt: request.prompt,
      duration: durationSec,
      resolution: '720p',
      enable_prompt_expansion: true,
      ...maybe('image', frames.first),
    }),
  },
];
