/**
 * Downloads media a user sent (a photo for image-to-video, a voice note to transcribe) under its
 * channel's rules (MediaPolicy): the URL comes from the request body, so only the channel's own
 * hosts are fetched, with its credentials sent to them only, a size cap and a check that the bytes
 * are the kind of media expected.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted, vidbotError } from '../errors.ts';
import { type MediaKind, SNIFF_BYTES, extensionOf, sniffMediaType } from '../media-type.ts';
import type { MediaPolicy } from './port.ts';
import { makeDirs } from '../files.ts';

const MAX_REDIRECTS = 3;

/** Why a download was refused; 'not-image' and 'not-audio' say the bytes were not the kind expected. */
export type MediaDownloadFailure = 'not-allowed' | 'too-large' | 'not-image' | 'not-audio' | 'failed';

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

export interface InboundFile {
  readonly file: string;
  /** The type its bytes showed (not the one declared). */
  readonly contentType: string;
}

const NOT_KIND: Readonly<Record<MediaKind, { reason: MediaDownloadFailure; message: string }>> = {
  image: { reason: 'not-image', message: 'The media is not a JPEG, PNG or WebP image.' },
  audio: { reason: 'not-audio', message: 'The media is not audio vidbot can transcribe (Ogg, WebM, MP3, M4A, AMR or WAV).' },
};

/** Saves the image and returns its path; MediaDownloadError says why not, in a way the bot can tell the user. */
export const downloadInboundImage = async (raw: string, policy: MediaPolicy | undefined, options: MediaDownloadOptions): Promise<string> =>
  (await downloadInboundMedia(raw, policy, 'image', options)).file;

/** Saves media of the kind expected and returns its path and sniffed type; MediaDownloadError says why not. */
export const downloadInboundMedia = async (
  raw: string,
  policy: MediaPolicy | undefined,
  kind: MediaKind,
  options: MediaDownloadOptions,
): Promise<InboundFile> => {
  throwIfAborted(options.signal);
  const url = parse(raw);
  if (!url || policy === undefined || !policy.allows(url)) {
    throw new MediaDownloadError('not-allowed', `Media is only fetched from the channel's own hosts, not ${url?.host ?? 'this URL'}.`);
  }
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 20_000), ...(options.signal ? [options.signal] : [])];
  const signal = AbortSignal.any(signals);
  let response: Response;
  try {
    const target = policy.resolve ? await policy.resolve(url, { signal }) : url;
    if (!policy.allows(target)) throw new MediaDownloadError('not-allowed', `Media is only fetched from the channel's own hosts, not ${target.host}.`);
    response = await get(target, policy, options.fetch ?? fetch, signal);
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
  const type = sniffMediaType(kind, bytes.subarray(0, SNIFF_BYTES));
  const extension = type === undefined ? undefined : extensionOf(type);
  if (type === undefined || extension === undefined) throw new MediaDownloadError(NOT_KIND[kind].reason, NOT_KIND[kind].message);

  await makeDirs(options.dir);
  const name = (options.name ?? randomBytes(12).toString('hex')).replace(/[^A-Za-z0-9_-]/g, '_');
  const file = join(options.dir, `${name}.${extension}`);
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw vidbotError('VIDBOT_STORE_FAILED', `Cannot save the inbound ${kind} in ${options.dir}.`, { cause: error });
  }
  return { file, contentType: type };
};
