import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isAbortError, vidbotError, abortedError } from '../errors.ts';
import type { ProgressListener } from '../progress.ts';

export interface DownloadOptions {
  readonly url: string;
  readonly file: string;
  /** Larger answers are refused: by Content-Length before reading, by counting while streaming. */
  readonly maxBytes: number;
  /** What is being fetched, for messages ("Replicate's output"). */
  readonly label: string;
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  /** Time limit of the whole download (default 10 min). */
  readonly timeoutMs?: number;
  readonly onProgress?: ProgressListener;
}

export interface Downloaded {
  readonly bytes: number;
  readonly contentType?: string;
}

/** Streams a URL to a file without holding it in memory; the file is removed on any failure. */
export const downloadToFile = async (options: DownloadOptions): Promise<Downloaded> => {
  const { url, file, maxBytes, label } = options;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 600_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const fail = (message: string, retryable: boolean, cause?: unknown) =>
    vidbotError('VIDBOT_GENERATION_FAILED', message, { retryable, ...(cause ? { cause } : {}) });
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, { signal, redirect: 'follow' });
  } catch (error) {
    if (options.signal?.aborted) throw abortedError(options.signal, error);
    if (timeout.aborted) throw vidbotError('VIDBOT_TIMEOUT', `Downloading ${label} took too long.`, { cause: error });
    throw fail(`Cannot download ${label}: ${(error as Error).message}`, true, error);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    // A 404/410 will not heal: the provider deleted the output (Replicate keeps it about an hour).
    const gone = response.status === 404 || response.status === 410;
    throw fail(`${label} is ${gone ? 'no longer available' : 'not downloadable'} (HTTP ${response.status}).`, !gone && response.status >= 500);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const tooLarge = (bytes: number) =>
    fail(`${label} is larger than the download cap (${bytes} > ${maxBytes} bytes; VIDBOT_DOWNLOAD_MAX_BYTES).`, false);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(declared);
  }
  if (!response.body) throw fail(`${label} came back empty.`, true);

  let received = 0;
  let lastPercent = -1;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > maxBytes) return done(tooLarge(received));
      const percent = Number.isFinite(declared) && declared > 0 ? Math.floor((received / declared) * 100) : undefined;
      if (percent !== undefined && percent !== lastPercent) {
        lastPercent = percent;
        options.onProgress?.({ percent, message: `downloading ${label}` });
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream), counter, createWriteStream(file), { signal });
  } catch (error) {
    await rm(file, { force: true });
    if (error instanceof Error && error.name === 'VidbotError') throw error;
    if (options.signal?.aborted) throw abortedError(options.signal, error);
    if (timeout.aborted || isAbortError(error)) throw vidbotError('VIDBOT_TIMEOUT', `Downloading ${label} took too long.`, { cause: error });
    throw fail(`Downloading ${label} broke off: ${(error as Error).message}`, true, error);
  }
  if (received === 0) {
    await rm(file, { force: true });
    throw fail(`${label} came back empty.`, true);
  }
  const contentType = response.headers.get('content-type') ?? undefined;
  return { bytes: received, ...(contentType ? { contentType } : {}) };
};
