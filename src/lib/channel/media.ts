/**
 * Downloads a photo a user sent, for image-to-video, under its channel's rules (MediaPolicy): the
 * URL comes from the request body, so only the channel's own hosts are fetched, with its
 * credentials sent to them only, a size cap and a check of the bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted, vidbotError } from '../errors.ts';
import { IMAGE_TYPES, sniffImageType } from '../media-type.ts';
import type { MediaPolicy } from './port.ts';

const MAX_REDIRECTS = 3;

export type MediaDownloadFailure = 'not-allowed' | 'too-large' | 'not-image' | 'failed';

export class MediaDownloadError extends Error {
  override readonly name = 'MediaDownloadError';
  readonly reason: MediaDownloadFailure;
  constructor(reason: MediaDownloadFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface MediaDownloadOptions {
  /** Folder the file is saved in. */
  readonly dir: string;
  readonly maxBytes: number;
  /** File name without extension (the message id); random when absent. */
  readonly name?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

const parse = (raw: string): URL | undefined => {
  try {
    const url = new URL(raw);
    return url.username || url.password ? undefined : url;
  } catch {
    return undefined;
  }
};

/** Follows redirects by hand: each hop must be one the policy allows, and gets only its own headers. */
const get = async (url: URL, policy: MediaPolicy, doFetch: typeof fetch, signal: AbortSignal): Promise<Response> => {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await doFetch(current, { headers: { ...policy.headersFor(current) }, redirect: 'manual', signal });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    const next = new URL(location, current);
    if (!policy.mayRedirect(current, next)) throw new MediaDownloadError('not-allowed', `Refusing a redirect to ${next.protocol}//${next.host}.`);
    current = next;
  }
  throw new MediaDownloadError('failed', 'Too many redirects fetching the media.');
};

/** Saves the image and returns its path; MediaDownloadError says why not, in a way the bot can tell the user. */
export const downloadInboundImage = async (raw: string, policy: MediaPolicy | undefined, options: MediaDownloadOptions): Promise<string> => {
  throwIfAborted(options.signal);
  const url = parse(raw);
  if (!url || policy === undefined || !policy.allows(url)) {
    throw new MediaDownloadError('not-allowed', `Media is only fetched from the channel's own hosts, not ${url?.host ?? 'this URL'}.`);
  }
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 20_000), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  try {
    response = await get(url, policy, options.fetch ?? fetch, AbortSignal.any(signals));
  } catch (error) {
    if (error instanceof MediaDownloadError) throw error;
    throwIfAborted(options.signal);
    throw new MediaDownloadError('failed', `Fetching the media failed: ${(error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new MediaDownloadError('failed', `Fetching the media answered ${response.status}.`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new MediaDownloadError('too-large', `The media is ${declared} bytes; the limit is ${options.maxBytes}.`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > options.maxBytes) throw new MediaDownloadError('too-large', `The media is over the ${options.maxBytes}-byte limit.`);
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const type = sniffImageType(bytes.subarray(0, 16));
  if (type === undefined) throw new MediaDownloadError('not-image', 'The media is not a JPEG, PNG or WebP image.');

  await mkdir(options.dir, { recursive: true });
  const name = (options.name ?? randomBytes(12).toString('hex')).replace(/[^A-Za-z0-9_-]/g, '_');
  const file = join(options.dir, `${name}.${IMAGE_TYPES[type]}`);
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw vidbotError('VIDBOT_STORE_FAILED', `Cannot save the inbound image in ${options.dir}.`, { cause: error });
  }
  return file;
};
