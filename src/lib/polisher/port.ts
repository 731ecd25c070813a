import type { RunOptions } from '../progress.ts';

export interface PolishResult {
  /** The prompt to generate from: the polished one, or the original when polishing was skipped or failed. */
  readonly prompt: string;
  readonly polished: boolean;
  /** Why the original prompt was kept, when it was. */
  readonly fallbackReason?: string;
}

export interface PromptPolisher {
  readonly name: string;
  /** Never throws for service failures: falls back to the original prompt. Throws only when aborted. */
  polish(prompt: string, options?: RunOptions): Promise<PolishResult>;
}
