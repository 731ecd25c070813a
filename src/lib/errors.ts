/**
 * One catalogue of vidbot's errors. Every error a person can see has a stable code, its kind, an
 * exit code for the CLI, an HTTP status for the server, whether retrying the same work may succeed,
 * and a default hint: one fit for any reader, and where that is not enough, one for the CLI's user
 * and one for an HTTP client.
 */

/**
 * Who can act on an error: the person (bad input, bad configuration, wrong credentials), nobody but
 * time or the operator of something outside (a service, the network, the disk), or the code (a bug in
 * vidbot, or in code that calls vidbot's library wrongly). Whether to print a stack or ask for a bug
 * report is one check of the kind.
 */
export type ErrorKind = 'user' | 'external' | 'bug';

/** Who reads a hint: a person at the CLI, or an HTTP client of the server. */
export type ErrorSurface = 'cli' | 'http';

export interface ErrorSpec {
  readonly kind: ErrorKind;
  readonly exitCode: number;
  readonly httpStatus: number;
  readonly retryable: boolean;
  /** The default hint, fit for any reader: a library caller, a log, the CLI and an HTTP client alike. */
  readonly hint: string;
  /** The default hint on the CLI, where the neutral one is not enough (it may name commands and flags). */
  readonly cliHint?: string;
  /** The default hint in an HTTP error body, where the neutral one is not enough (it may name endpoints and fields). */
  readonly httpHint?: string;
}

interface SpecInput {
  readonly hint: string;
  readonly cli?: string;
  readonly http?: string;
}

const spec = (kind: ErrorKind, exitCode: number, httpStatus: number, retryable: boolean, hints: SpecInput): ErrorSpec =>
  Object.freeze({
    kind,
    exitCode,
    httpStatus,
    retryable,
    hint: hints.hint,
    ...(hints.cli === undefined ? {} : { cliHint: hints.cli }),
    ...(hints.http === undefined ? {} : { httpHint: hints.http }),
  });

/** A bug reached the CLI (vidbot called itself wrongly) or the server: what its reader can do about it. */
const BUG_CLI = 'This is a bug in vidbot; please report it with the stack trace below.';
const BUG_HTTP = "This is a bug in vidbot; the server's log has the stack trace to report.";

export const errorCatalogue = Object.freeze({
  VIDBOT_INPUT_INVALID: spec('user', 2, 400, false, {
    hint: 'Check the value and try again.',
    cli: 'Check the value and try again; `vidbot <command> --help` lists the options.',
    http: 'Fix the request and send it again; GET / lists the endpoints.',
  }),
  VIDBOT_PROMPT_EMPTY: spec('user', 2, 400, false, {
    hint: 'Give a prompt that describes the video, e.g. "a fox running through a neon city at night".',
    cli: 'Give a prompt, e.g. vidbot generate "a fox running through a neon city at night".',
    http: 'Send a "prompt", e.g. {"prompt": "a fox running through a neon city at night"}.',
  }),
  VIDBOT_PROMPT_TOO_LONG: spec('user', 2, 400, false, {
    hint: 'Shorten the prompt, or raise the cap with VIDBOT_PROMPT_MAX_CHARS.',
    http: "Shorten the prompt; the server's VIDBOT_PROMPT_MAX_CHARS caps its length.",
  }),
  VIDBOT_CONFIG_INVALID: spec('user', 78, 500, false, {
    hint: 'Fix the value in the environment or the .env file.',
    cli: 'Fix the value in your environment, .env file or `vidbot config set`.',
  }),
  VIDBOT_FILE_NOT_FOUND: spec('user', 66, 404, false, { hint: 'Check the path; it is resolved from the current directory.' }),
  VIDBOT_MEDIA_INVALID: spec('user', 65, 422, false, { hint: 'Use a complete video file with a video stream (mp4, mov, webm, mkv, ...).' }),
  VIDBOT_OUTPUT_UNWRITABLE: spec('user', 73, 500, false, { hint: 'Choose an output path in a folder that exists and that you can write to.' }),
  VIDBOT_SIZE_LIMIT_UNREACHABLE: spec('user', 65, 422, false, {
    hint: 'Raise the size limit (WHATSAPP_MAX_BYTES; WhatsApp accepts 16 MB) or shorten the video.',
    cli: 'Raise --max-bytes (WhatsApp accepts 16 MB) or shorten the video.',
  }),
  VIDBOT_FFMPEG_NOT_FOUND: spec('user', 69, 503, false, { hint: 'Install ffmpeg (apt-get install ffmpeg) or set FFMPEG_BIN to its path.' }),
  VIDBOT_FFMPEG_FAILED: spec('external', 69, 500, true, {
    hint: "ffmpeg's own output (kept in the error's details) says why; check the input, or try again.",
    cli: "Run again with --verbose to see ffmpeg's output.",
    http: "ffmpeg failed on the server; its log has ffmpeg's output.",
  }),
  VIDBOT_PROVIDER_FAILED: spec('external', 69, 502, true, { hint: 'The video provider failed; try again in a moment.' }),
  VIDBOT_PROVIDER_AUTH: spec('user', 77, 502, false, {
    hint: "Check the video provider's key (REPLICATE_API_TOKEN or FAL_KEY): create one in that provider's account settings.",
  }),
  VIDBOT_MODEL_UNKNOWN: spec('user', 2, 400, false, {
    hint: 'Check the model (REPLICATE_MODEL, or the one asked for): owner/name of a model Replicate has, e.g. minimax/video-01.',
    cli: '`vidbot models` lists the models vidbot knows; check REPLICATE_MODEL or --model.',
  }),
  VIDBOT_GENERATION_FAILED: spec('external', 69, 502, false, { hint: 'The model could not make this video; try another prompt.' }),
  VIDBOT_CONTENT_REFUSED: spec('user', 65, 422, false, { hint: "The model's safety filter turned the prompt down: describe the video differently." }),
  VIDBOT_PROVIDER_UNKNOWN: spec('user', 2, 400, false, {
    hint: 'Use one of the providers vidbot has: auto, local, replicate, fal or cog (VIDBOT_PROVIDER).',
    cli: 'Use one of the providers listed by `vidbot generate --help`.',
  }),
  VIDBOT_CAPABILITY_UNSUPPORTED: spec('user', 2, 400, false, { hint: 'Choose a provider or model that supports this request.' }),
  VIDBOT_TRANSCRIPTION_FAILED: spec('external', 69, 502, true, { hint: 'Transcribing the voice note failed; try again in a moment.' }),
  VIDBOT_STORE_FAILED: spec('external', 74, 503, true, { hint: 'Check that the data directory (VIDBOT_DATA_DIR) is writable and not full.' }),
  VIDBOT_TASK_NOT_FOUND: spec('user', 66, 404, false, {
    hint: 'Check the task id.',
    cli: 'Check the task id with `vidbot status`.',
    http: 'Check the task id; GET /api/tasks lists recent tasks.',
  }),
  VIDBOT_CONFLICT: spec('user', 65, 409, false, {
    hint: 'Check its current state first: the message says which states allow this.',
  }),
  VIDBOT_CANCELED: spec('user', 130, 409, false, { hint: 'The task was canceled; start it again to retry.' }),
  VIDBOT_TIMEOUT: spec('external', 75, 504, true, { hint: 'The operation took too long; try again.' }),
  VIDBOT_MESSENGER_FAILED: spec('external', 69, 502, true, {
    hint: "The messenger could not be reached or could not take the message: check its status page and your network. The bot tries its own sends again.",
  }),
  VIDBOT_MESSENGER_AUTH: spec('user', 77, 502, false, { hint: 'Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.' }),
  VIDBOT_DELIVERY_REFUSED: spec('user', 69, 502, false, {
    hint: 'The channel refused the message (its code says why); the task keeps its video: fix the cause, then retry the task.',
  }),
  VIDBOT_JOB_ABANDONED: spec('external', 69, 500, false, {
    hint: 'A worker died on every attempt of this job (out of memory? killed?); check the worker logs, then retry the task.',
  }),
  VIDBOT_SIGNATURE_INVALID: spec('user', 77, 403, false, {
    // Each channel and provider says how its own requests are signed; this one is for those that do not (a custom channel).
    hint: 'Sign the request as the service that sends it does, with the secret this server was given for that service.',
    cli: 'Sign with the URL Twilio posts to (PUBLIC_BASE_URL + path); `vidbot sign --curl` shows how.',
  }),
  VIDBOT_UNAUTHORIZED: spec('user', 77, 401, false, {
    hint: "Use the server's API key (VIDBOT_API_KEY), or call from the same machine when no key is set.",
    cli: "Set VIDBOT_API_KEY to the server's key.",
    http: 'Send Authorization: Bearer <VIDBOT_API_KEY>, or call from the same machine when no key is set.',
  }),
  VIDBOT_RATE_LIMITED: spec('user', 75, 429, true, { hint: 'Wait a minute before sending more.' }),
  VIDBOT_BUDGET_REACHED: spec('user', 75, 429, false, {
    hint: "Today's generation budget (VIDBOT_DAILY_BUDGET) is spent: new videos start again at midnight UTC, or raise the budget.",
  }),
  VIDBOT_NOT_FOUND: spec('user', 66, 404, false, { hint: 'Check the URL; GET / lists the endpoints.' }),
  VIDBOT_UNSUPPORTED_MEDIA_TYPE: spec('user', 2, 415, false, {
    hint: 'Send what the endpoint takes: application/x-www-form-urlencoded to the Twilio webhooks, application/json to the rest (/api, /test-send, the Cloud API and provider webhooks).',
  }),
  VIDBOT_BODY_TOO_LARGE: spec('user', 2, 413, false, { hint: 'Send a smaller request body.' }),
  VIDBOT_PORT_IN_USE: spec('user', 69, 503, false, {
    hint: 'Stop the other server, or choose another port (PORT).',
    cli: 'Stop the other server, or pick another port with --port.',
  }),
  VIDBOT_TUNNEL_FAILED: spec('external', 69, 502, true, {
    hint: 'Check NGROK_AUTHTOKEN and the network, or serve without a tunnel.',
    cli: 'Check NGROK_AUTHTOKEN and the network, or run without --tunnel.',
  }),
  VIDBOT_SERVER_UNREACHABLE: spec('external', 69, 503, true, {
    hint: 'Check that the vidbot server is running and that its address is right.',
    cli: 'Start it with `vidbot serve`, or check --server.',
  }),
  VIDBOT_DOCTOR_FAILED: spec('user', 1, 500, false, {
    hint: 'Each failed check in the report has its fix; check again after fixing.',
    cli: 'Each ✖ line above has its fix; run `vidbot doctor` again after fixing.',
  }),
  VIDBOT_INVALID_ARGUMENT: spec('bug', 70, 500, false, {
    hint: 'The code calling vidbot passed an invalid value (the message names it); fix the call.',
    cli: BUG_CLI,
    http: BUG_HTTP,
  }),
  VIDBOT_INTERNAL: spec('bug', 70, 500, false, {
    hint: 'This is a bug in vidbot; please report it with the stack trace.',
    cli: BUG_CLI,
    http: BUG_HTTP,
  }),
});

export type ErrorCode = keyof typeof errorCatalogue;

export interface VidbotErrorOptions {
  /** This occurrence's own hint; it wins over the catalogue's defaults on every surface. */
  hint?: string;
  cause?: unknown;
  /** Overrides the catalogue when one occurrence differs (e.g. an HTTP 400 from a provider is final). */
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export class VidbotError extends Error {
  override readonly name = 'VidbotError';
  readonly code: ErrorCode;
  /** The hint given where it was thrown, or the catalogue's neutral default. */
  readonly hint: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;
  readonly #ownHint: string | undefined;

  constructor(code: ErrorCode, message: string, options: VidbotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.#ownHint = options.hint;
    this.hint = options.hint ?? errorCatalogue[code].hint;
    this.retryable = options.retryable ?? errorCatalogue[code].retryable;
    this.details = Object.freeze({ ...options.details });
  }

  get kind(): ErrorKind {
    return errorCatalogue[this.code].kind;
  }

  get exitCode(): number {
    return errorCatalogue[this.code].exitCode;
  }

  get httpStatus(): number {
    return errorCatalogue[this.code].httpStatus;
  }

  /** The hint for who reads it here: its own hint when it was thrown with one, else the surface's default, else the neutral one. */
  hintFor(surface: ErrorSurface): string {
    if (this.#ownHint !== undefined) return this.#ownHint;
    const entry = errorCatalogue[this.code];
    return (surface === 'cli' ? entry.cliHint : entry.httpHint) ?? entry.hint;
  }

  /** The same error with more details (e.g. a provider's word on its remote job), its own hint and cause kept. */
  withDetails(details: Record<string, unknown>): VidbotError {
    const copy = new VidbotError(this.code, this.message, {
      ...(this.#ownHint === undefined ? {} : { hint: this.#ownHint }),
      ...(this.cause === undefined ? {} : { cause: this.cause }),
      retryable: this.retryable,
      details: { ...this.details, ...details },
    });
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; retryable: boolean } {
    return { code: this.code, message: this.message, hint: this.hint, retryable: this.retryable };
  }
}

export const vidbotError = (code: ErrorCode, message: string, options?: VidbotErrorOptions): VidbotError =>
  new VidbotError(code, message, options);

export const isVidbotError = (error: unknown, code?: ErrorCode): error is VidbotError =>
  error instanceof VidbotError && (code === undefined || error.code === code);

/** Whether an abort (user cancel, shutdown, a caller's timeout) caused this error, rather than a failure. */
export const isAbortError = (error: unknown): boolean =>
  isVidbotError(error, 'VIDBOT_CANCELED') ||
  (isVidbotError(error, 'VIDBOT_TIMEOUT') && error.details.aborted === true) ||
  (error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR'));

/** Whether a signal's reason is a timeout's (AbortSignal.timeout): no one canceled. */
export const isTimeoutReason = (reason: unknown): boolean => reason instanceof Error && reason.name === 'TimeoutError';

/**
 * The error for work stopped by its signal: VIDBOT_CANCELED, or VIDBOT_TIMEOUT when the signal
 * was a timeout (AbortSignal.timeout), which is no one's cancel. Both are aborts (isAbortError).
 */
export const abortedError = (signal: AbortSignal | undefined, cause: unknown = signal?.reason): VidbotError =>
  isTimeoutReason(signal?.reason)
    ? new VidbotError('VIDBOT_TIMEOUT', 'Timed out: the time its signal allowed ran out.', { cause, details: { aborted: true } })
    : new VidbotError('VIDBOT_CANCELED', 'Canceled.', { cause });

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

/** Throws VIDBOT_CANCELED (VIDBOT_TIMEOUT for a timeout) when the signal has fired; call between steps of long work. */
export const throwIfAborted = (signal: AbortSignal | undefined): void => {
  if (signal?.aborted) throw abortedError(signal);
};
