/** Progress of one long-running step, reported by adapters through an `onProgress` callback. */
export interface StepProgress {
  /** 0..100 when known. */
  readonly percent?: number;
  /** A short human-readable status, e.g. a provider's "starting" or "processing". */
  readonly message?: string;
}

export type ProgressListener = (progress: StepProgress) => void;

/** Options every long-running adapter call accepts. */
export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}
