/**
 * Images and voice recordings attached in the simulator, kept in memory and served at /simulator/media/:id so the bot's
 * real downloader fetches them the way it fetches Twilio's media. Only URLs minted here are ever
 * allowed to that downloader, and the memory they take is bounded.
 */
import { randomBytes } from 'node:crypto';
import { vidbotError } from '../../lib/errors.ts';
import { SNIFF_BYTES, sniffAudioType } from '../../lib/media-type.ts';

export interface Upload {
  readonly id: string;
  readonly bytes: Buffer;
  readonly contentType: string;
  /** The absolute URL put in MediaUrl0. */
  readonly url: string;
}

export interface Uploads {
  add(bytes: Buffer, contentType: string, base: string): Upload;
  get(id: string): Upload | undefined;
  /** Whether the URL is exactly one this store minted and still holds. */
  isOwnUrl(url: URL): boolean;
}

export const UPLOAD_PATH = '/simulator/media/';
const ID = /^[A-Za-z0-9_-]{22}$/;

export const createUploads = (limits: { maxItems?: number; maxTotalBytes?: number } = {}): Uploads => {
  const maxItems = limits.maxItems ?? 50;
  const maxTotalBytes = limits.maxTotalBytes ?? 64 * 1024 * 1024;
  // A Map keeps insertion order: the first entries are the oldest, evicted first.
  const items = new Map<string, Upload>();
  let total = 0;

  const evict = () => {
    for (const [id, upload] of items) {
      if (items.size <= maxItems && total <= maxTotalBytes) return;
      items.delete(id);
      total -= upload.bytes.length;
    }
  };

  return {
    add(bytes, contentType, base) {
      const id = randomBytes(16).toString('base64url');
      // Normalized (default ports dropped), so the exact comparison in isOwnUrl holds.
      const url = new URL(`${base.replace(/\/+$/, '')}${UPLOAD_PATH}${id}`).href;
      const upload = { id, bytes, contentType, url };
      items.set(id, upload);
      total += bytes.length;
      evict();
      return upload;
    },
    get: (id) => (ID.test(id) ? items.get(id) : undefined),
    isOwnUrl(url) {
      const id = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
      const upload = ID.test(id) ? items.get(id) : undefined;
      return upload !== undefined && upload.url === url.href;
    },
  };
};

/** `data:image/png;base64,...` into its bytes and declared type; undefined when it is not one. */
export const parseDataUrl = (value: string): { bytes: Buffer; contentType: string } | undefined => {
  const match = /^data:([\w.+-]+\/[\w.+-]+)((?:;[\w.+-]+=[^;,]*)*);base64,([A-Za-z0-9+/=\s]*)$/.exec(value);
  if (!match?.[1] || match[3] === undefined) return undefined;
  return { contentType: match[1].toLowerCase(), bytes: Buffer.from(match[3], 'base64') };
};

/**
 * The page's voice recording (`audio`: a data URL of audio/ogg or audio/webm, what browsers record),
 * with the type Twilio would report: the one its bytes show, else the declared one, which the bot
 * then refuses as it would Twilio's. Undefined when there is none.
 */
export const readAudioAttachment = (value: unknown, maxBytes: number): { bytes: Buffer; contentType: string } | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  const audio = typeof value === 'string' ? parseDataUrl(value) : undefined;
  if (!audio?.contentType.startsWith('audio/')) {
    throw vidbotError('VIDBOT_INPUT_INVALID', '"audio" must be a base64 data URL of a recording, e.g. data:audio/webm;base64,....');
  }
  if (audio.bytes.length > maxBytes) throw vidbotError('VIDBOT_BODY_TOO_LARGE', `The recording is over the simulator's ${maxBytes}-byte limit.`);
  return { bytes: audio.bytes, contentType: sniffAudioType(audio.bytes.subarray(0, SNIFF_BYTES)) ?? audio.contentType };
};
