/**
 * Downloads an image a WhatsApp user sent, for image-to-video. MediaUrl comes from the request
 * body, so it is only ever fetched from Twilio's own media hosts (or the configured API base URL,
 * for emulators; the browser simulator's own uploads through `allowUrl`), with the account's
 * credentials (sent to Twilio only), a size cap and a type check on the bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted, vidbotError } from '../errors.ts';

export const IMAGE_TYPES: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Hosts Twilio serves inbound media from. */
const TWILIO_MEDIA_HOSTS = ['api.twilio.com'];
const TWILIO_MEDIA_SUFFIXES = ['.twiliocdn.com', '.twilio.com'];
const MAX_REDIRECTS = 3;

export interface MediaDownloaderOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly accountSid?: string;
  readonly authToken?: string;
  /** TWILIO_API_BASE_URL: its origin is trusted too, so emulators and test fakes work. */
  readonly apiBaseUrl?: string;
  /**
   * Other URLs that may be fetched, without credentials or redirects: the browser simulator's own
   * uploads. Must match only URLs the caller minted itself; by default nothing else is allowed.
   */
  readonly allowUrl?: (url: URL) => boolean;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

export type MediaDownloadFailure = 'not-allowed' | 'too-large' | 'not-image' | 'failed';

export class MediaDownloadError extends Error {
  override readonly name = 'MediaDownloadError';
  readonly reason: MediaDownloadFailure;
  constructor(reason: MediaDownloadFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface MediaDownloader {
  /** Whether vidbot would fetch this URL at all. */
  isAllowed(url: string): boolean;
  /** Saves the image and returns its path. */
  download(url: string, options?: { signal?: AbortSignal; name?: string }): Promise<string>;
}

/** What the bytes are, from their first few: the declared type is not trusted. */
export const sniffImageType = (head: Uint8Array): string | undefined => {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0x52, 0x49, 0x46, 0x46) && head[8] === 0x57 && head[9] === 0x45 && head[10] === 0x42 && head[11] === 0x50) {
    return 'image/webp';
  }
  return undefined;
};

export const createMediaDownloader = (options: MediaDownloaderOptions): MediaDownloader => {
  const doFetch = options.fetch ?? fetch;
  const extraOrigin = options.apiBaseUrl ? new URL(options.apiBaseUrl).origin : undefined;

  const isTwilioOrigin = (url: URL): boolean =>
    (url.protocol === 'https:' &&
      url.port === '' &&
      (TWILIO_MEDIA_HOSTS.includes(url.hostname) || TWILIO_MEDIA_SUFFIXES.some((s) => url.hostname.endsWith(s)))) ||
    url.origin === extraOrigin;

  const parse = (raw: string): URL | undefined => {
    try {
      const url = new URL(raw);
      return url.username || url.password ? undefined : url;
    } catch {
      return undefined;
    }
  };

  const isExtra = (url: URL): boolean => !isTwilioOrigin(url) && options.allowUrl?.(url) === true;

  const isAllowed = (raw: string): boolean => {
    const url = parse(raw);
    return url !== undefined && (isTwilioOrigin(url) || isExtra(url));
  };

  const authHeader =
    options.accountSid && options.authToken
      ? `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`
      : undefined;

  /** Follows Twilio's redirect to its CDN by hand, sending credentials to Twilio's hosts only. */
  const get = async (url: URL, signal: AbortSignal): Promise<Response> => {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = isTwilioOrigin(current) && authHeader ? { authorization: authHeader } : {};
      const response = await doFetch(current, { headers, redirect: 'manual', signal });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel();
      // Only Twilio's chain of hosts may redirect; an extra URL must answer itself.
      if (isExtra(url)) throw new MediaDownloadError('not-allowed', 'Refusing a redirect from non-Twilio media.');
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.origin !== extraOrigin) {
        throw new MediaDownloadError('not-allowed', `Refusing a redirect to ${next.protocol} media.`);
      }
      current = next;
    }
    throw new MediaDownloadError('failed', 'Too many redirects fetching the media.');
  };

  return {
    isAllowed,
    async download(raw, downloadOptions = {}) {
      throwIfAborted(downloadOptions.signal);
      const url = parse(raw);
      if (!url || !(isTwilioOrigin(url) || isExtra(url))) {
        throw new MediaDownloadError('not-allowed', `Media is only fetched from Twilio's hosts, not ${url?.host ?? 'this URL'}.`);
      }
      const signals = [AbortSignal.timeout(options.timeoutMs ?? 20_000), ...(downloadOptions.signal ? [downloadOptions.signal] : [])];
      let response: Response;
      try {
        response = await get(url, AbortSignal.any(signals));
      } catch (error) {
        if (error instanceof MediaDownloadError) throw error;
        throwIfAborted(downloadOptions.signal);
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
        if (size > options.maxBytes) {
          throw new MediaDownloadError('too-large', `The media is over the ${options.maxBytes}-byte limit.`);
        }
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      const type = sniffImageType(bytes.subarray(0, 16));
      if (type === undefined) throw new MediaDownloadError('not-image', 'The media is not a JPEG, PNG or WebP image.');

      await mkdir(options.dir, { recursive: true });
      const name = (downloadOptions.name ?? randomBytes(12).toString('hex')).replace(/[^A-Za-z0-9_-]/g, '_');
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
    },
  };
};
