/**
 * The OpenAI prompt polisher: rewrites a user's prompt into a vivid text-to-video prompt with the
 * official SDK's Responses API. Polishing is a nicety, so every service failure falls back to the
 * original prompt with a short reason; only the caller's abort throws.
 * The SDK is imported on first use, so loading vidbot does not pay for it.
 */
import type { OpenAI } from 'openai';
import { throwIfAborted } from '../errors.ts';
import type { RunOptions } from '../progress.ts';
import type { PolishResult, PromptPolisher } from './port.ts';

export interface OpenAIPolisherOptions {
  readonly apiKey: string;
  readonly model: string;
  readonly baseUrl?: string;
  /** Time limit of one polish, retries included (default 10 s). */
  readonly timeoutMs?: number;
  /** Longest polished prompt, in characters (default 1000). */
  readonly maxChars?: number;
  readonly fetch?: typeof fetch;
  /** Told why a polish fell back. */
  readonly logger?: (warning: string) => void;
}

type SDK = typeof import('openai');

export const polishInstructions = (maxChars: number): string =>
  [
    'You rewrite prompts for a text-to-video model.',
    'Rewrite the user\'s prompt into one vivid, concrete video prompt: subject, action, setting, lighting, camera movement and mood.',
    'Keep the user\'s intent and every detail they asked for; do not invent a different scene.',
    'Answer in the language the prompt is written in.',
    'Do not add on-screen text, captions, subtitles, logos or watermarks.',
    'Reply with the prompt only: no preamble, no explanation, no quotes, no lists, one paragraph.',
    `At most ${maxChars} characters.`,
  ].join('\n');

const QUOTES: Readonly<Record<string, string>> = { '"': '"', "'": "'", '`': '`', '“': '”', '‘': '’', '«': '»', '„': '“', '「': '」' };

/** One paragraph, without wrapping quotes, cut at a word boundary to fit `maxChars` code points. */
export const tidyPolished = (text: string, maxChars: number): string => {
  let out = text.replace(/\s+/g, ' ').trim();
  for (;;) {
    const close = QUOTES[out[0] ?? ''];
    if (close === undefined || out.length < 2 || !out.endsWith(close)) break;
    out = out.slice(1, -1).trim();
  }
  const chars = [...out];
  if (chars.length <= maxChars) return out;
  const cut = chars.slice(0, maxChars).join('');
  const space = cut.lastIndexOf(' ');
  // Scripts without spaces (Chinese, Japanese) have no word boundary: cut at the cap then.
  const head = space >= cut.length * 0.6 ? cut.slice(0, space) : cut;
  return head.replace(/[\s,;:\-–—]+$/u, '');
};

const seconds = (ms: number): string => (ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`);

/** A short human reason for anything the SDK threw (the caller's abort is handled before). */
const failureReason = (sdk: SDK, error: unknown, model: string, timeoutMs: number, timedOut: boolean): string => {
  if (timedOut || error instanceof sdk.APIConnectionTimeoutError) return `OpenAI did not answer within ${seconds(timeoutMs)}`;
  if (error instanceof sdk.APIConnectionError) return 'Could not reach OpenAI';
  if (error instanceof sdk.APIError && typeof error.status === 'number') {
    if (error.status === 401) return 'OpenAI rejected OPENAI_API_KEY (401)';
    if (error.status === 403) return 'OpenAI refused access (403)';
    if (error.status === 404) return `OpenAI has no model "${model}" (404)`;
    if (error.status === 429) return error.code === 'insufficient_quota' ? 'OpenAI quota exceeded (429)' : 'OpenAI rate limit (429)';
    return `OpenAI error ${error.status}`;
  }
  if (error instanceof SyntaxError) return 'OpenAI sent malformed JSON';
  return `OpenAI polish failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200);
};

/** Why a parsed response has no usable text, or undefined when it has some. */
const responseProblem = (response: OpenAI.Responses.Response): string | undefined => {
  if (response.status === 'incomplete') return `OpenAI response incomplete (${response.incomplete_details?.reason ?? 'unknown'})`;
  if (response.status !== undefined && response.status !== 'completed') return `OpenAI response ${response.status}`;
  const refused = (response.output ?? []).some((item) => item.type === 'message' && item.content.some((c) => c.type === 'refusal'));
  if (refused) return 'OpenAI refused to rewrite the prompt';
  return undefined;
};

export const createOpenAIPolisher = (options: OpenAIPolisherOptions): PromptPolisher => {
  const { apiKey, model, baseUrl, timeoutMs = 10_000, maxChars = 1000, logger } = options;
  let loaded: Promise<{ sdk: SDK; client: OpenAI }> | undefined;
  const load = () =>
    (loaded ??= import('openai').then((sdk) => {
      const client = new sdk.OpenAI({
        apiKey,
        baseURL: baseUrl,
        timeout: timeoutMs,
        // A retry's backoff (or a 429's Retry-After) would spend the user's wait: fall back instead.
        maxRetries: 0,
        fetch: options.fetch,
        // Failures are reported through the fallback reason and `logger`, not the SDK's console.
        logLevel: 'off',
      });
      return { sdk, client };
    }));

  const fallback = (prompt: string, reason: string): PolishResult => {
    logger?.(`Prompt polish fell back to the original prompt: ${reason}`);
    return { prompt, polished: false, fallbackReason: reason };
  };

  return {
    name: 'openai',
    async polish(prompt: string, runOptions?: RunOptions): Promise<PolishResult> {
      const caller = runOptions?.signal;
      throwIfAborted(caller);
      const { sdk, client } = await load();
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = caller ? AbortSignal.any([caller, deadline]) : deadline;
      let text: string;
      try {
        const response = await client.responses.create(
          {
            model,
            instructions: polishInstructions(maxChars),
            input: prompt,
            // About one token per character covers any script; the rest is room for reasoning models.
            max_output_tokens: maxChars + 1024,
          },
          { signal, timeout: timeoutMs },
        );
        throwIfAborted(caller);
        const problem = responseProblem(response);
        if (problem !== undefined) return fallback(prompt, problem);
        text = typeof response.output_text === 'string' ? response.output_text : '';
      } catch (error) {
        // The caller's abort is a cancel, not a failure; our own deadline is a failure.
        throwIfAborted(caller);
        return fallback(prompt, failureReason(sdk, error, model, timeoutMs, deadline.aborted));
      }
      const polished = tidyPolished(text, maxChars);
      if (polished === '') return fallback(prompt, 'OpenAI returned no text');
      return { prompt: polished, polished: true };
    },
  };
};
