/** What a queue keeps of the error a handler threw. */
export interface JobFailure {
  readonly message: string;
  /** The error's `code` (a VidbotError's), when it has a string one. */
  readonly code: string | null;
  /** Only an error that says so is retried: anything else (a bug, a bad input) fails at once. */
  readonly retryable: boolean;
}

/** Handlers may throw anything, not only Errors. */
export const readFailure = (error: unknown): JobFailure => {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; retryable?: unknown };
  return {
    message: error instanceof Error ? error.message : String(error),
    code: typeof fields.code === 'string' ? fields.code : null,
    retryable: fields.retryable === true,
  };
};
