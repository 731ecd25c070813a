/**
 * One catalogue of vidbot's errors. Every error a user can see has a stable code, a default hint,
 * an exit code for the CLI, an HTTP status for the server, and two flags: whether the user can fix
 * it (as opposed to a bug in vidbot) and whether retrying the same work may succeed.
 */
export interface ErrorSpec {
  readonly exitCode: number;
  readonly httpStatus: number;
  readonly userFixable: boolean;
  readonly retryable: boolean;
  readonly hint: string;
}

const spec = (
  exitCode: number,
  httpStatus: number,
  userFixable: boolean,
  retryable: boolean,
  hint: string,
): ErrorSpec => Object.freeze({ exitCode, httpStatus, userFixable, retryable, hint });

export const errorCatalogue = Object.freeze({
  VIDBOT_INPUT_INVALID: spec(2, 400, true, false, 'Check the value and try again; `vidbot <command> --help` lists the options.'),
  VIDBOT_PROMPT_EMPTY: spec(2, 400, true, false, 'Give a prompt, e.g. vidbot generate "a fox running through a neon city at night".'),
  VIDBOT_PROMPT_TOO_LONG: spec(2, 400, true, false, 'Shorten the prompt, or raise the cap with VIDBOT_PROMPT_MAX_CHARS.'),
  VIDBOT_CONFIG_INVALID: spec(78, 500, true, false, 'Fix the value in your environment, .env file or `vidbot config set`.'),
  VIDBOT_FILE_NOT_FOUND: spec(66, 404, true, false, 'Check the path; it is resolved from the current directory.'),
  VIDBOT_MEDIA_INVALID: spec(65, 422, true, false, 'Pass a complete video file with a video stream (mp4, mov, webm, mkv, ...).'),
  VIDBOT_OUTPUT_UNWRITABLE: spec(73, 500, true, false, 'Choose an output path in a folder that exists and that you can write to.'),
  VIDBOT_SIZE_LIMIT_UNREACHABLE: spec(65, 422, true, false, 'Raise --max-bytes (WhatsApp accepts 16 MB) or shorten the video.'),
  VIDBOT_FFMPEG_NOT_FOUND: spec(69, 503, true, false, 'Install ffmpeg (apt-get install ffmpeg) or set FFMPEG_BIN to its path.'),
  VIDBOT_FFMPEG_FAILED: spec(70, 500, false, true, 'Run again with --verbose to see ffmpeg\'s output.'),
  VIDBOT_PROVIDER_FAILED: spec(69, 502, false, true, 'The video provider failed; try again in a moment.'),
  VIDBOT_PROVIDER_AUTH: spec(77, 502, true, false, 'Check REPLICATE_API_TOKEN: create a token in your Replicate account settings.'),
  VIDBOT_MODEL_UNKNOWN: spec(2, 400, true, false, '`vidbot models` lists the models vidbot knows; check REPLICATE_MODEL or --model.'),
  VIDBOT_GENERATION_FAILED: spec(69, 502, false, false, 'The model could not make this video; try another prompt.'),
  VIDBOT_PROVIDER_UNKNOWN: spec(2, 400, true, false, 'Use one of the providers listed by `vidbot generate --help`.'),
  VIDBOT_CAPABILITY_UNSUPPORTED: spec(2, 400, true, false, 'Choose a provider or model that supports this request.'),
  VIDBOT_STORE_FAILED: spec(74, 503, false, true, 'Check that the data directory (VIDBOT_DATA_DIR) is writable and not full.'),
  VIDBOT_TASK_NOT_FOUND: spec(66, 404, true, false, 'Check the task id with `vidbot status`.'),
  VIDBOT_CANCELED: spec(130, 409, true, false, 'The task was canceled; start it again to retry.'),
  VIDBOT_TIMEOUT: spec(75, 504, false, true, 'The operation took too long; try again.'),
  VIDBOT_MESSENGER_FAILED: spec(69, 502, false, true, 'Sending the message failed; it is retried. Check the messenger\'s status page.'),
  VIDBOT_MESSENGER_AUTH: spec(77, 502, true, false, 'Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.'),
  VIDBOT_DELIVERY_REFUSED: spec(69, 502, true, false, 'The channel refused the message (its code says why); the task keeps its video: fix the cause, then retry the task.'),
  VIDBOT_JOB_ABANDONED: spec(70, 500, false, false, 'A worker died on every attempt of this job (out of memory? killed?); check the worker logs, then retry the task.'),
  VIDBOT_SIGNATURE_INVALID: spec(77, 403, true, false, 'Sign with the URL Twilio posts to (PUBLIC_BASE_URL + path); `vidbot sign --curl` shows how.'),
  VIDBOT_UNAUTHORIZED: spec(77, 401, true, false, 'Send Authorization: Bearer <VIDBOT_API_KEY>, or call from the same machine when no key is set.'),
  VIDBOT_RATE_LIMITED: spec(75, 429, true, true, 'Wait a minute before sending more.'),
  VIDBOT_NOT_FOUND: spec(66, 404, true, false, 'Check the URL; GET / lists the endpoints.'),
  VIDBOT_UNSUPPORTED_MEDIA_TYPE: spec(2, 415, true, false, 'Send application/x-www-form-urlencoded (webhooks) or application/json (API).'),
  VIDBOT_BODY_TOO_LARGE: spec(2, 413, true, false, 'Send a smaller request body.'),
  VIDBOT_TUNNEL_FAILED: spec(69, 502, true, true, 'Check NGROK_AUTHTOKEN and the network, or run without --tunnel.'),
  VIDBOT_SERVER_UNREACHABLE: spec(69, 503, true, true, 'Start it with `vidbot serve`, or check --server.'),
  VIDBOT_DOCTOR_FAILED: spec(1, 500, true, false, 'Each ✖ line above has its fix; run `vidbot doctor` again after fixing.'),
  VIDBOT_INTERNAL: spec(70, 500, false, false, 'This is a bug in vidbot; run with --verbose and report the stack trace.'),
});

export type ErrorCode = keyof typeof errorCatalogue;

export interface VidbotErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Overrides the catalogue when one occurrence differs (e.g. an HTTP 400 from a provider is final). */
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export class VidbotError extends Error {
  override readonly name = 'VidbotError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: VidbotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint ?? errorCatalogue[code].hint;
    this.retryable = options.retryable ?? errorCatalogue[code].retryable;
    this.details = Object.freeze({ ...options.details });
  }

  get userFixable(): boolean {
    return errorCatalogue[this.code].userFixable;
  }

  get exitCode(): number {
    return errorCatalogue[this.code].exitCode;
  }

  get httpStatus(): number {
    return errorCatalogue[this.code].httpStatus;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; retryable: boolean } {
    return { code: this.code, message: this.message, hint: this.hint, retryable: this.retryable };
  }
}

export const vidbotError = (code: ErrorCode, message: string, options?: VidbotErrorOptions): VidbotError =>
  new VidbotError(code, message, options);

export const isVidbotError = (error: unknown, code?: ErrorCode): error is VidbotError =>
  error instanceof VidbotError && (code === undefined || error.code === code);

/** Whether an abort (user cancel, shutdown) caused this error, rather than a failure. */
export const isAbortError = (error: unknown): boolean =>
  isVidbotError(error, 'VIDBOT_CANCELED') ||
  (error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR'));

/** Wraps anything thrown into a VidbotError, keeping vidbot's own errors as they are. */
export const toVidbotError = (error: unknown): VidbotError => {
  if (error instanceof VidbotError) return error;
  if (isAbortError(error)) return new VidbotError('VIDBOT_CANCELED', 'Canceled.', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new VidbotError('VIDBOT_INTERNAL', message, { cause: error });
};

/** Why a job's signal fired, when a queue aborted it: a user's cancel, a release at shutdown, or a lost lease. */
export type AbortKind = 'cancel' | 'release' | 'lease-lost';

export const abortKindOf = (signal: AbortSignal | undefined): AbortKind | undefined => {
  const reason: unknown = signal?.reason;
  const kind = reason instanceof VidbotError ? reason.details.reason : undefined;
  return kind === 'cancel' || kind === 'release' || kind === 'lease-lost' ? kind : undefined;
};

/** Throws VIDBOT_CANCELED when the signal has fired; call between steps of long work. */
export const throwIfAborted = (signal: AbortSignal | undefined): void => {
  if (signal?.aborted) {
    throw new VidbotError('VIDBOT_CANCELED', 'Canceled.', { cause: signal.reason });
  }
};
