/** What the journal and its thread say to each other (besides the journal's text, and 'stop'). */

export interface ThreadData {
  readonly file: string;
  readonly journal: string;
  readonly queue: string;
}

export type FromThread =
  /**
   * Written so far, counted from the journal's start; `added`: jobs were among them; `skipped`:
   * messages already claimed in the tables (by another process), whose rows were not written.
   */
  | { readonly units: number; readonly jobs: number; readonly added: boolean; readonly skipped: readonly string[] }
  /** A transaction failed; the thread tries the same units again shortly. */
  | { readonly failed: string };
