/**
 * Replicate's side of the catalogue (catalogue/ has the models), the model id check, and the
 * `--input key=value` parser every provider shares.
 */
import { vidbotError } from '../errors.ts';
import type { VideoRequest } from './port.ts';
import { buildModelInput as build, findModel as find, type ModelInput, type ModelSpec, replicateModels } from './catalogue/index.ts';

export type { ModelInput, ModelSpec } from './catalogue/index.ts';
export { replicateModels };

export const findModel = (model: string): ModelSpec | undefined => find(model, 'replicate');

/** Replicate's mapping of a request; `image` and `lastFrame` are data URIs or URLs. */
export const buildModelInput = (model: string, request: VideoRequest, image: string | undefined, lastFrame?: string): ModelInput =>
  build(model, request, { ...(image ? { first: image } : {}), ...(lastFrame ? { last: lastFrame } : {}) }, 'replicate');

const MODEL_ID = /^[\w.-]+\/[\w.-]+(?::[0-9a-f]{64})?$/i;

export const assertModelId = (model: string): void => {
  if (!MODEL_ID.test(model)) {
    throw vidbotError('VIDBOT_MODEL_UNKNOWN', `"${model}" is not a Replicate model id.`, {
      hint: 'Use owner/name or owner/name:version, e.g. minimax/video-01; `vidbot models` lists known ones.',
    });
  }
};

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
