import { maybe, type ModelSpec } from './spec.ts';

/** Hailuo 2.x shares its inputs: 10-second clips exist only at 768p. */
const hailuo = (id: string, description: string, image: ModelSpec['image']): ModelSpec => ({
  id,
  provider: 'replicate',
  description,
  image,
  lastFrame: false,
  durations: [6, 10],
  audio: false,
  toInput: (request, frames, durationSec) => ({
    prompt: request.prompt,
    duration: durationSec,
    resolution: durationSec === 10 ? '768p' : '1080p',
    prompt_optimizer: true,
    ...maybe('first_frame_image', frames.first),
  }),
});

export const minimaxModels: readonly ModelSpec[] = [
  {
    id: 'minimax/video-01',
    provider: 'replicate',
    description: 'MiniMax Hailuo video-01: 6 s, 720p; text or first frame',
    image: 'optional',
    lastFrame: false,
    durations: [6],
    audio: false,
    toInput: (request, frames) => ({ prompt: request.prompt, prompt_optimizer: true, ...maybe('first_frame_image', frames.first) }),
  },
  hailuo('minimax/hailuo-02', 'MiniMax Hailuo 02: 6 or 10 s, up to 1080p; text or first frame', 'optional'),
  hailuo('minimax/hailuo-2.3', 'MiniMax Hailuo 2.3: 6 or 10 s, up to 1080p; text or first frame', 'optional'),
  hailuo('minimax/hailuo-2.3-fast', 'MiniMax Hailuo 2.3 Fast: 6 or 10 s; animates a first frame', 'required'),
];
