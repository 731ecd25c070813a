import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VidbotError, vidbotError } from '../../src/lib/errors.ts';
import { userReasonFor } from '../../src/lib/tasks/user-reasons.ts';
import { classifyProviderFailure } from '../../src/lib/video-provider/failure.ts';
import { createFalProvider, type FalProviderOptions } from '../../src/lib/video-provider/fal/index.ts';
import type { VideoRequest } from '../../src/lib/video-provider/port.ts';
import { type FakeFal, startFakeFal } from '../fakes/fal-api.ts';
import { makeCompliantClip } from '../helpers/media.ts';

const FFPROBE = '/usr/bin/ffprobe';
const request: VideoRequest = { prompt: 'a paper boat in the rain', orientation: 'portrait', durationSec: 6 };
const KLING = 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video';

let root: string;
let clip: Buffer;
let fake: FakeFal;
let workDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-fal-'));
  clip = await readFile(await makeCompliantClip('/usr/bin/ffmpeg', root));
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(async () => {
  await fake?.close();
});

const setup = async (runMs = 150) => {
  fake = await startFakeFal({ runMs });
  fake.setOutput(clip);
  workDir = await mkdtemp(join(root, 'work-'));
};

const provider = (extra: Partial<FalProviderOptions> = {}) =>
  createFalProvider({
    key: fake.key,
    baseUrl: fake.url,
    ffprobe: FFPROBE,
    pollIntervalMs: 20,
    maxPollIntervalMs: 50,
    retry: { baseDelayMs: 10, maxDelayMs: 2_000, attemptTimeoutMs: 2_000 },
    listSettleMs: 100,
    ...extra,
  });

const failure = async (run: Promise<unknown>): Promise<VidbotError> => {
  const error = await run.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(VidbotError);
  return error as VidbotError;
};

const lists = () => fake.calls.filter((c) => c.path === '/v1/models/requests/by-endpoint').length;

describe('fal provider against the loopback queue', () => {
  it('submits the catalogue inputs, stores the request id first, reports queue and logs, downloads the video', async () => {
    await setup();
    const remote: string[] = [];
    const progress: string[] = [];
    const result = await provider().generate(request, {
      workDir,
      onRemoteJob: (id) => void remote.push(id),
      onProgress: (p) => p.message && progress.push(p.message),
    });
    expect(fake.submits()).toBe(1);
    const [made] = [...fake.requests.values()];
    expect(made?.endpoint).toBe(KLING);
    expect(made?.input).toEqual({ prompt: request.prompt, duration: '5', aspect_ratio: '9:16' });
    expect(remote).toEqual([`${made?.id}@${KLING}`]);
    expect(result).toMatchObject({ provider: 'fal', model: KLING, remoteJobId: remote[0] });
    expect(await readFile(result.file)).toEqual(clip);
    expect(progress).toContain('in queue (position 0)');
    expect(progress.some((m) => m.startsWith('processing: Loading model'))).toBe(true);
  });

  it('sends a photo to the image-to-video endpoint as image_url', async () => {
    await setup();
    const image = join(root, 'frame.png');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(image, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    await provider().generate({ ...request, model: 'fal-ai/veo3.1', firstFrameImage: image }, { workDir });
    const [made] = [...fake.requests.values()];
    expect(made?.endpoint).toBe('fal-ai/veo3.1/image-to-video');
    expect(String(made?.input.image_url)).toMatch(/^data:image\/png;base64,/);
    expect(made?.input).toMatchObject({ duration: '6s', generate_audio: true });
  });

  it('after a restart, resumes the same request instead of submitting again', async () => {
    await setup(400);
    const abort = new AbortController();
    let id = '';
    const first = provider().generate(request, {
      workDir,
      signal: abort.signal,
      onRemoteJob: (remoteJobId) => {
        id = remoteJobId;
        abort.abort(vidbotError('VIDBOT_CANCELED', 'released', { details: { reason: 'release' } }));
      },
    });
    expect((await failure(first)).code).toBe('VIDBOT_CANCELED');
    expect([...fake.requests.values()][0]?.canceled).toBe(false);
    const result = await provider().generate(request, { workDir, resumeRemoteJob: id });
    expect(result.remoteJobId).toBe(id);
    expect(fake.submits()).toBe(1);
  });

  it('cancels the request when the user cancels', async () => {
    await setup(5_000);
    const abort = new AbortController();
    const run = provider().generate(request, {
      workDir,
      signal: abort.signal,
      onRemoteJob: () => void setTimeout(() => abort.abort(vidbotError('VIDBOT_CANCELED', 'c', { details: { reason: 'cancel' } })), 50),
    });
    expect((await failure(run)).code).toBe('VIDBOT_CANCELED');
    expect(fake.calls.some((c) => c.method === 'PUT' && c.path.endsWith('/cancel'))).toBe(true);
    expect([...fake.requests.values()][0]?.canceled).toBe(true);
  });

  it('waits out a 429 for as long as its Retry-After says, and queues one request', async () => {
    await setup();
    fake.failNext(429, 1, 1);
    const started = Date.now();
    await provider().generate(request, { workDir });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.submits()).toBe(2);
    expect(fake.requests.size).toBe(1);
  });

  it('rides out 5xx on status polls', async () => {
    await setup();
    const result = await provider().generate(request, { workDir, onRemoteJob: () => fake.failNext(500, 3) });
    expect(result.file).toMatch(/\.mp4$/);
    expect(fake.requests.size).toBe(1);
  });

  it('submits once more when a 500 came before any request was queued', async () => {
    await setup();
    fake.misbehaveSubmit({ kind: 'status', status: 500 });
    const requested: number[] = [];
    const result = await provider().generate(request, { workDir, jobKey: 't1', onRemoteJobRequested: (at) => void requested.push(at) });
    expect(fake.submits()).toBe(2);
    expect(fake.requests.size).toBe(1);
    expect(lists()).toBe(2);
    expect(requested).toHaveLength(2);
    expect(result.remoteJobId?.split('@')[0]).toBe([...fake.requests.keys()][0]);
  });

  it.each([
    ['answered 500', { kind: 'status', status: 500 }],
    ['dropped', { kind: 'drop' }],
  ] as const)('adopts the request a submit queued before its answer was %s, queuing no other', async (_why, fault) => {
    await setup();
    fake.misbehaveSubmit(fault, { made: true });
    const remote: string[] = [];
    const result = await provider().generate(request, { workDir, jobKey: 't2', onRemoteJob: (id) => void remote.push(id) });
    const [made] = [...fake.requests.keys()];
    expect(fake.submits()).toBe(1);
    expect(fake.requests.size).toBe(1);
    expect(remote).toEqual([`${made}@${KLING}`]);
    expect(await readFile(result.file)).toEqual(clip);
  });

  it('after a crash before the answer was recorded, adopts what that submit queued', async () => {
    await setup();
    const requestedAt = Date.now();
    const direct = await fetch(`${fake.url}/${KLING}`, {
      method: 'POST',
      headers: { authorization: `Key ${fake.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: request.prompt, duration: '5', aspect_ratio: '9:16' }),
    });
    const { request_id: earlier } = (await direct.json()) as { request_id: string };
    const result = await provider().generate(request, { workDir, remoteJobRequestedAt: requestedAt });
    expect(result.remoteJobId).toBe(`${earlier}@${KLING}`);
    expect(fake.submits()).toBe(1);
  });

  it("gives the model's refusal to the user in their words, and calls it a refusal, not an outage", async () => {
    await setup();
    fake.setOutcome('refuse');
    const error = await failure(provider().generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_CONTENT_REFUSED');
    expect(error.message).toContain('content checker');
    expect(error.retryable).toBe(false);
    expect(classifyProviderFailure(error)).toBe('refusal');
    expect(userReasonFor(error.code, error.details).why).toContain('turned that description down');
    fake.setOutcome('fail');
    const failed = await failure(provider().generate(request, { workDir }));
    expect(failed.message).toContain('could not render this scene');
    expect(failed.code).toBe('VIDBOT_GENERATION_FAILED');
    expect(classifyProviderFailure(failed)).toBe('failed');
    expect(userReasonFor(failed.code, failed.details).why).toContain("couldn't make a video");
  });

  it('names FAL_KEY when the key is refused, as an outage for failover', async () => {
    await setup();
    const error = await failure(provider({ key: 'wrong:key' }).generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_PROVIDER_AUTH');
    expect(error.message).toContain('FAL_KEY');
    expect(classifyProviderFailure(error)).toBe('outage');
  });

  it('wakes on a signed webhook and refuses forged or stale ones', async () => {
    await setup(200);
    let wake: ((body: string, headers: Record<string, string | string[] | undefined>) => Promise<number>) | undefined;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void wake?.(Buffer.concat(chunks).toString('utf8'), req.headers).then((status) => res.writeHead(status).end()));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/fal/webhook`;
      // Polling slower than the run: only the webhook can finish it in time.
      const fal = provider({ webhookUrl, pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 });
      wake = (rawBody, headers) => fal.receiveWebhook({ rawBody, headers }).then(() => 204, () => 403);
      const started = Date.now();
      const result = await fal.generate(request, { workDir });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(fake.webhookStatuses).toContain(204);
      const id = result.remoteJobId?.split('@')[0] ?? '';
      expect(fake.requests.get(id)?.webhook).toBe(webhookUrl);
      expect(await fake.sendWebhook(id, { forged: true })).toBe(403);
      expect(await fake.sendWebhook(id, { timestampSec: Math.floor(Date.now() / 1000) - 3600 })).toBe(403);
      expect(await fake.sendWebhook(id)).toBe(204);
    } finally {
      receiver.close();
    }
  });
});
