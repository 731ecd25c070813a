import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VidbotError, vidbotError } from '../../src/lib/errors.ts';
import { userReasonFor } from '../../src/lib/tasks/user-reasons.ts';
import { cogPredictionId, createCogProvider, type CogProviderOptions } from '../../src/lib/video-provider/cog/index.ts';
import { classifyProviderFailure } from '../../src/lib/video-provider/failure.ts';
import type { VideoRequest } from '../../src/lib/video-provider/port.ts';
import { type FakeCog, startFakeCog } from '../fakes/cog-server.ts';
import { makeCompliantClip } from '../helpers/media.ts';

const request: VideoRequest = { prompt: 'a paper boat in the rain', orientation: 'portrait', durationSec: 6 };

let root: string;
let clip: Buffer;
let fake: FakeCog;
let workDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-cog-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(async () => {
  await fake?.close();
});

const setup = async (runMs = 150, concurrency = 1) => {
  fake = await startFakeCog({ runMs, concurrency });
  fake.setOutput(clip);
  workDir = await mkdtemp(join(root, 'work-'));
};

const provider = (extra: Partial<CogProviderOptions> = {}) =>
  createCogProvider({ url: fake.url, ffprobe: '/usr/bin/ffprobe', retry: { baseDelayMs: 10, maxDelayMs: 2_000, attemptTimeoutMs: 2_000 }, ...extra });

const failure = async (run: Promise<unknown>): Promise<VidbotError> => {
  const error = await run.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(VidbotError);
  return error as VidbotError;
};

describe('cog provider against a loopback Cog server', () => {
  it("maps the request onto the model's own inputs, with an id from the task, and decodes a data URL output", async () => {
    await setup();
    const remote: string[] = [];
    const result = await provider().generate(request, { workDir, jobKey: 'task-1', onRemoteJob: (id) => void remote.push(id) });
    expect(fake.runs).toHaveLength(1);
    expect(fake.runs[0]?.id).toBe(cogPredictionId('task-1'));
    expect(fake.runs[0]?.input).toEqual({ prompt: request.prompt, duration: 5, aspect_ratio: '9:16' });
    expect(remote).toEqual([cogPredictionId('task-1')]);
    expect(result).toMatchObject({ provider: 'cog', remoteJobId: cogPredictionId('task-1') });
    expect(await readFile(result.file)).toEqual(clip);
    expect(fake.calls.filter((c) => c.method === 'PUT').map((c) => c.async)).toEqual([true, false]);
  });

  it('downloads an uploaded (http) output and sizes a model that takes width and height', async () => {
    await setup();
    fake.setOutput(clip, 'url');
    fake.setSchema({ prompt: { type: 'string' }, width: { type: 'integer', default: 832 }, height: { type: 'integer', default: 480 }, num_frames: { type: 'integer' } });
    const result = await provider().generate({ ...request, orientation: 'landscape' }, { workDir, jobKey: 'task-2' });
    expect(fake.runs[0]?.input).toEqual({ prompt: request.prompt, width: 832, height: 480 });
    expect(await readFile(result.file)).toEqual(clip);
  });

  it('after a restart, joins the prediction still running instead of starting another', async () => {
    await setup(600);
    const abort = new AbortController();
    let id = '';
    const first = provider().generate(request, {
      workDir,
      jobKey: 'task-3',
      signal: abort.signal,
      onRemoteJob: (remoteJobId) => {
        id = remoteJobId;
        abort.abort(vidbotError('VIDBOT_CANCELED', 'released', { details: { reason: 'release' } }));
      },
    });
    expect((await failure(first)).code).toBe('VIDBOT_CANCELED');
    expect(fake.runs[0]?.status).not.toBe('canceled');
    const result = await provider().generate(request, { workDir, jobKey: 'task-3', resumeRemoteJob: id });
    expect(result.remoteJobId).toBe(id);
    expect(fake.runs).toHaveLength(1);
  });

  it('cancels the prediction when the user cancels', async () => {
    await setup(5_000);
    const abort = new AbortController();
    const run = provider().generate(request, {
      workDir,
      jobKey: 'task-4',
      signal: abort.signal,
      onRemoteJob: () => void setTimeout(() => abort.abort(vidbotError('VIDBOT_CANCELED', 'c', { details: { reason: 'cancel' } })), 50),
    });
    expect((await failure(run)).code).toBe('VIDBOT_CANCELED');
    expect(fake.calls.some((c) => c.method === 'POST' && c.path.endsWith('/cancel'))).toBe(true);
    expect(fake.runs[0]?.status).toBe('canceled');
  });

  it('waits out a 429 for as long as its Retry-After says', async () => {
    await setup();
    fake.failNext(429, 1, 1);
    const started = Date.now();
    await provider().generate(request, { workDir, jobKey: 'task-5' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.runs).toHaveLength(1);
  });

  it.each([
    ['before starting anything', false],
    ['after starting the prediction', true],
  ])('runs exactly one prediction when a PUT is answered 500 %s', async (_when, made) => {
    await setup();
    fake.misbehavePut({ kind: 'status', status: 500 }, { made });
    const result = await provider().generate(request, { workDir, jobKey: 'task-6' });
    expect(fake.runs).toHaveLength(1);
    expect(fake.calls.filter((c) => c.method === 'PUT' && c.async)).toHaveLength(2);
    expect(await readFile(result.file)).toEqual(clip);
  });

  it("gives the model's failure to the user in their words", async () => {
    await setup();
    fake.setOutcome('refuse');
    const refused = await failure(provider().generate(request, { workDir, jobKey: 'task-7' }));
    expect(refused.code).toBe('VIDBOT_CONTENT_REFUSED');
    expect(classifyProviderFailure(refused)).toBe('refusal');
    expect(userReasonFor(refused.code, refused.details).why).toContain('turned that description down');
    fake.setOutcome('crash');
    const crashed = await failure(provider().generate(request, { workDir, jobKey: 'task-8' }));
    expect(crashed.message).toContain('CUDA out of memory');
    expect(crashed.code).toBe('VIDBOT_GENERATION_FAILED');
    expect(userReasonFor(crashed.code, crashed.details).why).toContain("couldn't make a video");
  });

  it('says the server is busy when every slot runs another prediction, as a retryable outage', async () => {
    await setup(5_000);
    fake.setOutcome('hang');
    const other = new AbortController();
    void provider().generate(request, { workDir, jobKey: 'other', signal: other.signal }).catch(() => {});
    const { waitFor } = await import('../helpers/vidbot.ts');
    await waitFor(async () => (fake.runs.length === 1 ? true : undefined), 5_000);
    const busy = await failure(provider({ retry: { retries: 1, baseDelayMs: 10 } }).generate(request, { workDir, jobKey: 'task-9' }));
    expect(busy.message).toContain('busy');
    expect(busy.retryable).toBe(true);
    expect(classifyProviderFailure(busy)).toBe('outage');
    other.abort();
  });

  it('wakes on its webhook and refuses a delivery without the right token', async () => {
    await setup(300);
    let wake: ((body: string, query: Record<string, string>) => Promise<number>) | undefined;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
        void wake?.(Buffer.concat(chunks).toString('utf8'), query).then((status) => res.writeHead(status).end());
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cog/webhook`;
      const cog = provider({ webhookUrl });
      wake = (rawBody, query) => cog.receiveWebhook({ rawBody, headers: {}, query }).then(() => 204, () => 403);
      const progress: string[] = [];
      await cog.generate(request, { workDir, jobKey: 'task-10', onProgress: (p) => p.message && progress.push(p.message) });
      expect(fake.webhookStatuses).toContain(204);
      expect(progress.some((m) => m.startsWith('processing: '))).toBe(true);
      const forged = await cog.receiveWebhook({ rawBody: '{"status":"succeeded"}', headers: {}, query: { prediction: 'x', token: 'nope' } }).then(() => 204, () => 403);
      expect(forged).toBe(403);
    } finally {
      receiver.close();
    }
  });
});
