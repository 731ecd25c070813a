import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { basename, extname } from 'node:path';
import type { Writable } from 'node:stream';
import { throwIfAborted, VidbotError, vidbotError, abortedError, isAbortError } from '../errors.ts';
import { type CloudinaryCredentials, parseCloudinaryUrl } from './cloudinary-url.ts';
import type { MediaHost, PublishedMedia, PublishOptions } from './port.ts';
import { hideSecret } from '../text.ts';

export interface CloudinaryMediaHostOptions {
  /** cloudinary://API_KEY:API_SECRET@CLOUD_NAME[?upload_prefix=...], or its parsed form. */
  readonly cloudinaryUrl: string | CloudinaryCredentials;
  /** Folder (public_id prefix) uploads go to and prune cleans; default 'vidbot'. */
  readonly folder?: string;
  /** Files larger than this go up in chunks of this size; default 20 MB, at least 5 MiB. */
  readonly chunkSizeBytes?: number;
  /** Longest one request to Cloudinary may take, its upload included; default 120 s. */
  readonly timeoutMs?: number;
  /** Keeps a local copy of every video and serves it when Cloudinary fails (the local host). */
  readonly fallback?: MediaHost;
  readonly logger?: (warning: string) => void;
}

export interface CloudinaryMediaHost extends MediaHost {
  /** Deletes the folder's videos uploaded more than `olderThanDays` days ago. */
  prune(options: { readonly olderThanDays: number; readonly signal?: AbortSignal }): Promise<{ deleted: string[] }>;
}

/** Cloudinary refuses non-final chunks smaller than 5 MB. */
export const MIN_CHUNK_BYTES = 5 * 1024 * 1024;
const HINT = 'Check CLOUDINARY_URL (cloudinary://API_KEY:API_SECRET@CLOUD_NAME) and that Cloudinary is reachable.';

type Sdk = (typeof import('cloudinary'))['v2'];
type Done = (error: unknown, result?: unknown) => void;
type Stream = { destroy(): void };
type Json = Record<string, unknown>;
let sdk: Promise<Sdk> | undefined;
/** Imported on first use: importing the SDK reads process.env.CLOUDINARY_URL and throws on a malformed one. */
const loadSdk = (): Promise<Sdk> => (sdk ??= import('cloudinary').then((m) => m.v2));

/**
 * Settles on the SDK's callback, the deadline or the signal, whichever comes first. Each call gets its
 * own agent so the last two can cut its sockets (the SDK has no cancel, and the Admin API ignores
 * its own timeout), and its file stream is closed either way.
 */
const runCall = (agent: HttpAgent, ms: number, signal: AbortSignal | undefined, start: (done: Done) => Stream | void) =>
  new Promise<unknown>((resolve, reject) => {
    let stream: Stream | void;
    let settled = false;
    const finish = (error: unknown, result?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stream?.destroy();
      agent.destroy();
      // Failures stay as the SDK gave them (often bare objects): describe() reads them.
      if (error == null) resolve(result);
      else reject(error);
    };
    const onAbort = (): void => finish(abortedError(signal));
    const timer = setTimeout(() => finish(new Error(`no answer within ${ms} ms`)), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      stream = start(finish);
      if (settled) stream?.destroy();
    } catch (error) {
      finish(error);
    }
  });

/**
 * "401 Invalid Signature ...". The SDK fails with Errors, { message, http_code } objects or
 * { error: ... } wrappers, some carrying the request options (secret included): keep only the text.
 */
const describe = (error: unknown, secret: string): { status?: number; text: string } => {
  const inner = (error as { error?: unknown } | undefined)?.error ?? error;
  const { message, http_code: status } = (inner ?? {}) as { message?: unknown; http_code?: unknown };
  const raw = typeof message === 'string' && message !== '' ? message : String(inner);
  const text = hideSecret(raw, secret).replace(/\s+/g, ' ').slice(0, 160);
  return typeof status === 'number' ? { status, text: `${status} ${text}` } : { text };
};

export const createCloudinaryMediaHost = (options: CloudinaryMediaHostOptions): CloudinaryMediaHost => {
  const creds = typeof options.cloudinaryUrl === 'string' ? parseCloudinaryUrl(options.cloudinaryUrl) : options.cloudinaryUrl;
  const folder = (options.folder ?? 'vidbot').replace(/^\/+|\/+$/g, '');
  const chunkSize = options.chunkSizeBytes ?? 20_000_000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { fallback } = options;
  const warn = options.logger ?? ((warning: string) => process.emitWarning(warning, 'VidbotWarning'));
  const invalid = (message: string) => vidbotError('VIDBOT_CONFIG_INVALID', message);
  // An empty folder would let prune reach every video of the account.
  if (!/^[\w-]+(\/[\w-]+)*$/.test(folder)) throw invalid('The Cloudinary folder must be a path like "vidbot" or "bots/vidbot".');
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_CHUNK_BYTES) throw invalid(`The Cloudinary chunk size must be at least ${MIN_CHUNK_BYTES} bytes.`);
  if (!(timeoutMs > 0)) throw invalid('The Cloudinary timeout must be positive.');

  const plainHttp = creds.uploadPrefix?.startsWith('http:') ?? false;
  const proxyEnv = creds.apiProxy === undefined ? undefined : { HTTP_PROXY: creds.apiProxy, HTTPS_PROXY: creds.apiProxy };
  // Our own agent also settles the SDK's protocol: it picks http or https once, from the global config.
  // The SDK's api_proxy builds an Agent from a string, which proxies nothing; Node's proxyEnv does.
  const newAgent = (): HttpAgent => (plainHttp ? new HttpAgent({ proxyEnv }) : new HttpsAgent({ proxyEnv }));
  // Everything per call: v2.config() is process-wide state shared with any other SDK user.
  const callOptions = (agent: HttpAgent): Json => ({
    cloud_name: creds.cloudName,
    api_key: creds.apiKey,
    api_secret: creds.apiSecret,
    ...(creds.uploadPrefix === undefined ? {} : { upload_prefix: creds.uploadPrefix }),
    ...(creds.signatureAlgorithm === undefined ? {} : { signature_algorithm: creds.signatureAlgorithm }),
    timeout: timeoutMs,
    agent,
  });
  // No cause: SDK failures may hold the secret.
  const failure = (error: unknown, what: string): VidbotError => {
    if (error instanceof VidbotError && isAbortError(error)) return error;
    const { status, text } = describe(error, creds.apiSecret);
    return vidbotError('VIDBOT_PROVIDER_FAILED', `Cloudinary ${what} failed (${text}).`, { hint: HINT, details: { status } });
  };

  /** Uploads one file; resolves with its public_id and secure_url. */
  const upload = async (file: string, size: number, { signal, onProgress }: PublishOptions = {}): Promise<[string, string]> => {
    const cloudinary = await loadSdk();
    const chunked = size > chunkSize;
    let sent = 0;
    let reported = -5;
    const agent = newAgent();
    const result = await runCall(agent, timeoutMs * Math.ceil(Math.max(size, 1) / chunkSize), signal, (done) => {
      const uploadOptions = {
        ...callOptions(agent),
        resource_type: 'video' as const,
        folder,
        public_id: randomBytes(16).toString('base64url'),
        filename: basename(file, extname(file)),
        ...(chunked ? { chunk_size: chunkSize } : {}),
      };
      // The stream APIs under upload and upload_large, fed from our own file stream: those two open
      // the file themselves and leave it open when a request fails or is cut.
      const target: Writable = chunked
        ? cloudinary.uploader.upload_chunked_stream(uploadOptions, done)
        : cloudinary.uploader.upload_stream(uploadOptions, done);
      const source = createReadStream(file).on('error', done);
      source.on('data', (chunk) => {
        sent += chunk.length;
        const percent = Math.min(99, Math.floor((sent / size) * 100));
        if (percent >= reported + 5) onProgress?.({ percent: (reported = percent), message: 'uploading to Cloudinary' });
      });
      source.pipe(target);
      return source;
    });
    const { public_id: id, secure_url: url } = (result ?? {}) as Json;
    if (typeof id !== 'string' || typeof url !== 'string') throw new Error('malformed answer without public_id and secure_url');
    return [id, url];
  };

  const adminCall = async (signal: AbortSignal | undefined, call: (cloudinary: Sdk, options: Json, done: Done) => unknown) => {
    const cloudinary = await loadSdk();
    const agent = newAgent();
    const options = { ...callOptions(agent), resource_type: 'video', type: 'upload' };
    const result = await runCall(agent, timeoutMs, signal, (done) => void call(cloudinary, options, done));
    return (result ?? {}) as Json;
  };

  return {
    name: 'cloudinary',
    shared: true,
    ...(fallback?.resolve ? { resolve: (id: string) => fallback.resolve?.(id) ?? Promise.resolve(null) } : {}),
    ...(fallback?.urlFor ? { urlFor: (id: string) => fallback.urlFor?.(id) } : {}),

    async publish(file: string, publishOptions?: PublishOptions): Promise<PublishedMedia> {
      throwIfAborted(publishOptions?.signal);
      const info = await stat(file).catch((error: unknown) => {
        throw vidbotError('VIDBOT_FILE_NOT_FOUND', `Cannot publish ${file}: file not found.`, { cause: error });
      });
      if (!info.isFile()) throw vidbotError('VIDBOT_FILE_NOT_FOUND', `Cannot publish ${file}: not a file.`);
      // The local copy first: it is what the prompt cache and /media use, and the fallback if the upload fails.
      const local = fallback ? await fallback.publish(file, publishOptions?.signal ? { signal: publishOptions.signal } : {}) : undefined;
      try {
        const [id, url] = await upload(file, info.size, publishOptions);
        publishOptions?.onProgress?.({ percent: 100, message: 'published' });
        return { id, url, host: 'cloudinary', ...(local?.path ? { path: local.path } : {}) };
      } catch (error) {
        const failed = failure(error, 'upload');
        if (local === undefined || isAbortError(failed)) throw failed;
        warn(`Cloudinary upload failed (${describe(error, creds.apiSecret).text}); serving from /media instead.`);
        publishOptions?.onProgress?.({ percent: 100, message: 'published locally' });
        return local;
      }
    },

    async prune({ olderThanDays, signal }) {
      if (!(olderThanDays >= 0)) throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'olderThanDays must be a number of days, 0 or more.');
      throwIfAborted(signal);
      const cutoff = Date.now() - olderThanDays * 86_400_000;
      const old: string[] = [];
      const deleted: string[] = [];
      try {
        let cursor: string | undefined;
        do {
          const page = await adminCall(signal, (c, o, done) =>
            c.api.resources({ ...o, prefix: `${folder}/`, max_results: 500, ...(cursor ? { next_cursor: cursor } : {}) }, done));
          if (!Array.isArray(page.resources)) throw new Error('malformed answer without resources');
          for (const item of page.resources as Json[]) {
            const created = Date.parse(String(item.created_at));
            if (typeof item.public_id === 'string' && created < cutoff) old.push(item.public_id);
          }
          cursor = typeof page.next_cursor === 'string' && page.next_cursor !== '' ? page.next_cursor : undefined;
        } while (cursor !== undefined);
        // The Admin API deletes at most 100 public ids per call.
        for (let i = 0; i < old.length; i += 100) {
          const batch = old.slice(i, i + 100);
          const answer = await adminCall(signal, (c, o, done) => c.api.delete_resources(batch, o, done));
          const states = (answer.deleted ?? {}) as Json;
          deleted.push(...batch.filter((id) => states[id] === 'deleted'));
        }
      } catch (error) {
        throw failure(error, 'prune');
      }
      return { deleted };
    },
  };
};
