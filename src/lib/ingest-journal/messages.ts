/** What the journal and its thread say to each other (besides the journal's text, and 'stop'). */

export interface ThreadData {
  readonly file: string;
  readonly journal: string;
  readonly queue: string;
}

export type FromThread =
  /** Written so far, counted from the journal's start; `added`: jobs were among them. */
  | { readonly units: number; readonly jobs: number; readonly added: boolean }
  /** A transaction failed; the thread tries the same units again shortly. */
  | { readonly failed: string };
