import type { RunOptions } from '../progress.ts';

export interface PublishedMedia {
  /** Stable id of the published file (an unguessable token for the local host). */
  readonly id: string;
  /** Where a client fetches it: a public URL, or undefined when no public base URL is known. */
  readonly url?: string;
  /** A local copy, when the host keeps one (the local host always does). */
  readonly path?: string;
  readonly host: string;
}

export interface PublishOptions extends RunOptions {
  readonly contentType?: string;
}

export interface MediaHost {
  readonly name: string;
  /** True when every machine of a deployment can reach what this host publishes. */
  readonly shared: boolean;
  publish(file: string, options?: PublishOptions): Promise<PublishedMedia>;
  /** The local file behind an id, for hosts that serve files themselves; null when unknown. */
  resolve?(id: string): Promise<string | null>;
  /** The URL for an id, when a public base URL is known. */
  urlFor?(id: string): string | undefined;
  /** Deletes what this host published more than `olderThanDays` days ago (hosts that store remotely). */
  prune?(options: { readonly olderThanDays: number; readonly signal?: AbortSignal }): Promise<{ deleted: string[] }>;
}
