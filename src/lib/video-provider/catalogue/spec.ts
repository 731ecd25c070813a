/**
 * What vidbot knows about a hosted model: which of vidbot's request fields it takes and under which
 * input names. One file per family keeps each family's quirks (durations, sizes) together.
 */
import type { Orientation } from '../../domain.ts';
import type { VideoRequest } from '../port.ts';

export type ModelInput = Record<string, string | number | boolean>;

/** The providers that host catalogued models. */
export type CatalogueProvider = 'replicate' | 'fal';

/** Images a request brings: data URIs or URLs. */
export interface Frames {
  readonly first?: string;
  readonly last?: string;
}

export interface ModelSpec {
  /** Replicate's owner/name, or fal's endpoint id for text-to-video. */
  readonly id: string;
  readonly provider: CatalogueProvider;
  readonly description: string;
  /** Whether a first-frame image can be given, and whether the model refuses to run without one. */
  readonly image: 'none' | 'optional' | 'required';
  /** Whether a last frame can be given (the video moves from the first image to it). */
  readonly lastFrame: boolean;
  /** Seconds the model can make; the request's duration is rounded to the nearest. */
  readonly durations: readonly number[];
  /** Whether the video comes with sound the model made (kept through compression). */
  readonly audio: boolean;
  /** fal: a request with a first frame goes to this endpoint instead of `id`. */
  readonly imageEndpoint?: string;
  /** How vidbot's request becomes the model's inputs. */
  readonly toInput: (request: VideoRequest, frames: Frames, durationSec: number) => ModelInput;
}

export const ratio = (orientation: Orientation): string => (orientation === 'landscape' ? '16:9' : '9:16');

/** Sets `name` only when the value exists, so an absent image never becomes an empty input. */
export const maybe = (name: string, value: string | undefined): ModelInput => (value === undefined ? {} : { [name]: value });

export const nearest = (wanted: number, choices: readonly number[]): number =>
  choices.reduce((best, choice) => (Math.abs(choice - wanted) < Math.abs(best - wanted) ? choice : best), choices[0] ?? wanted);
