import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVidbotError } from '../../src/lib/errors.ts';
import { createOpenAIPolisher, type OpenAIPolisherOptions, tidyPolished } from '../../src/lib/polisher/openai.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';

const KEY = 'sk-test-0123456789abcdef';
const MODEL = 'gpt-5-mini';
const PROMPT = 'a fox running through a neon city at night';

let fake: FakeOpenAI;
let warnings: string[];

beforeEach(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
  warnings = [];
});

afterEach(async () => {
  await fake.close();
});

const polisher = (over: Partial<OpenAIPolisherOptions> = {}) =>
  createOpenAIPolisher({ apiKey: KEY, model: MODEL, baseUrl: fake.url, logger: (w) => warnings.push(w), ...over });

const expectFallback = (result: { prompt: string; polished: boolean; fallbackReason?: string }, reason: string | RegExp) => {
  expect(result.prompt).toBe(PROMPT);
  expect(result.polished).toBe(false);
  if (typeof reason === 'string') expect(result.fallbackReason).toBe(reason);
  else expect(result.fallbackReason).toMatch(reason);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(result.fallbackReason);
};

describe('createOpenAIPolisher: success', () => {
  it('polishes through the Responses API, sending model, instructions and input', async () => {
    fake.setReply((body) => `Neon-lit streets at night; ${String(body.input)}, rain-slick asphalt, tracking shot.`);
    const p = polisher();
    expect(p.name).toBe('openai');

    const result = await p.polish(PROMPT);

    expect(result).toEqual({
      prompt: `Neon-lit streets at night; ${PROMPT}, rain-slick asphalt, tracking shot.`,
      polished: true,
    });
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/responses');
    expect(request?.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.body?.model).toBe(MODEL);
    expect(request?.body?.input).toBe(PROMPT);
    expect(typeof request?.body?.max_output_tokens).toBe('number');
    const instructions = String(request?.body?.instructions);
    expect(instructions).toMatch(/language the prompt is written in/i);
    expect(instructions).toMatch(/watermark/i);
    expect(instructions).toMatch(/one paragraph/i);
    expect(instructions).toContain('At most 1000 characters');
    expect(warnings).toEqual([]);
  });

  it('trims the output, joins lines and strips surrounding quotes', async () => {
    fake.setReply(() => '  \n“A red fox sprints\nthrough neon rain.”  \n');
    const result = await polisher().polish(PROMPT);
    expect(result).toEqual({ prompt: 'A red fox sprints through neon rain.', polished: true });
  });

  it('keeps the cap, cutting at a word boundary, and tells the model the cap', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    fake.setReply(() => long);

    const result = await polisher({ maxChars: 57 }).polish(PROMPT);

    expect(result.polished).toBe(true);
    expect([...result.prompt].length).toBeLessThanOrEqual(57);
    expect(result.prompt.length).toBeGreaterThan(40);
    expect(long.startsWith(result.prompt)).toBe(true);
    expect(long[result.prompt.length]).toBe(' ');
    expect(String(fake.requests[0]?.body?.instructions)).toContain('At most 57 characters');
  });

  it('cuts text without spaces at the cap, counting code points', () => {
    expect(tidyPolished('霓虹城市里奔跑的狐狸在夜色中穿行', 5)).toBe('霓虹城市里');
    expect(tidyPolished('🦊🦊🦊🦊', 3)).toBe('🦊🦊🦊');
    expect(tidyPolished("'quoted'", 100)).toBe('quoted');
  });

  it('sends requests through the given fetch', async () => {
    const urls: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    };
    const result = await polisher({ fetch: counting }).polish(PROMPT);
    expect(result.polished).toBe(true);
    expect(urls).toEqual([`${fake.url}/responses`]);
  });
});

describe('createOpenAIPolisher: falls back to the original prompt', () => {
  it('on a bad key, naming OPENAI_API_KEY', async () => {
    const result = await polisher({ apiKey: 'sk-wrong' }).polish(PROMPT);
    expectFallback(result, 'OpenAI rejected OPENAI_API_KEY (401)');
    expect(fake.requests.map((r) => r.authorized)).toEqual([false]);
  });

  it('on a 500, without retrying', async () => {
    fake.failNext({ status: 500 });
    const result = await polisher().polish(PROMPT);
    expectFallback(result, 'OpenAI error 500');
    expect(fake.requests).toHaveLength(1);
  });

  it('on a 429 at once, without waiting for Retry-After', async () => {
    fake.failNext({ status: 429, retryAfter: 5 });
    const started = Date.now();
    const result = await polisher().polish(PROMPT);
    expectFallback(result, 'OpenAI rate limit (429)');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.requests).toHaveLength(1);
  });

  it('on an exhausted quota (429 insufficient_quota)', async () => {
    fake.failNext({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota', message: 'You exceeded your current quota.' });
    expectFallback(await polisher().polish(PROMPT), 'OpenAI quota exceeded (429)');
  });

  it('when OpenAI hangs, after timeoutMs, even with a live caller signal', async () => {
    fake.hang();
    const caller = new AbortController();
    const started = Date.now();
    const result = await polisher({ timeoutMs: 300 }).polish(PROMPT, { signal: caller.signal });
    const elapsed = Date.now() - started;
    expectFallback(result, 'OpenAI did not answer within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
    expect(fake.requests).toHaveLength(1);
  });

  it('formats longer time limits in seconds', async () => {
    fake.hang();
    expectFallback(await polisher({ timeoutMs: 1500 }).polish(PROMPT), 'OpenAI did not answer within 1.5 s');
  });

  it('on a malformed JSON body', async () => {
    fake.malformedNext();
    expectFallback(await polisher().polish(PROMPT), 'OpenAI sent malformed JSON');
  });

  it('on empty text', async () => {
    fake.setReply(() => '');
    expectFallback(await polisher().polish(PROMPT), 'OpenAI returned no text');
  });

  it('on text that is only whitespace and quotes', async () => {
    fake.setReply(() => ' "  " ');
    expectFallback(await polisher().polish(PROMPT), 'OpenAI returned no text');
  });

  it('on a refusal', async () => {
    fake.setReply(() => ({ refusal: "I'm sorry, I can't help with that." }));
    expectFallback(await polisher().polish(PROMPT), 'OpenAI refused to rewrite the prompt');
  });

  it('on an incomplete response, even with partial text', async () => {
    fake.setReply(() => ({ text: 'A fox runs through', status: 'incomplete', incompleteReason: 'max_output_tokens' }));
    expectFallback(await polisher().polish(PROMPT), 'OpenAI response incomplete (max_output_tokens)');
  });

  it('when OpenAI cannot be reached', async () => {
    const url = fake.url;
    await fake.close();
    fake = await startFakeOpenAI({ apiKey: KEY }); // afterEach closes this one
    expectFallback(await polisher({ baseUrl: url }).polish(PROMPT), 'Could not reach OpenAI');
  });
});

describe('createOpenAIPolisher: caller abort', () => {
  const caught = async (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );

  it('throws VIDBOT_CANCELED when the caller aborts mid-request', async () => {
    fake.hang();
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('user canceled')), 100);
    const started = Date.now();
    const error = await caught(polisher({ timeoutMs: 5000 }).polish(PROMPT, { signal: caller.signal }));
    expect(isVidbotError(error, 'VIDBOT_CANCELED')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.requests).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('throws VIDBOT_CANCELED without calling OpenAI when already aborted', async () => {
    const caller = new AbortController();
    caller.abort();
    const error = await caught(polisher().polish(PROMPT, { signal: caller.signal }));
    expect(isVidbotError(error, 'VIDBOT_CANCELED')).toBe(true);
    expect(fake.requests).toHaveLength(0);
  });
});
