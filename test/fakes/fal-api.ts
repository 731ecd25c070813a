/**
 * A loopback fake of fal.ai in its wire format, so the official @fal-ai/client runs against it
 * (its queue URLs rewritten to this server):
 * - POST /{endpoint} (queue submit; `fal_webhook` query) -> { request_id, status_url, ... };
 * - GET /{owner}/{app}/requests/{id}/status[?logs=1]: IN_QUEUE (position) -> IN_PROGRESS (logs) -> COMPLETED (metrics);
 * - GET /{owner}/{app}/requests/{id}: the result ({ video: { url } }), or the model's error (422 with detail);
 * - PUT /{owner}/{app}/requests/{id}/cancel: 202 CANCELLATION_REQUESTED, or 400 ALREADY_COMPLETED;
 * - GET /v1/models/requests/by-endpoint (platform list, `expand=payloads` gives json_input); this fake
 *   lists requests from the moment they are queued, which fal does not document either way;
 * - GET /.well-known/jwks.json: the Ed25519 key webhooks are signed with;
 * - GET /files/{id}.mp4: the output.
 * A request polled for its status (no webhook) moves on only after a poll has seen its state, so a
 * loaded machine's late poll still sees the queue and the logs as a client would on a slower model.
 * Webhook deliveries are signed as fal signs them. Requests can misbehave like the real service: 429
 * with Retry-After, 5xx, a submit made but answered 500, a failed request with its error detail.
 */
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Fault, createTimers, json, listen, misbehave, readBody } from './http-fake.ts';

export type FalOutcome = 'succeed' | 'fail' | 'refuse' | 'hang';

export interface FakeFalRequest {
  id: string;
  endpoint: string;
  input: Record<string, unknown>;
  status: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';
  outcome: FalOutcome;
  canceled: boolean;
  logs: { message: string; level: string; source: 'USER'; timestamp: string }[];
  sentAt: string;
  endedAt: string | null;
  webhook?: string;
  /** The state a status poll last answered, and the step waiting for a poll to see the current one. */
  seen?: FakeFalRequest['status'];
  onSeen?: () => void;
}

export interface FakeFal {
  readonly url: string;
  readonly key: string;
  readonly requests: Map<string, FakeFalRequest>;
  readonly calls: { method: string; path: string; query: string }[];
  readonly webhookStatuses: number[];
  setRunMs(ms: number): void;
  setOutcome(outcome: FalOutcome): void;
  setOutput(bytes: Buffer): void;
  /** The next `times` API calls answer this status (with Retry-After when given). */
  failNext(status: number, times?: number, retryAfterSec?: number): void;
  /** The next submit misbehaves; with `made`, the request is queued first and only the answer is lost. */
  misbehaveSubmit(fault: Fault, options?: { made?: boolean }): void;
  submits(): number;
  /** Posts a signed delivery of a request now, optionally with another timestamp or a foreign key. */
  sendWebhook(id: string, options?: { timestampSec?: number; forged?: boolean }): Promise<number>;
  close(): Promise<void>;
}

const USER_ID = 'fake-user';

export const startFakeFal = async (options: { key?: string; runMs?: number } = {}): Promise<FakeFal> => {
  const key = options.key ?? 'fal-key-id:fal-key-secret';
  let runMs = options.runMs ?? 300;
  let outcome: FalOutcome = 'succeed';
  let output: Buffer = Buffer.from('not set');
  const requests = new Map<string, FakeFalRequest>();
  const calls: FakeFal['calls'] = [];
  const webhookStatuses: number[] = [];
  const faults: Fault[] = [];
  const submitFaults: { fault: Fault; made: boolean }[] = [];
  const timers = createTimers();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const foreign = generateKeyPairSync('ed25519').privateKey;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'fake', use: 'sig', alg: 'EdDSA' };
  let base = '';

  const problem = (res: ServerResponse, status: number, headers: Record<string, string> = {}) =>
    json(res, status, { detail: status === 429 ? 'Too many requests' : 'Internal server error' }, headers);

  const resultBody = (request: FakeFalRequest) => ({ video: { url: `${base}/files/${request.id}.mp4`, content_type: 'video/mp4' }, seed: 42 });
  const errorDetail = (request: FakeFalRequest) =>
    request.outcome === 'refuse'
      ? [{ loc: ['body', 'prompt'], msg: 'The content could not be processed because it contained material flagged by a content checker.', type: 'content_policy_violation' }]
      : [{ loc: ['body'], msg: 'Generation failed: the model could not render this scene', type: 'generation_error' }];

  const deliver = async (request: FakeFalRequest, opts: { timestampSec?: number; forged?: boolean } = {}): Promise<number> => {
    if (!request.webhook) return 0;
    const ok = request.outcome === 'succeed' && !request.canceled;
    const body = JSON.stringify({
      request_id: request.id,
      gateway_request_id: request.id,
      status: ok ? 'OK' : 'ERROR',
      payload: ok ? resultBody(request) : { detail: errorDetail(request) },
      error: ok ? null : 'Invalid status code: 422',
    });
    const timestamp = String(opts.timestampSec ?? Math.floor(Date.now() / 1000));
    const message = [request.id, USER_ID, timestamp, createHash('sha256').update(body).digest('hex')].join('\n');
    const signature = sign(null, Buffer.from(message), opts.forged ? foreign : privateKey).toString('hex');
    const response = await fetch(request.webhook, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-fal-webhook-request-id': request.id,
        'x-fal-webhook-user-id': USER_ID,
        'x-fal-webhook-timestamp': timestamp,
        'x-fal-webhook-signature': signature,
      },
      body,
    }).catch(() => undefined);
    await response?.body?.cancel().catch(() => {});
    webhookStatuses.push(response?.status ?? 0);
    return response?.status ?? 0;
  };

  const afterSeen = (request: FakeFalRequest, step: () => void) => {
    if (request.webhook || request.seen === request.status) return step();
    request.onSeen = step;
  };

  const run = (request: FakeFalRequest) => {
    timers.later(runMs / 3, () => afterSeen(request, () => {
      if (request.status !== 'IN_QUEUE') return;
      request.status = 'IN_PROGRESS';
      request.logs.push({ message: 'Loading model', level: 'INFO', source: 'USER', timestamp: new Date().toISOString() });
      if (request.outcome === 'hang') return;
      timers.later((runMs * 2) / 3, () => afterSeen(request, () => {
        if (request.status !== 'IN_PROGRESS') return;
        request.logs.push({ message: 'Generating video: 100%', level: 'INFO', source: 'USER', timestamp: new Date().toISOString() });
        request.status = 'COMPLETED';
        request.endedAt = new Date().toISOString();
        void deliver(request);
      }));
    }));
  };

  const submit = (res: ServerResponse, endpoint: string, body: Record<string, unknown>, webhook: string | null) => {
    const scripted = submitFaults.shift();
    if (scripted && !scripted.made) return misbehave(res, scripted.fault, problem);
    const id = randomUUID();
    const request: FakeFalRequest = {
      id,
      endpoint,
      input: body,
      status: 'IN_QUEUE',
      outcome,
      canceled: false,
      logs: [],
      sentAt: new Date().toISOString(),
      endedAt: null,
      ...(webhook ? { webhook } : {}),
    };
    requests.set(id, request);
    run(request);
    if (scripted) return misbehave(res, scripted.fault, problem);
    const [owner, app] = endpoint.split('/');
    const root = `${base}/${owner}/${app}/requests/${id}`;
    json(res, 200, { request_id: id, gateway_request_id: id, response_url: root, status_url: `${root}/status`, cancel_url: `${root}/cancel`, queue_position: 0 });
  };

  const list = (res: ServerResponse, query: URLSearchParams) => {
    const endpoint = query.get('endpoint_id');
    const start = Date.parse(query.get('start') ?? '') || Date.now() - 24 * 3600_000;
    const payloads = query.get('expand') === 'payloads';
    const all = [...requests.values()].filter((r) => r.endpoint === endpoint && Date.parse(r.sentAt) >= start).reverse();
    const from = Number(Buffer.from(query.get('cursor') ?? '', 'base64').toString() || 0);
    const limit = Number(query.get('limit') ?? 50);
    const items = all.slice(from, from + limit).map((r) => ({
      request_id: r.id,
      endpoint_id: r.endpoint,
      sent_at: r.sentAt,
      ended_at: r.endedAt,
      ...(payloads ? { json_input: r.input } : {}),
    }));
    const more = from + limit < all.length;
    json(res, 200, { items, has_more: more, next_cursor: more ? Buffer.from(String(from + limit)).toString('base64') : null });
  };

  const listening = await listen((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = await readBody(req);
      const path = url.pathname;
      if (path.startsWith('/files/')) return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(output.length) }).end(output);
      if (path === '/.well-known/jwks.json') return json(res, 200, { keys: [jwk] });
      calls.push({ method: req.method ?? 'GET', path, query: url.search });
      const fault = faults.shift();
      if (fault) return misbehave(res, fault, problem);
      if (req.headers.authorization !== `Key ${key}`) return json(res, 401, { detail: 'No user found for Key ID and Secret' });
      if (req.method === 'GET' && path === '/v1/models/requests/by-endpoint') return list(res, url.searchParams);
      const one = /^\/[^/]+\/[^/]+\/requests\/([^/]+)(\/status|\/cancel)?$/.exec(path);
      if (!one) {
        if (req.method !== 'POST') return json(res, 405, { detail: 'Method not allowed' });
        let body: Record<string, unknown>;
        try {
          body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          return json(res, 422, { detail: 'body is not JSON' });
        }
        return submit(res, path.slice(1), body, url.searchParams.get('fal_webhook'));
      }
      const request = one[1] ? requests.get(one[1]) : undefined;
      if (!request) return json(res, 404, { detail: 'Request not found' });
      if (one[2] === '/cancel' && req.method === 'PUT') {
        if (request.status === 'COMPLETED') return json(res, 400, { status: 'ALREADY_COMPLETED' });
        request.canceled = true;
        request.status = 'COMPLETED';
        request.endedAt = new Date().toISOString();
        return json(res, 202, { status: 'CANCELLATION_REQUESTED' });
      }
      if (one[2] === '/status') {
        const logs = url.searchParams.get('logs') === '1' ? { logs: request.logs } : {};
        const waiting = request.onSeen;
        request.seen = request.status;
        request.onSeen = undefined;
        if (request.status === 'IN_QUEUE') json(res, 202, { status: 'IN_QUEUE', request_id: request.id, queue_position: 0 });
        else if (request.status === 'IN_PROGRESS') json(res, 202, { status: 'IN_PROGRESS', request_id: request.id, ...logs });
        else json(res, 200, { status: 'COMPLETED', request_id: request.id, ...logs, metrics: { inference_time: runMs / 1000 } });
        waiting?.();
        return;
      }
      if (request.status !== 'COMPLETED') return json(res, 400, { detail: 'Request is still in progress' });
      if (request.canceled) return json(res, 400, { detail: 'Request was cancelled' });
      if (request.outcome !== 'succeed') return json(res, 422, { detail: errorDetail(request) });
      return json(res, 200, resultBody(request), { 'x-fal-request-id': request.id });
    })();
  });
  base = listening.base;
  return {
    url: base,
    key,
    requests,
    calls,
    webhookStatuses,
    setRunMs: (ms) => void (runMs = ms),
    setOutcome: (next) => void (outcome = next),
    setOutput: (bytes) => void (output = bytes),
    failNext: (status, times = 1, retryAfterSec) => {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'status', status, ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
    },
    misbehaveSubmit: (fault, opts = {}) => void submitFaults.push({ fault, made: opts.made ?? false }),
    submits: () => calls.filter((c) => c.method === 'POST' && !c.path.startsWith('/v1/')).length,
    sendWebhook: (id, opts) => {
      const request = requests.get(id);
      if (!request) throw new Error(`no request ${id}`);
      return deliver(request, opts);
    },
    close: async () => {
      timers.clear();
      await listening.close();
    },
  };
};
