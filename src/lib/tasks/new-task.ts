/**
 * A task as the library's callers ask for it (a prompt and a few choices), completed from the
 * configuration into what the store keeps: the prompt checked, the session, the full options.
 */
import { type Config, settings } from '../config/settings.ts';
import { vidbotError } from '../errors.ts';
import { validatePrompt } from '../pipeline/prompt.ts';
import type { NewTask, TaskOptions } from '../store/port.ts';

export interface CreateTaskInput {
  readonly prompt: string;
  /** The conversation it belongs to (default: the sender, else `cli`). */
  readonly sessionId?: string;
  readonly from?: string;
  readonly taskId?: string;
  /** The channel's id of the inbound message that asked for it (dedupes redeliveries). */
  readonly messageId?: string;
  /** The channel the request came through and its result goes back on (default: the first). */
  readonly channel?: string;
  readonly options?: Partial<Omit<TaskOptions, 'provider'>>;
}

/** A task id as the library's callers pass it (runTask, cancelTask, retryTask): a call without one is a mistake in the call. */
export const assertTaskId = (taskId: unknown): void => {
  if (typeof taskId !== 'string' || taskId.trim() === '') {
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', `A task id must be a non-empty string, got ${taskId === '' ? 'an empty string' : typeof taskId}.`);
  }
};

const KINDS: ReadonlyArray<readonly [keyof NonNullable<CreateTaskInput['options']>, 'boolean' | 'string' | 'number' | 'object']> = [
  ['polish', 'boolean'],
  ['useCache', 'boolean'],
  ['model', 'string'],
  ['firstFrameImage', 'string'],
  ['take', 'number'],
  ['inputs', 'object'],
];

/** The choices a caller may make, checked as the CLI checks its flags: a bad one fails here, not deep in a run. */
const checkOptions = (options: CreateTaskInput['options']): void => {
  if (options != null && typeof options !== 'object') throw vidbotError('VIDBOT_INVALID_ARGUMENT', `options must be an object, got ${typeof options}.`);
  for (const [name, kind] of KINDS) {
    const value: unknown = options?.[name];
    if (value != null && (typeof value !== kind || (kind === 'object' && Array.isArray(value)))) throw vidbotError('VIDBOT_INPUT_INVALID', `${name} must be a ${kind === 'object' ? 'plain object' : kind}, got ${JSON.stringify(value)}.`);
  }
  const { orientation, durationSec } = options ?? {};
  // null is none, as undefined: the configured default applies.
  if (orientation != null && orientation !== 'portrait' && orientation !== 'landscape') {
    throw vidbotError('VIDBOT_INPUT_INVALID', `orientation must be portrait or landscape, got ${JSON.stringify(orientation)}.`);
  }
  const { min = 1, max = 60 } = settings.videoSeconds;
  if (durationSec != null && !(typeof durationSec === 'number' && durationSec >= min && durationSec <= max)) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `durationSec must be a number of seconds from ${min} to ${max}, got ${JSON.stringify(durationSec)}.`);
  }
};

/**
 * Completes a caller's task from the configuration; throws VIDBOT_PROMPT_EMPTY or _TOO_LONG for a bad
 * prompt, VIDBOT_INPUT_INVALID for a bad orientation or duration.
 */
export const newTaskFrom =
  (config: Config, provider: string) =>
  (input: CreateTaskInput): NewTask => {
    if (typeof input !== 'object' || input === null) {
      throw vidbotError('VIDBOT_INVALID_ARGUMENT', `A task is asked for with an object such as { prompt: 'a fox in the snow' }, got ${input === null ? 'null' : typeof input}.`);
    }
    const prompt = validatePrompt(input.prompt, config.promptMaxChars);
    checkOptions(input.options);
    return {
      prompt,
      sessionId: input.sessionId ?? input.from ?? 'cli',
      from: input.from ?? '',
      ...(input.taskId ? { taskId: input.taskId } : {}),
      ...(input.messageId ? { messageId: input.messageId } : {}),
      ...(input.channel ? { channel: input.channel } : {}),
      options: {
        provider,
        orientation: input.options?.orientation ?? config.orientation,
        durationSec: input.options?.durationSec ?? config.videoSeconds,
        polish: input.options?.polish ?? config.polish,
        useCache: input.options?.useCache ?? true,
        ...(input.options?.model ? { model: input.options.model } : {}),
        ...(input.options?.firstFrameImage ? { firstFrameImage: input.options.firstFrameImage } : {}),
        ...(input.options?.inputs ? { inputs: input.options.inputs } : {}),
        ...(input.options?.take !== undefined && input.options.take > 1 ? { take: input.options.take } : {}),
      },
    };
  };
