/**
 * A Cog model names its own inputs; its /openapi.json says which. vidbot's request is mapped onto
 * the names it recognises (prompt, first and last frame, duration, aspect ratio or width/height).
 */
import { vidbotError } from '../../errors.ts';
import type { Frames, ModelInput } from '../catalogue/index.ts';
import type { VideoRequest } from '../port.ts';

interface Property {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly allOf?: readonly { $ref?: string }[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface CogInputs {
  readonly names: readonly string[];
  readonly prompt?: string;
  readonly image?: string;
  readonly lastFrame?: string;
  readonly duration?: string;
  readonly aspect?: string;
  readonly size?: { readonly width: number; readonly height: number };
  readonly properties: Readonly<Record<string, Property & { enumValues?: readonly unknown[] }>>;
}

const PROMPT = ['prompt', 'text', 'caption'];
const IMAGE = ['image', 'first_frame_image', 'start_image', 'input_image', 'init_image', 'image_url'];
const LAST = ['last_frame_image', 'end_image', 'last_image', 'last_frame'];
const DURATION = ['duration', 'seconds', 'video_length', 'length'];
const ASPECT = ['aspect_ratio', 'aspect'];

const first = (names: readonly string[], wanted: readonly string[]) => wanted.find((name) => names.includes(name));

/** Reads the Input schema of a Cog model's /openapi.json. */
export const readCogInputs = (openapi: unknown): CogInputs => {
  const schemas = (openapi as { components?: { schemas?: Record<string, { properties?: Record<string, Property>; enum?: unknown[] }> } })?.components?.schemas;
  const props = schemas?.Input?.properties;
  if (!props) throw vidbotError('VIDBOT_PROVIDER_FAILED', "The Cog server's /openapi.json has no Input schema.", { retryable: false });
  // Cog writes an enum input as a reference to its own schema (allOf: [{$ref}]).
  const properties = Object.fromEntries(
    Object.entries(props).map(([name, p]) => {
      const ref = p.allOf?.[0]?.$ref?.split('/').at(-1);
      const enumValues = p.enum ?? (ref ? schemas?.[ref]?.enum : undefined);
      return [name, { ...p, ...(enumValues ? { enumValues } : {}) }];
    }),
  );
  const names = Object.keys(properties);
  const width = properties.width?.default;
  const height = properties.height?.default;
  const prompt = first(names, PROMPT);
  const image = first(names, IMAGE);
  const lastFrame = first(names, LAST);
  const duration = first(names, DURATION);
  const aspect = first(names, ASPECT);
  return {
    names,
    properties,
    ...(prompt ? { prompt } : {}),
    ...(image ? { image } : {}),
    ...(lastFrame ? { lastFrame } : {}),
    ...(duration ? { duration } : {}),
    ...(aspect ? { aspect } : {}),
    ...(typeof width === 'number' && typeof height === 'number' ? { size: { width, height } } : {}),
  };
};

const nearestOf = (wanted: number, values: readonly number[]) =>
  values.reduce((best, v) => (Math.abs(v - wanted) < Math.abs(best - wanted) ? v : best), values[0] ?? wanted);

/** The inputs for one prediction; raw inputs are laid over the mapping. */
export const buildCogInput = (inputs: CogInputs, request: VideoRequest, frames: Frames): ModelInput => {
  if (!inputs.prompt) {
    throw vidbotError('VIDBOT_MODEL_UNKNOWN', `The Cog model takes no prompt (its inputs: ${inputs.names.join(', ')}).`, {
      hint: 'Serve a text-to-video model, or pass its inputs with --input key=value.',
    });
  }
  if (frames.first && !inputs.image) throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', 'The Cog model takes no image.');
  if (frames.last && !inputs.lastFrame) throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', 'The Cog model takes no last frame.');
  const input: ModelInput = { [inputs.prompt]: request.prompt };
  if (frames.first && inputs.image) input[inputs.image] = frames.first;
  if (frames.last && inputs.lastFrame) input[inputs.lastFrame] = frames.last;
  if (inputs.duration) {
    const p = inputs.properties[inputs.duration];
    const choices = p?.enumValues?.filter((v): v is number => typeof v === 'number');
    let seconds = choices?.length ? nearestOf(request.durationSec, choices) : request.durationSec;
    if (p?.minimum !== undefined) seconds = Math.max(p.minimum, seconds);
    if (p?.maximum !== undefined) seconds = Math.min(p.maximum, seconds);
    input[inputs.duration] = p?.type === 'integer' ? Math.round(seconds) : seconds;
  }
  const ratio = request.orientation === 'landscape' ? '16:9' : '9:16';
  if (inputs.aspect) {
    const allowed = inputs.properties[inputs.aspect]?.enumValues;
    if (!allowed || allowed.includes(ratio)) input[inputs.aspect] = ratio;
  } else if (inputs.size) {
    const [long, short] = [Math.max(inputs.size.width, inputs.size.height), Math.min(inputs.size.width, inputs.size.height)];
    input.width = request.orientation === 'landscape' ? long : short;
    input.height = request.orientation === 'landscape' ? short : long;
  }
  return { ...input, ...request.inputs };
};
