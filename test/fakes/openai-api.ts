/**
 * A loopback fake of the OpenAI HTTP API (the part vidbot uses), speaking the real wire format so
 * the official SDK builds and parses requests against it as against api.openai.com:
 * - POST /v1/responses (JSON body, `Authorization: Bearer <key>`) -> a Response object whose
 *   `output` holds one assistant message; the SDK derives `output_text` from it, as with the real API;
 * - POST /v1/audio/transcriptions (multipart form: file, model, optional language and response_format)
 *   -> `{ text, usage }` for json, the bare text for text; a file whose bytes are not audio the API
 *   takes is refused with its 400, a model it does not have with its 404;
 * - GET /v1/models and GET /v1/models/{model}: the models the key can use (404 for others);
 * - errors use OpenAI's shape, `{ error: { message, type, param, code } }`.
 * Tests script the reply and the transcript, failures (429 with Retry-After, 500, ...), hangs and
 * malformed bodies.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Every request to the fake, refused ones included. */
export interface FakeOpenAIRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly authorized: boolean;
  /** The parsed JSON body (undefined when it was not JSON). */
  readonly body: Record<string, unknown> | undefined;
}

/** A transcription request the fake answered or refused after reading its form. */
export interface FakeTranscription {
  readonly model: string;
  readonly language?: string;
  readonly responseFormat: string;
  readonly fileName: string;
  readonly fileType: string;
  /** The uploaded bytes, exactly as the SDK sent them. */
  readonly bytes: Buffer;
}

/** What the model "says": plain text, or a scripted outcome. */
export type FakeOpenAIReply =
  | string
  | {
      readonly text?: string;
      /** Answers a refusal content part instead of output_text. */
      readonly refusal?: string;
      readonly status?: 'completed' | 'incomplete' | 'failed';
      readonly incompleteReason?: 'max_output_tokens' | 'content_filter';
    };

export interface FakeOpenAIFailure {
  readonly status: number;
  readonly message?: string;
  readonly type?: string;
  readonly code?: string | null;
  /** Seconds, sent as Retry-After (e.g. with a 429). */
  readonly retryAfter?: number;
  /** How many consecutive requests fail this way (default 1). */
  readonly times?: number;
}

export interface FakeOpenAI {
  /** The SDK's baseURL: `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  readonly apiKey: string;
  readonly requests: FakeOpenAIRequest[];
  /** Transcription requests whose form was read, refused ones included. */
  readonly transcriptions: FakeTranscription[];
  /** Sets how the model answers a request body (default: echoes a "polished" version of the input). */
  setReply(reply: (body: Record<string, unknown>) => FakeOpenAIReply): void;
  /** Sets what every voice note "says" (default: FAKE_TRANSCRIPT). */
  setTranscript(transcript: (request: FakeTranscription) => string): void;
  /** Makes the next request(s) fail with this HTTP status and OpenAI error body. */
  failNext(failure: FakeOpenAIFailure): void;
  /** While on, requests are recorded but never answered (timeout tests). */
  hang(on?: boolean): void;
  /** Answers the next request(s) with 200, a JSON content type and a body that is not JSON. */
  malformedNext(times?: number): void;
  close(): Promise<void>;
}

const id = (prefix: string): string => `${prefix}_${randomBytes(24).toString('hex')}`;

const errorBody = (message: string, type: string, code: string | null) => ({ error: { message, type, param: null, code } });

const defaultErrors: Readonly<Record<number, { message: string; type: string; code: string | null }>> = {
  429: { message: 'Rate limit reached for requests. Please try again in 20s.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
};

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** What the fake's voice notes say unless a test scripts otherwise. */
export const FAKE_TRANSCRIPT = 'a red balloon over the sea';

/** The formats the transcription API lists, told apart by their first bytes as the real API does. */
const AUDIO_FORMAT_NAMES = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']";
const looksLikeAudio = (bytes: Buffer): boolean => {
  const text = (at: number, s: string) => bytes.subarray(at, at + s.length).toString('latin1') === s;
  return (
    text(0, 'OggS') ||
    bytes.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])) ||
    text(0, 'ID3') ||
    (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0) ||
    text(4, 'ftyp') ||
    (text(0, 'RIFF') && text(8, 'WAVE')) ||
    text(0, 'fLaC')
  );
};

/** Transcription models (besides the chat ones); whisper-1 bills by duration, the others by tokens. */
export const FAKE_TRANSCRIBE_MODELS: readonly string[] = ['gpt-4o-mini-transcribe', 'gpt-4o-transcribe', 'whisper-1'];

const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** Models GET /v1/models lists by default. */
export const FAKE_OPENAI_MODELS: readonly string[] = ['gpt-4.1-mini', 'gpt-4.1', 'gpt-4o-mini', 'gpt-5-mini'];

export const startFakeOpenAI = async ({
  apiKey = 'sk-fake-openai-key',
  reply: initialReply,
  models = [...FAKE_OPENAI_MODELS, ...FAKE_TRANSCRIBE_MODELS],
}: { apiKey?: string; reply?: (body: Record<string, unknown>) => FakeOpenAIReply; models?: readonly string[] } = {}): Promise<FakeOpenAI> => {
  const requests: FakeOpenAIRequest[] = [];
  const failures: FakeOpenAIFailure[] = [];
  const transcriptions: FakeTranscription[] = [];
  let transcript: (request: FakeTranscription) => string = () => FAKE_TRANSCRIPT;
  let reply = initialReply ?? ((body) => `A cinematic shot of ${String(body.input)}, golden hour light, slow dolly-in.`);
  let hanging = false;
  let malformed = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res
      .writeHead(status, { 'content-type': 'application/json', 'x-request-id': id('req'), 'openai-processing-ms': '42', ...headers })
      .end(JSON.stringify(body));
  };

  const respond = (res: ServerResponse, body: Record<string, unknown>): void => {
    const scripted = reply(body);
    const { text = '', refusal, status = 'completed', incompleteReason } = typeof scripted === 'string' ? { text: scripted } : scripted;
    const content =
      refusal === undefined ? { type: 'output_text', text, annotations: [], logprobs: [] } : { type: 'refusal', refusal };
    const input = typeof body.input === 'string' ? body.input : JSON.stringify(body.input);
    const [inputTokens, outputTokens] = [tokens(`${String(body.instructions ?? '')}${input}`), tokens(text)];
    send(res, 200, {
      id: id('resp'),
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status,
      background: false,
      error: status === 'failed' ? { code: 'server_error', message: 'The model failed to generate a response.' } : null,
      incomplete_details: status === 'incomplete' ? { reason: incompleteReason ?? 'max_output_tokens' } : null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      model: `${String(body.model)}-2025-08-07`,
      output:
        status === 'failed'
          ? []
          : [{ id: id('msg'), type: 'message', status: status === 'incomplete' ? 'incomplete' : 'completed', role: 'assistant', content: [content] }],
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 1,
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: 'auto',
      tools: [],
      top_p: 1,
      truncation: 'disabled',
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
      user: null,
      metadata: {},
    });
  };

  /** POST /v1/audio/transcriptions, once the key and scripted failures are past. */
  const transcribe = async (res: ServerResponse, req: IncomingMessage, raw: Buffer): Promise<void> => {
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
    } catch {
      return send(res, 400, errorBody("Could not parse multipart form", 'invalid_request_error', null));
    }
    const file = form.get('file');
    const model = form.get('model');
    if (typeof model !== 'string') return send(res, 400, errorBody("you must provide a model parameter", 'invalid_request_error', null));
    if (file === null || typeof file === 'string') {
      return send(res, 400, errorBody("Missing required parameter: 'file'.", 'invalid_request_error', 'missing_required_parameter'));
    }
    const language = form.get('language');
    const request: FakeTranscription = {
      model,
      responseFormat: String(form.get('response_format') ?? 'json'),
      fileName: file.name,
      fileType: file.type,
      bytes: Buffer.from(await file.arrayBuffer()),
      ...(typeof language === 'string' ? { language } : {}),
    };
    transcriptions.push(request);
    if (!models.includes(model)) {
      return send(res, 404, errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'));
    }
    if (!FAKE_TRANSCRIBE_MODELS.includes(model)) {
      return send(res, 400, errorBody(`Model ${model} is not supported for this endpoint.`, 'invalid_request_error', 'unsupported_value'));
    }
    if (!looksLikeAudio(request.bytes)) {
      return send(res, 400, errorBody(`Invalid file format. Supported formats: ${AUDIO_FORMAT_NAMES}`, 'invalid_request_error', null));
    }
    const text = transcript(request);
    if (request.responseFormat === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-request-id': id('req') }).end(`${text}\n`);
      return;
    }
    if (request.responseFormat !== 'json') {
      return send(res, 400, errorBody(`response_format '${request.responseFormat}' is not compatible with model '${model}'. Use 'json' or 'text' instead.`, 'invalid_request_error', 'unsupported_value'));
    }
    // A rough length from the Opus bitrate the tests use (24 kb/s), for whisper-1's duration billing.
    const seconds = Math.max(1, Math.round(request.bytes.length / 3_000));
    const usage =
      model === 'whisper-1'
        ? { type: 'duration', seconds }
        : { type: 'tokens', input_tokens: seconds * 10, output_tokens: tokens(text), total_tokens: seconds * 10 + tokens(text), input_token_details: { audio_tokens: seconds * 10, text_tokens: 0 } };
    send(res, 200, { text, usage });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      const raw = await readBody(req);
      let body: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      const authorization = req.headers.authorization;
      const authorized = authorization === `Bearer ${apiKey}`;
      requests.push({ method: req.method ?? '', path, authorization, authorized, body });
      if (hanging) return; // close() destroys the socket
      if (!authorized) {
        const shown = (authorization ?? '').replace(/^Bearer /, '');
        return send(
          res,
          401,
          errorBody(
            `Incorrect API key provided: ${shown.slice(0, 3)}***${shown.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            'invalid_request_error',
            'invalid_api_key',
          ),
        );
      }
      const modelObject = (model: string) => ({ id: model, object: 'model', created: 1_700_000_000, owned_by: 'system' });
      if (req.method === 'GET' && path === '/v1/models') return send(res, 200, { object: 'list', data: models.map(modelObject) });
      const modelPath = /^\/v1\/models\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && modelPath?.[1] !== undefined) {
        const model = decodeURIComponent(modelPath[1]);
        if (models.includes(model)) return send(res, 200, modelObject(model));
        return send(res, 404, errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'));
      }
      const isTranscription = req.method === 'POST' && path === '/v1/audio/transcriptions';
      if (req.method !== 'POST' || (path !== '/v1/responses' && !isTranscription)) {
        return send(res, 404, errorBody(`Invalid URL (${req.method ?? ''} ${path})`, 'invalid_request_error', null));
      }
      const failure = failures[0];
      if (failure !== undefined) {
        if ((failure.times ?? 1) <= 1) failures.shift();
        else failures[0] = { ...failure, times: (failure.times ?? 1) - 1 };
        const known = defaultErrors[failure.status] ?? { message: `Fake failure ${failure.status}`, type: 'server_error', code: null };
        const headers: Record<string, string> = failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
        const error = errorBody(failure.message ?? known.message, failure.type ?? known.type, failure.code === undefined ? known.code : failure.code);
        return send(res, failure.status, error, headers);
      }
      if (isTranscription) return transcribe(res, req, raw);
      if (malformed > 0) {
        malformed -= 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "resp_123", "object": "response", "output": [');
        return;
      }
      if (body === undefined) return send(res, 400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
      if (typeof body.model !== 'string') {
        return send(res, 400, errorBody("Missing required parameter: 'model'.", 'invalid_request_error', 'missing_required_parameter'));
      }
      respond(res, body);
    })().catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody(String(error), 'server_error', null));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;

  return {
    url,
    apiKey,
    requests,
    transcriptions,
    setReply: (next) => {
      reply = next;
    },
    setTranscript: (next) => {
      transcript = next;
    },
    failNext: (failure) => void failures.push(failure),
    hang: (on = true) => {
      hanging = on;
    },
    malformedNext: (times = 1) => {
      malformed += times;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
