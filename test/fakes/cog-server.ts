/**
 * A loopback fake of Cog's HTTP server (what runs inside a Cog-built container):
 * - PUT /predictions/{id}: idempotent create; with `Prefer: respond-async` it answers 202 at once,
 *   without it the answer waits for the prediction's end; the same id while it runs joins it; all
 *   slots busy with other ids answers 409;
 * - POST /predictions/{id}/cancel (200, or 404 when no such prediction runs);
 * - GET /health-check ({ status: READY | STARTING | SETUP_FAILED ... }) and GET /openapi.json (the model's Input schema);
 * - webhook posts of the prediction on start, logs and completion, unsigned as Cog sends them;
 * - outputs as a data URL (Cog's default) or an http URL (with --upload-url), served at /files/{id}.mp4.
 * Like Cog it forgets a prediction once it ended: the same id again starts a new run. Faults: 429
 * with Retry-After, 5xx, a PUT that starts the prediction but answers 500, a failed prediction.
 */
import type { ServerResponse } from 'node:http';
import { type Fault, createTimers, json, listen, misbehave, readBody } from './http-fake.ts';

export type CogOutcome = 'succeed' | 'refuse' | 'crash' | 'hang';

export interface FakeCogPrediction {
  id: string;
  input: Record<string, unknown>;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  output: string | null;
  error: string | null;
  logs: string;
  webhook?: string;
  metrics?: { predict_time: number };
}

export interface FakeCog {
  readonly url: string;
  /** Every prediction that ran (each one is GPU time spent). */
  readonly runs: FakeCogPrediction[];
  readonly calls: { method: string; path: string; async: boolean }[];
  readonly webhookStatuses: number[];
  setRunMs(ms: number): void;
  setOutcome(outcome: CogOutcome): void;
  setOutput(bytes: Buffer, as?: 'data' | 'url'): void;
  setHealth(status: string): void;
  setSchema(properties: Record<string, unknown>, extra?: Record<string, unknown>): void;
  failNext(status: number, times?: number, retryAfterSec?: number): void;
  /** The next PUT misbehaves; with `made`, the prediction starts first and only the answer is lost. */
  misbehavePut(fault: Fault, options?: { made?: boolean }): void;
  close(): Promise<void>;
}

export const DEFAULT_COG_INPUTS = {
  prompt: { type: 'string', title: 'Prompt' },
  image: { type: 'string', format: 'uri', title: 'Image' },
  duration: { allOf: [{ $ref: '#/components/schemas/duration' }], default: 5 },
  aspect_ratio: { allOf: [{ $ref: '#/components/schemas/aspect_ratio' }], default: '16:9' },
  seed: { type: 'integer' },
};

export const startFakeCog = async (options: { runMs?: number; concurrency?: number } = {}): Promise<FakeCog> => {
  let runMs = options.runMs ?? 300;
  let outcome: CogOutcome = 'succeed';
  let output: Buffer = Buffer.from('not set');
  let outputAs: 'data' | 'url' = 'data';
  let health = 'READY';
  let properties: Record<string, unknown> = DEFAULT_COG_INPUTS;
  let extraSchemas: Record<string, unknown> = { duration: { type: 'integer', enum: [5, 10] }, aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1'] } };
  const running = new Map<string, { prediction: FakeCogPrediction; waiters: ServerResponse[] }>();
  const runs: FakeCogPrediction[] = [];
  const calls: FakeCog['calls'] = [];
  const webhookStatuses: number[] = [];
  const faults: Fault[] = [];
  const putFaults: { fault: Fault; made: boolean }[] = [];
  const timers = createTimers();
  let base = '';

  const problem = (res: ServerResponse, status: number, headers: Record<string, string> = {}) => json(res, status, { detail: 'scripted failure' }, headers);

  const post = async (prediction: FakeCogPrediction) => {
    if (!prediction.webhook) return;
    const response = await fetch(prediction.webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(prediction) }).catch(() => undefined);
    await response?.body?.cancel().catch(() => {});
    webhookStatuses.push(response?.status ?? 0);
  };

  const finish = (id: string, status: FakeCogPrediction['status'], error: string | null = null) => {
    const entry = running.get(id);
    if (!entry) return;
    running.delete(id);
    const { prediction } = entry;
    prediction.status = status;
    prediction.error = error;
    prediction.metrics = { predict_time: runMs / 1000 };
    if (status === 'succeeded') prediction.output = outputAs === 'data' ? `data:video/mp4;base64,${output.toString('base64')}` : `${base}/files/${id}.mp4`;
    for (const waiter of entry.waiters) if (!waiter.writableEnded) json(waiter, 200, prediction);
    void post(prediction);
  };

  const start = (id: string, body: Record<string, unknown>) => {
    const prediction: FakeCogPrediction = {
      id,
      input: (body.input as Record<string, unknown>) ?? {},
      status: 'starting',
      output: null,
      error: null,
      logs: '',
      ...(typeof body.webhook === 'string' ? { webhook: body.webhook } : {}),
    };
    running.set(id, { prediction, waiters: [] });
    runs.push(prediction);
    void post(prediction);
    const ending = outcome;
    timers.later(runMs / 3, () => {
      if (prediction.status !== 'starting') return;
      prediction.status = 'processing';
      prediction.logs = 'Loading pipeline\n 40%|████      | 20/50 [00:04<00:06]';
      void post(prediction);
      if (ending === 'hang') return;
      timers.later((runMs * 2) / 3, () => {
        if (prediction.status !== 'processing') return;
        if (ending === 'succeed') finish(id, 'succeeded');
        else if (ending === 'refuse') finish(id, 'failed', 'Traceback (most recent call last):\nValueError: NSFW content detected by the safety checker');
        else finish(id, 'failed', 'Traceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory');
      });
    });
  };

  const listening = await listen((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = await readBody(req);
      const path = url.pathname;
      if (path.startsWith('/files/')) return void res.writeHead(200, { 'content-type': 'video/mp4' }).end(output);
      const async = /respond-async/.test(String(req.headers.prefer ?? ''));
      calls.push({ method: req.method ?? 'GET', path, async });
      const fault = faults.shift();
      if (fault) return misbehave(res, fault, problem);
      if (req.method === 'GET' && path === '/health-check') return json(res, 200, { status: health, setup: { status: health === 'SETUP_FAILED' ? 'failed' : 'succeeded', logs: '' } });
      if (req.method === 'GET' && path === '/openapi.json') {
        return json(res, 200, { openapi: '3.0.2', info: { title: 'Cog' }, components: { schemas: { Input: { type: 'object', properties }, ...extraSchemas } } });
      }
      const cancel = /^\/predictions\/([^/]+)\/cancel$/.exec(path);
      if (req.method === 'POST' && cancel?.[1]) {
        if (!running.has(cancel[1])) return json(res, 404, { detail: 'Not found' });
        finish(cancel[1], 'canceled');
        return json(res, 200, {});
      }
      const put = /^\/predictions\/([^/]+)$/.exec(path);
      if (req.method !== 'PUT' || !put?.[1]) return json(res, 404, { detail: 'Not found' });
      const id = put[1];
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      const scripted = putFaults.shift();
      if (scripted && !scripted.made) return misbehave(res, scripted.fault, problem);
      if (!running.has(id)) {
        if (running.size >= (options.concurrency ?? 1)) return json(res, 409, { detail: 'Already running a prediction' });
        start(id, body);
      }
      if (scripted) return misbehave(res, scripted.fault, problem);
      const entry = running.get(id);
      if (!entry) return json(res, 500, { detail: 'gone' });
      if (async) return json(res, 202, entry.prediction);
      entry.waiters.push(res);
    })();
  });
  base = listening.base;
  return {
    url: base,
    runs,
    calls,
    webhookStatuses,
    setRunMs: (ms) => void (runMs = ms),
    setOutcome: (next) => void (outcome = next),
    setOutput: (bytes, as = 'data') => {
      output = bytes;
      outputAs = as;
    },
    setHealth: (status) => void (health = status),
    setSchema: (next, extra = {}) => {
      properties = next;
      extraSchemas = extra;
    },
    failNext: (status, times = 1, retryAfterSec) => {
      for (let i = 0; i < times; i += 1) faults.push({ kind: 'status', status, ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
    },
    misbehavePut: (fault, opts = {}) => void putFaults.push({ fault, made: opts.made ?? false }),
    close: async () => {
      timers.clear();
      await listening.close();
    },
  };
};
