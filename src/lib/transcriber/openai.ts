/**
 * The OpenAI transcriber: a voice note to text with the official SDK's audio transcriptions API
 * (`gpt-4o-mini-transcribe` by default; `whisper-1` and `gpt-4o-transcribe` work the same way).
 * A user is waiting on the answer, so a failure is retried once only when the wait is short, and
 * every other failure maps to the error catalogue. The SDK is imported on first use.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OpenAI } from 'openai';
import { throwIfAborted, vidbotError, type VidbotError } from '../errors.ts';
import { AUDIO_TYPES, SNIFF_BYTES, sniffAudioType } from '../media-type.ts';
import type { TranscribeOptions, Transcriber, Transcript } from './port.ts';

export interface OpenAITranscriberOptions {
  readonly apiKey: string;
  /** OPENAI_TRANSCRIBE_MODEL. */
  readonly model: string;
  readonly baseUrl?: string;
  /** Time limit of one request (default 30 s); callers with a tighter budget pass a signal. */
  readonly timeoutMs?: number;
  /** Longest wait before the one retry of a 429 or 5xx (default 2 s); a longer Retry-After fails at once. */
  readonly maxRetryWaitMs?: number;
  readonly fetch?: typeof fetch;
}

type SDK = typeof import('openai');

/** A 5xx or a connection failure without a Retry-After waits this long before its retry. */
const DEFAULT_RETRY_WAIT_MS = 500;

const seconds = (ms: number): string => (ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`);

/** How long to wait before retrying, or undefined when this failure is not worth a retry. */
const retryWait = (sdk: SDK, error: unknown): number | undefined => {
  if (error instanceof sdk.APIConnectionTimeoutError) return undefined;
  if (error instanceof sdk.APIConnectionError) return DEFAULT_RETRY_WAIT_MS;
  if (!(error instanceof sdk.APIError) || typeof error.status !== 'number') return undefined;
  if (error.status === 429 && error.code === 'insufficient_quota') return undefined;
  if (error.status !== 429 && error.status < 500) return undefined;
  const header = error.headers?.get('retry-after');
  const after = header === null || header === undefined ? Number.NaN : Number(header) * 1000;
  return Number.isFinite(after) && after >= 0 ? after : DEFAULT_RETRY_WAIT_MS;
};

const apiMessage = (error: InstanceType<SDK['APIError']>): string => {
  const message = (error.error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? `: ${message.slice(0, 200)}` : '';
};

/** The catalogue's error for anything the SDK threw (the caller's abort is handled before). */
const mapFailure = (sdk: SDK, error: unknown, model: string, timeoutMs: number): VidbotError => {
  const details = { service: 'openai', model };
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return vidbotError('VIDBOT_TIMEOUT', `OpenAI did not transcribe the voice note within ${seconds(timeoutMs)}.`, { cause: error, details });
  }
  if (error instanceof sdk.APIConnectionError) {
    return vidbotError('VIDBOT_TRANSCRIPTION_FAILED', `Could not reach OpenAI to transcribe a voice note: ${error.message}`, { cause: error, details });
  }
  if (error instanceof sdk.APIError && typeof error.status === 'number') {
    const { status } = error;
    const withStatus = { ...details, status };
    if (status === 401) {
      return vidbotError('VIDBOT_CONFIG_INVALID', 'OpenAI rejected OPENAI_API_KEY (401) when transcribing a voice note.', {
        cause: error,
        details: withStatus,
        hint: 'Check OPENAI_API_KEY (create one at https://platform.openai.com/api-keys), or turn voice notes off with VIDBOT_VOICE_NOTES=false.',
      });
    }
    if (status === 403 || status === 404) {
      const what = status === 404 ? `has no model "${model}"` : `refused the model "${model}"`;
      return vidbotError('VIDBOT_CONFIG_INVALID', `OpenAI ${what} for this key (${status}).`, {
        cause: error,
        details: withStatus,
        hint: 'Set OPENAI_TRANSCRIBE_MODEL to a transcription model the key can use (default gpt-4o-mini-transcribe).',
      });
    }
    const why =
      status === 429 ? (error.code === 'insufficient_quota' ? 'OpenAI quota exceeded (429)' : 'OpenAI rate limit (429)')
      : status === 400 ? `OpenAI could not transcribe the file (400)${apiMessage(error)}`
      : `OpenAI error ${status}${apiMessage(error)}`;
    const retryable = status === 429 ? error.code !== 'insufficient_quota' : status >= 500;
    return vidbotError('VIDBOT_TRANSCRIPTION_FAILED', `${why}.`, { cause: error, details: withStatus, retryable });
  }
  const message = error instanceof Error ? error.message : String(error);
  return vidbotError('VIDBOT_TRANSCRIPTION_FAILED', `Transcribing a voice note failed: ${message}`.slice(0, 300), { cause: error, details });
};

export const createOpenAITranscriber = (options: OpenAITranscriberOptions): Transcriber => {
  const { apiKey, model, baseUrl, timeoutMs = 30_000, maxRetryWaitMs = 2_000 } = options;
  let loaded: Promise<{ sdk: SDK; client: OpenAI }> | undefined;
  const load = () =>
    (loaded ??= import('openai').then((sdk) => {
      // Retries are ours: the SDK would honour a Retry-After far longer than a user waits.
      const client = new sdk.OpenAI({ apiKey, baseURL: baseUrl, timeout: timeoutMs, maxRetries: 0, fetch: options.fetch, logLevel: 'off' });
      return { sdk, client };
    }));

  return {
    name: 'openai',
    model,
    // What the API lists (flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm): not AMR.
    formats: ['audio/ogg', 'audio/webm', 'audio/mpeg', 'audio/mp4', 'audio/wav'],
    async transcribe(file: string, transcribeOptions: TranscribeOptions = {}): Promise<Transcript> {
      const { signal, language } = transcribeOptions;
      throwIfAborted(signal);
      const { sdk, client } = await load();
      const bytes = await readFile(file);
      // The API tells formats by the file name's extension, so it is named by its bytes.
      const type = sniffAudioType(bytes.subarray(0, SNIFF_BYTES)) ?? 'audio/ogg';
      const name = `voice-note.${AUDIO_TYPES[type] ?? 'ogg'}`;
      for (let attempt = 1; ; attempt += 1) {
        try {
          const result = await client.audio.transcriptions.create(
            { file: await sdk.toFile(bytes, name, { type }), model, response_format: 'json', ...(language ? { language } : {}) },
            { ...(signal ? { signal } : {}), timeout: timeoutMs },
          );
          throwIfAborted(signal);
          const usage = result.usage;
          return {
            text: typeof result.text === 'string' ? result.text.trim() : '',
            ...(language ? { language } : {}),
            ...(usage?.type === 'duration' ? { durationSec: usage.seconds } : {}),
          };
        } catch (error) {
          throwIfAborted(signal);
          const wait = attempt === 1 ? retryWait(sdk, error) : undefined;
          if (wait === undefined || wait > maxRetryWaitMs) throw mapFailure(sdk, error, model, timeoutMs);
          await sleep(wait, undefined, signal ? { signal } : {}).catch(() => throwIfAborted(signal));
        }
      }
    },
  };
};
