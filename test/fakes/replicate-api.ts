/**
 * A loopback fake of Replicate's HTTP API (the parts vidbot uses), in its wire format, so the
 * official SDK runs against it unchanged:
 * - POST /v1/models/{owner}/{name}/predictions and POST /v1/predictions (by version) -> 201 prediction;
 * - GET /v1/predictions (newest first, paged by `next` URLs, `created_after`/`created_before`);
 * - GET /v1/predictions/{id}; POST /v1/predictions/{id}/cancel; GET /v1/webhooks/default/secret;
 * - GET /v1/account: the token's account (what `vidbot doctor` checks);
 * - GET /files/{id}.mp4: the output, as the delivery host serves it;
 * - signed webhook deliveries (Standard Webhooks) to a prediction's webhook URL on each change.
 * Predictions move starting -> processing (with tqdm-style logs) -> succeeded over `runMs`.
 * Creates can misbehave like the real service: an error or a dropped connection before or after
 * the prediction is made, and the list can lag behind creates.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { json, readBody } from './http-fake.ts';

/** How a prediction ends: made, failed by the model (a crash), refused by its safety filter, or never. */
export type Outcome = 'succeed' | 'fail' | 'refuse' | 'hang';

/** How a create misbehaves: an error status, a body that is not JSON, no answer, or a dropped socket. */
export type CreateFault = { kind: 'status'; status: number; retryAfterSec?: number } | { kind: 'malformed' } | { kind: 'hang' } | { kind: 'drop' };

export interface FakePrediction {
  id: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  logs: string;
  output: string | null;
  error: string | null;
  created_at: string;
  completed_at?: string;
  /** Seconds the model ran (what Replicate bills hardware-priced models by), once it ended. */
  metrics?: { predict_time: number; total_time: number };
  webhook?: string;
  webhook_events_filter?: string[];
  urls: { get: string; cancel: string };
}

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface FakeReplicateOptions {
  readonly token?: string;
  /** How long a prediction runs before it finishes (default 300 ms). */
  readonly runMs?: number;
  /** Models the fake knows; others answer 404. */
  readonly models?: readonly string[];
  /** Predictions per page of GET /v1/predictions (default 100). */
  readonly pageSize?: number;
}

export interface FakeReplicate {
  readonly url: string;
  readonly apiUrl: string;
  readonly token: string;
  readonly webhookSecret: string;
  readonly predictions: Map<string, FakePrediction>;
  readonly requests: ApiRequest[];
  readonly webhookStatuses: number[];
  /** How long the next predictions run. */
  setRunMs(ms: number): void;
  /** How the next predictions end (default succeed). */
  setOutcome(outcome: Outcome): void;
  /** The bytes every output URL serves, or an HTTP status to answer instead, with a content type. */
  setOutput(output: Buffer | { status: number }, contentType?: string): void;
  /** The next `times` API requests answer this status (with Retry-After when given). */
  failNext(status: number, times?: number, retryAfterSec?: number): void;
  /** The next API request answers 200 with a body that is not JSON. */
  malformedNext(times?: number): void;
  /** The next API request never answers. */
  hangNext(times?: number): void;
  /** The next `times` creates misbehave; with `made`, the prediction is made first and only the answer is lost. */
  misbehaveCreate(fault: CreateFault, options?: { made?: boolean; times?: number }): void;
  /** The next `times` list requests (GET /v1/predictions) answer this status (with Retry-After when given). */
  failList(status: number, times?: number, retryAfterSec?: number): void;
  /** A new prediction shows in the list only this long after it was made. */
  setListLagMs(ms: number): void;
  /** Removes a prediction's inputs, as Replicate does an hour after it finishes. */
  removeData(id: string): void;
  creates(): number;
  /** Posts a signed delivery of a prediction now, optionally with a given timestamp or a wrong secret. */
  sendWebhook(id: string, options?: { timestampSec?: number; secret?: string }): Promise<number>;
  close(): Promise<void>;
}


const problem = (res: ServerResponse, status: number, title: string, detail: string, headers?: Record<string, string>) =>
  json(res, status, { title, detail, status }, headers);

/** Signs like Standard Webhooks: base64 HMAC-SHA256 of "id.timestamp.body" with the secret's bytes. */
export const signWebhook = (secret: string, id: string, timestamp: number, body: string): string => {
  const key = Buffer.from(secret.split('_').pop() ?? '', 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
};

export const startFakeReplicate = async (options: FakeReplicateOptions = {}): Promise<FakeReplicate> => {
  const token = options.token ?? 'r8_fake_token';
  let runMs = options.runMs ?? 300;
  const models = new Set(options.models ?? ['minimax/video-01', 'minimax/hailuo-02', 'google/veo-3-fast', 'kwaivgi/kling-v2.1', 'acme/custom']);
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const predictions = new Map<string, FakePrediction>();
  const requests: ApiRequest[] = [];
  const webhookStatuses: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let outcome: Outcome = 'succeed';
  let output: Buffer | { status: number } = Buffer.from('not set');
  let outputType = 'video/mp4';
  const faults: ({ kind: 'status'; status: number; retryAfterSec?: number } | { kind: 'malformed' } | { kind: 'hang' })[] = [];
  const createFaults: { fault: CreateFault; made: boolean }[] = [];
  const listFaults: { status: number; retryAfterSec?: number }[] = [];
  const pageSize = options.pageSize ?? 100;
  let listLagMs = 0;
  const listedFrom = new Map<string, number>();
  const removed = new Set<string>();
  let base = '';

  const deliver = async (prediction: FakePrediction, opts: { timestampSec?: number; secret?: string } = {}): Promise<number> => {
    if (!prediction.webhook) return 0;
    const body = JSON.stringify(prediction);
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const timestamp = opts.timestampSec ?? Math.floor(Date.now() / 1000);
    const response = await fetch(prediction.webhook, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(opts.secret ?? webhookSecret, id, timestamp, body),
      },
      body,
    }).catch(() => undefined);
    const status = response?.status ?? 0;
    await response?.body?.cancel().catch(() => {});
    webhookStatuses.push(status);
    return status;
  };

  const later = (ms: number, step: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      step();
    }, ms);
    timers.add(timer);
  };

  // A prediction polled without a webhook ends only after a poll has seen it processing, so a late
  // poll on a loaded machine still sees its logs as a client would on a slower model.
  const seenProcessing = new Set<string>();
  const endAfterPoll = new Map<string, () => void>();
  const afterSeen = (prediction: FakePrediction, step: () => void) => {
    if (prediction.webhook || seenProcessing.has(prediction.id)) return step();
    endAfterPoll.set(prediction.id, step);
  };

  const run = (prediction: FakePrediction, ending: Outcome) => {
    later(runMs / 3, () => {
      if (prediction.status !== 'starting') return;
      prediction.status = 'processing';
      prediction.logs = 'Loading model\n 40%|████      | 4/10 [00:02<00:03,  2.00it/s]';
      void deliver(prediction);
      if (ending === 'hang') return;
      later((runMs * 2) / 3, () => afterSeen(prediction, () => {
        if (prediction.status !== 'processing') return;
        prediction.logs += '\n100%|██████████| 10/10 [00:05<00:00,  2.00it/s]';
        prediction.completed_at = new Date().toISOString();
        prediction.metrics = { predict_time: (runMs * 2) / 3 / 1000, total_time: runMs / 1000 };
        if (ending === 'refuse') {
          prediction.status = 'failed';
          prediction.error = 'E005: the input was flagged as sensitive';
        } else if (ending === 'fail') {
          prediction.status = 'failed';
          prediction.error = 'CUDA out of memory. Tried to allocate 2.00 GiB';
        } else {
          prediction.status = 'succeeded';
          prediction.output = `${base}/files/${prediction.id}.mp4`;
        }
        void deliver(prediction);
      }));
    });
  };

  const misbehave = (res: ServerResponse, fault: CreateFault) => {
    if (fault.kind === 'hang') return;
    if (fault.kind === 'drop') return void res.socket?.destroy();
    if (fault.kind === 'malformed') return void res.writeHead(201, { 'content-type': 'application/json' }).end('{"id": "oops",');
    problem(res, fault.status, 'Server Error', 'scripted failure', fault.retryAfterSec === undefined ? {} : { 'retry-after': String(fault.retryAfterSec) });
  };

  const create = (res: ServerResponse, model: string, version: string, body: Record<string, unknown>) => {
    const scripted = createFaults.shift();
    if (scripted && !scripted.made) return misbehave(res, scripted.fault);
    const id = randomBytes(13).toString('hex').slice(0, 26);
    const prediction: FakePrediction = {
      id,
      model,
      version,
      input: (body.input as Record<string, unknown>) ?? {},
      status: 'starting',
      logs: '',
      output: null,
      error: null,
      created_at: new Date().toISOString(),
      urls: { get: `${base}/v1/predictions/${id}`, cancel: `${base}/v1/predictions/${id}/cancel` },
      ...(typeof body.webhook === 'string' ? { webhook: body.webhook } : {}),
      ...(Array.isArray(body.webhook_events_filter) ? { webhook_events_filter: body.webhook_events_filter as string[] } : {}),
    };
    predictions.set(id, prediction);
    listedFrom.set(id, Date.now() + listLagMs);
    run(prediction, outcome);
    if (scripted) return misbehave(res, scripted.fault);
    json(res, 201, prediction);
  };

  /** The list's view of a prediction: no logs, inputs gone once removed, as the real list shows it. */
  const listed = (prediction: FakePrediction) => {
    const { logs: _logs, ...rest } = prediction;
    const gone = removed.has(prediction.id);
    return { ...rest, source: 'api', data_removed: gone, ...(gone ? { input: {} } : {}) };
  };

  const list = (res: ServerResponse, query: URLSearchParams) => {
    const after = Date.parse(query.get('created_after') ?? '');
    const before = Date.parse(query.get('created_before') ?? '');
    const now = Date.now();
    const all = [...predictions.values()]
      .filter((p) => (listedFrom.get(p.id) ?? 0) <= now)
      .filter((p) => Number.isNaN(after) || Date.parse(p.created_at) >= after)
      .filter((p) => Number.isNaN(before) || Date.parse(p.created_at) < before)
      .reverse();
    const from = Number(query.get('cursor') ?? 0);
    const next = new URL(`${base}/v1/predictions`);
    for (const [key, value] of query) if (key !== 'cursor') next.searchParams.set(key, value);
    next.searchParams.set('cursor', String(from + pageSize));
    json(res, 200, {
      results: all.slice(from, from + pageSize).map(listed),
      next: from + pageSize < all.length ? next.toString() : null,
      previous: null,
    });
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, body: unknown): Promise<void> => {
    const path = url.pathname;
    const fault = faults.shift();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "oops",');
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = fault.retryAfterSec === undefined ? {} : { 'retry-after': String(fault.retryAfterSec) };
      return problem(res, fault.status, fault.status === 429 ? 'Too Many Requests' : 'Server Error', 'scripted failure', headers);
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return problem(res, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
    }
    const modelRoute = /^\/v1\/models\/([^/]+\/[^/]+)\/predictions$/.exec(path);
    if (req.method === 'POST' && modelRoute?.[1]) {
      if (!models.has(modelRoute[1])) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
      return create(res, modelRoute[1], 'fakeversion', body as Record<string, unknown>);
    }
    if (req.method === 'POST' && path === '/v1/predictions') {
      const version = String((body as { version?: unknown }).version ?? '');
      if (!/^[0-9a-f]{64}$/.test(version)) return problem(res, 422, 'Invalid version', 'The specified version does not exist.');
      return create(res, 'acme/custom', version, body as Record<string, unknown>);
    }
    if (req.method === 'GET' && path === '/v1/predictions') {
      const failure = listFaults.shift();
      if (failure !== undefined) {
        return problem(res, failure.status, 'Server Error', 'scripted list failure', failure.retryAfterSec === undefined ? {} : { 'retry-after': String(failure.retryAfterSec) });
      }
      return list(res, url.searchParams);
    }
    if (req.method === 'GET' && path === '/v1/webhooks/default/secret') return json(res, 200, { key: webhookSecret });
    if (req.method === 'GET' && path === '/v1/account') {
      return json(res, 200, { type: 'user', username: 'fake-user', name: 'Fake User', github_url: null });
    }
    const one = /^\/v1\/predictions\/([^/]+)(\/cancel)?$/.exec(path);
    const prediction = one?.[1] ? predictions.get(one[1]) : undefined;
    if (!prediction) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
    if (req.method === 'GET' && !one?.[2]) {
      json(res, 200, prediction);
      if (prediction.status !== 'processing') return;
      seenProcessing.add(prediction.id);
      const ending = endAfterPoll.get(prediction.id);
      endAfterPoll.delete(prediction.id);
      return ending?.();
    }
    if (req.method === 'POST' && one?.[2]) {
      if (prediction.status === 'starting' || prediction.status === 'processing') {
        prediction.status = 'canceled';
        prediction.completed_at = new Date().toISOString();
      }
      return json(res, 200, prediction);
    }
    problem(res, 405, 'Method not allowed', `${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = await readBody(req);
      if (url.pathname.startsWith('/files/')) {
        if (!Buffer.isBuffer(output)) return problem(res, output.status, 'Not found', 'gone');
        return void res.writeHead(200, { 'content-type': outputType, 'content-length': String(output.length) }).end(output);
      }
      let body: unknown = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        return problem(res, 400, 'Bad request', 'body is not JSON');
      }
      requests.push({ method: req.method ?? 'GET', path: url.pathname, body });
      await api(req, res, url, body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apiUrl: `${base}/v1`,
    token,
    webhookSecret,
    predictions,
    requests,
    webhookStatuses,
    setOutcome: (next) => void (outcome = next),
    setRunMs: (ms) => void (runMs = ms),
    setOutput: (next, contentType = 'video/mp4') => {
      output = next;
      outputType = contentType;
    },
    failNext: (status, times = 1, retryAfterSec) => {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'status', status, ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
    },
    malformedNext: (times = 1) => {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'malformed' });
    },
    hangNext: (times = 1) => {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'hang' });
    },
    misbehaveCreate: (fault, opts = {}) => {
      for (let i = 0; i < (opts.times ?? 1); i += 1) createFaults.push({ fault, made: opts.made ?? false });
    },
    failList: (status, times = 1, retryAfterSec) => {
      for (let i = 0; i < times; i += 1) listFaults.push({ status, ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
    },
    setListLagMs: (ms) => void (listLagMs = ms),
    removeData: (id) => void removed.add(id),
    creates: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/predictions')).length,
    sendWebhook: (id, opts) => {
      const prediction = predictions.get(id);
      if (!prediction) throw new Error(`no prediction ${id}`);
      return deliver(prediction, opts);
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
