import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { VidbotError, vidbotError } from '../../src/lib/errors.ts';
import type { VideoRequest } from '../../src/lib/video-provider/port.ts';
import { buildModelInput, parseInputFlags } from '../../src/lib/video-provider/replicate-models.ts';
import { createReplicateProvider, type ReplicateProviderOptions } from '../../src/lib/video-provider/replicate.ts';
import { type FakeReplicate, type FakeReplicateOptions, startFakeReplicate } from '../fakes/replicate-api.ts';
import { makeCompliantClip } from '../helpers/media.ts';
import { freePort } from '../helpers/ports.ts';

const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
const request: VideoRequest = { prompt: 'a paper boat in the rain', orientation: 'portrait', durationSec: 6 };

let root: string;
let clip: Buffer;
let fake: FakeReplicate;
let workDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vidbot-replicate-'));
  clip = await readFile(await makeCompliantClip(FFMPEG, root));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const setup = async (runMs = 150, fakeOptions: Omit<FakeReplicateOptions, 'runMs'> = {}) => {
  fake = await startFakeReplicate({ runMs, ...fakeOptions });
  fake.setOutput(clip);
  workDir = await mkdtemp(join(root, 'work-'));
};
afterEach(async () => {
  await fake?.close();
});

const provider = (extra: Partial<ReplicateProviderOptions> = {}) =>
  createReplicateProvider({
    apiToken: fake.token,
    baseUrl: fake.apiUrl,
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

describe('replicate provider against the loopback API', () => {
  it('creates a prediction with the catalogue inputs, stores its id first, reports logs and downloads the video', async () => {
    await setup();
    const remote: string[] = [];
    const progress: string[] = [];
    const result = await provider().generate(request, {
      workDir,
      onRemoteJob: (id) => void remote.push(id),
      onProgress: (p) => p.message && progress.push(p.message),
    });
    expect(fake.creates()).toBe(1);
    const [prediction] = [...fake.predictions.values()];
    expect(prediction?.model).toBe('minimax/video-01');
    expect(prediction?.input).toEqual({ prompt: request.prompt, prompt_optimizer: true });
    expect(remote).toEqual([prediction?.id]);
    expect(result).toMatchObject({ provider: 'replicate', model: 'minimax/video-01', remoteJobId: prediction?.id });
    expect(await readFile(result.file)).toEqual(clip);
    expect(progress.some((m) => m.startsWith('processing: 40%'))).toBe(true);
  });

  it('makes a missing work folder before the model runs, and pays for nothing when it cannot be made', async () => {
    await setup();
    const nested = join(workDir, 'not', 'yet');
    expect(await readFile((await provider().generate(request, { workDir: nested })).file)).toEqual(clip);
    // A folder that cannot be made (a file stands in its way): said before a prediction is paid for.
    const blocked = join(root, 'a-file');
    await writeFile(blocked, 'not a folder');
    const error = await failure(provider().generate(request, { workDir: join(blocked, 'work') }));
    expect(error).toMatchObject({ code: 'VIDBOT_OUTPUT_UNWRITABLE', message: expect.stringContaining('Cannot write in the work folder') });
    expect(fake.creates()).toBe(1);
  });

  it('maps a first-frame image to a data URI and lays raw inputs over the catalogue', async () => {
    await setup();
    const image = join(root, 'frame.png');
    await writeFile(image, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    await provider().generate(
      { ...request, model: 'minimax/hailuo-02', durationSec: 9, firstFrameImage: image, inputs: { prompt_optimizer: false } },
      { workDir },
    );
    const [prediction] = [...fake.predictions.values()];
    expect(prediction?.input).toMatchObject({ duration: 10, resolution: '768p', prompt_optimizer: false });
    expect(String(prediction?.input.first_frame_image)).toMatch(/^data:image\/png;base64,/);
  });

  it('runs a model by version through POST /v1/predictions', async () => {
    await setup();
    const version = 'a'.repeat(64);
    await provider().generate({ ...request, model: `acme/custom:${version}` }, { workDir });
    expect(fake.requests.find((r) => r.method === 'POST')).toMatchObject({ path: '/v1/predictions', body: { version } });
  });

  it('resumes a stored prediction instead of paying for a new one', async () => {
    await setup(400);
    const first = provider();
    const abort = new AbortController();
    let id = '';
    const run = first.generate(request, {
      workDir,
      signal: abort.signal,
      onRemoteJob: (remoteJobId) => {
        id = remoteJobId;
        // A shutdown releases the job: the prediction must keep running.
        abort.abort(vidbotError('VIDBOT_CANCELED', 'released', { details: { reason: 'release' } }));
      },
    });
    expect((await failure(run)).code).toBe('VIDBOT_CANCELED');
    expect(fake.predictions.get(id)?.status).not.toBe('canceled');
    const result = await provider().generate(request, { workDir, resumeRemoteJob: id });
    expect(result.remoteJobId).toBe(id);
    expect(fake.creates()).toBe(1);
  });

  it('cancels the prediction when the user cancels', async () => {
    await setup(2_000);
    const abort = new AbortController();
    const run = provider().generate(request, {
      workDir,
      signal: abort.signal,
      onRemoteJob: () => void setTimeout(() => abort.abort(vidbotError('VIDBOT_CANCELED', 'c', { details: { reason: 'cancel' } })), 50),
    });
    expect((await failure(run)).code).toBe('VIDBOT_CANCELED');
    expect([...fake.predictions.values()][0]?.status).toBe('canceled');
  });

  it('cancels at shutdown only when told to (REPLICATE_CANCEL_ON_SHUTDOWN)', async () => {
    await setup(2_000);
    const release = vidbotError('VIDBOT_CANCELED', 'released', { details: { reason: 'release' } });
    for (const cancelOnShutdown of [false, true]) {
      const abort = new AbortController();
      let id = '';
      const run = provider({ cancelOnShutdown }).generate(request, {
        workDir,
        signal: abort.signal,
        onRemoteJob: (remoteJobId) => {
          id = remoteJobId;
          setTimeout(() => abort.abort(release), 50);
        },
      });
      expect((await failure(run)).code).toBe('VIDBOT_CANCELED');
      expect(fake.predictions.get(id)?.status === 'canceled').toBe(cancelOnShutdown);
    }
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
      const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/replicate/webhook`;
      // Polling slower than the run: only the webhook can finish it in time.
      const replicate = provider({ webhookUrl, pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 });
      wake = (rawBody, headers) => replicate.receiveWebhook({ rawBody, headers }).then(() => 204, () => 403);
      const started = Date.now();
      const result = await replicate.generate(request, { workDir });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(fake.requests.some((r) => r.path === '/v1/webhooks/default/secret')).toBe(true);
      expect([...fake.predictions.values()][0]?.webhook).toBe(webhookUrl);
      expect(fake.webhookStatuses).toContain(204);
      const id = result.remoteJobId ?? '';
      expect(await fake.sendWebhook(id, { secret: `whsec_${Buffer.from('wrong').toString('base64')}` })).toBe(403);
      expect(await fake.sendWebhook(id, { timestampSec: Math.floor(Date.now() / 1000) - 3600 })).toBe(403);
      expect(await fake.sendWebhook(id)).toBe(204);
    } finally {
      receiver.close();
    }
  });
});

describe('replicate faults', () => {
  it('names REPLICATE_API_TOKEN when the token is wrong', async () => {
    await setup();
    const error = await failure(provider({ apiToken: 'r8_wrong' }).generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_PROVIDER_AUTH');
    expect(error.message).toContain('REPLICATE_API_TOKEN');
    expect(error.retryable).toBe(false);
  });

  it('says the model is unknown', async () => {
    await setup();
    const error = await failure(provider().generate({ ...request, model: 'nobody/nothing' }, { workDir }));
    expect(error.code).toBe('VIDBOT_MODEL_UNKNOWN');
    expect(error.message).toContain('nobody/nothing');
    expect((await failure(provider().generate({ ...request, model: 'not a model' }, { workDir }))).code).toBe('VIDBOT_MODEL_UNKNOWN');
    expect(fake.creates()).toBe(1);
  });

  it('retries 429 after its Retry-After and 5xx on polls', async () => {
    await setup();
    fake.failNext(429, 1, 1);
    const started = Date.now();
    await provider().generate(request, { workDir });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.creates()).toBe(2);
    await fake.close();
    await setup();
    const replicate = provider();
    const run = replicate.generate(request, { workDir, onRemoteJob: () => fake.failNext(500, 3) });
    expect((await run).file).toMatch(/\.mp4$/);
    expect(fake.creates()).toBe(1);
  });

  it('never creates a third time: two unclear creates with nothing listed fail, retryable only when the request time is stored', async () => {
    await setup();
    fake.misbehaveCreate({ kind: 'status', status: 500 }, { times: 2 });
    const error = await failure(provider().generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_PROVIDER_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('not retried');
    expect(fake.creates()).toBe(2);
    fake.misbehaveCreate({ kind: 'status', status: 500 }, { times: 2 });
    const stored = await failure(provider().generate(request, { workDir, jobKey: 't1', onRemoteJobRequested: () => {} }));
    expect(stored.retryable).toBe(true);
    expect(fake.creates()).toBe(4);
    expect(fake.predictions.size).toBe(0);
  });

  it('lets the task retry a create that surely never left (connection refused)', async () => {
    await setup();
    const closedPort = await freePort();
    const error = await failure(provider({ baseUrl: `http://127.0.0.1:${closedPort}/v1` }).generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_PROVIDER_FAILED');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.retryable).toBe(true);
  });

  it('answers the SDK\'s own repeats from memory, but never another task\'s request to the same URL', async () => {
    await setup();
    fake.failNext(429, 1, 0);
    fake.failNext(429, 4, 0);
    const replicate = provider({ retry: { retries: 0, baseDelayMs: 1 } });
    const first = await failure(replicate.generate(request, { workDir }));
    expect(first.message).toContain('429');
    // One request reached the fake although the SDK repeats 429s by itself.
    expect(fake.creates()).toBe(1);
    const second = await failure(replicate.generate(request, { workDir }));
    expect(second.message).toContain('429');
    expect(fake.creates()).toBe(2);
  });

  it('cancels the prediction when the user cancels during a status check', async () => {
    await setup(5_000);
    const abort = new AbortController();
    const run = provider().generate(request, {
      workDir,
      signal: abort.signal,
      onRemoteJob: () => {
        // Every status check hangs: the cancel lands in the middle of one.
        fake.hangNext(20);
        setTimeout(() => abort.abort(vidbotError('VIDBOT_CANCELED', 'c', { details: { reason: 'cancel' } })), 100);
      },
    });
    expect((await failure(run)).code).toBe('VIDBOT_CANCELED');
    // The cancel goes out after the run has given up: wait for it to arrive, however loaded the machine.
    await vi.waitFor(() => expect(fake.requests.some((r) => r.path.endsWith('/cancel'))).toBe(true), { timeout: 10_000, interval: 20 });
  });

  it('refuses a photo for a model it has no image mapping for', async () => {
    await setup();
    expect(provider({ model: 'acme/custom' }).capabilities().imageToVideo).toBe(false);
    expect(provider().capabilities().imageToVideo).toBe(true);
    const image = join(root, 'frame2.png');
    await writeFile(image, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const error = await failure(provider().generate({ ...request, model: 'acme/custom', firstFrameImage: image }, { workDir }));
    expect(error.code).toBe('VIDBOT_CAPABILITY_UNSUPPORTED');
    expect(fake.creates()).toBe(0);
  });

  it('gives up on a create that hangs past its time limit twice, having looked for it each time', async () => {
    await setup();
    fake.misbehaveCreate({ kind: 'hang' }, { times: 2 });
    const error = await failure(provider({ retry: { attemptTimeoutMs: 300 } }).generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_TIMEOUT');
    expect(fake.creates()).toBe(2);
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/predictions').length).toBeGreaterThanOrEqual(2);
  });

  it('reports malformed JSON', async () => {
    await setup();
    fake.misbehaveCreate({ kind: 'malformed' }, { times: 2 });
    const error = await failure(provider().generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_PROVIDER_FAILED');
    expect(error.message).toContain('malformed JSON');
  });

  it('turns a prediction its safety filter refused into a final refusal with its reason', async () => {
    await setup();
    fake.setOutcome('refuse');
    const error = await failure(provider().generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_CONTENT_REFUSED');
    expect(error.message).toContain('E005');
    expect(error.retryable).toBe(false);
    expect(error.details.refusal).toBe('content');
  });

  it('tells a model that failed by itself from one that refused the prompt', async () => {
    await setup();
    fake.setOutcome('fail');
    const error = await failure(provider().generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_GENERATION_FAILED');
    expect(error.message).toContain('CUDA out of memory');
    expect(error.details.refusal).toBeUndefined();
  });

  it('cancels a prediction that outlives the time limit', async () => {
    await setup();
    fake.setOutcome('hang');
    const error = await failure(provider({ timeoutMs: 400 }).generate(request, { workDir }));
    expect(error.code).toBe('VIDBOT_TIMEOUT');
    expect(error.retryable).toBe(false);
    expect([...fake.predictions.values()][0]?.status).toBe('canceled');
  });

  it('refuses an output that is gone, not a video, or over the cap, leaving no file', async () => {
    await setup();
    fake.setOutput({ status: 404 });
    const gone = await failure(provider().generate(request, { workDir }));
    expect(gone.message).toMatch(/no longer available \(HTTP 404\)/);
    expect(gone.retryable).toBe(false);
    fake.setOutput(Buffer.from('<html>error</html>'), 'text/html');
    expect((await failure(provider().generate(request, { workDir }))).message).toContain('not a video');
    fake.setOutput(clip);
    const big = await failure(provider({ maxDownloadBytes: 1000 }).generate(request, { workDir }));
    expect(big.message).toContain('VIDBOT_DOWNLOAD_MAX_BYTES');
    expect(await readdir(workDir)).toEqual([]);
  });

  it('refuses a text-only request to an image-only model before paying', async () => {
    await setup();
    const error = await failure(provider().generate({ ...request, model: 'kwaivgi/kling-v2.1' }, { workDir }));
    expect(error.code).toBe('VIDBOT_CAPABILITY_UNSUPPORTED');
    expect(fake.creates()).toBe(0);
  });
});

describe('replicate creates whose answer is unclear', () => {
  const catalogueInput = { prompt: request.prompt, prompt_optimizer: true };
  /** A create sent by an earlier attempt whose answer was never recorded. */
  const createDirect = async (input: Record<string, unknown>, webhook?: string): Promise<string> => {
    const response = await fetch(`${fake.apiUrl}/models/minimax/video-01/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input, ...(webhook ? { webhook } : {}) }),
    });
    return ((await response.json()) as { id: string }).id;
  };
  const lists = () => fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/predictions').length;

  it('creates once more when a 500 came before any prediction was made', async () => {
    await setup();
    fake.misbehaveCreate({ kind: 'status', status: 500 });
    const remote: string[] = [];
    const requested: number[] = [];
    const result = await provider().generate(request, {
      workDir,
      jobKey: 'task-1',
      onRemoteJobRequested: (at) => void requested.push(at),
      onRemoteJob: (id) => void remote.push(id),
    });
    expect(fake.creates()).toBe(2);
    expect(fake.predictions.size).toBe(1);
    expect(lists()).toBe(2);
    expect(requested).toHaveLength(2);
    expect(remote).toEqual([result.remoteJobId]);
    expect(await readFile(result.file)).toEqual(clip);
  });

  it('adopts the prediction a create made before answering 500, creating no other', async () => {
    await setup();
    fake.misbehaveCreate({ kind: 'status', status: 500 }, { made: true });
    const remote: string[] = [];
    const result = await provider().generate(request, { workDir, jobKey: 'task-2', onRemoteJob: (id) => void remote.push(id) });
    const [made] = [...fake.predictions.keys()];
    expect(fake.creates()).toBe(1);
    expect(fake.predictions.size).toBe(1);
    expect(remote).toEqual([made]);
    expect(result.remoteJobId).toBe(made);
    expect(await readFile(result.file)).toEqual(clip);
  });

  it.each([
    ['its connection drops', { kind: 'drop' }],
    ['it hangs past its time limit', { kind: 'hang' }],
    ['its answer is not JSON', { kind: 'malformed' }],
  ] as const)('adopts the prediction when the create is made but %s', async (_why, fault) => {
    await setup();
    fake.misbehaveCreate(fault, { made: true });
    const result = await provider({ retry: { baseDelayMs: 10, attemptTimeoutMs: 500 } }).generate(request, { workDir, jobKey: 'task-3' });
    expect(fake.creates()).toBe(1);
    expect(fake.predictions.size).toBe(1);
    expect(result.remoteJobId).toBe([...fake.predictions.keys()][0]);
  });

  it('looks again when the list lags behind the create', async () => {
    await setup();
    fake.setListLagMs(300);
    fake.misbehaveCreate({ kind: 'status', status: 502 }, { made: true });
    const result = await provider({ listSettleMs: 600 }).generate(request, { workDir, jobKey: 'task-4' });
    expect(lists()).toBe(2);
    expect(fake.creates()).toBe(1);
    expect(result.remoteJobId).toBe([...fake.predictions.keys()][0]);
  });

  it('after a crash before the answer was recorded, adopts the prediction that create made instead of creating', async () => {
    await setup(150, { pageSize: 2 });
    const requestedAt = Date.now();
    const earlier = await createDirect(catalogueInput);
    // Newer predictions of other prompts push it to the second page.
    for (const prompt of ['a', 'b', 'c']) await createDirect({ prompt, prompt_optimizer: true });
    const calls: string[] = [];
    const result = await provider().generate(request, {
      workDir,
      jobKey: 'task-5',
      remoteJobRequestedAt: requestedAt,
      onRemoteJobRequested: () => void calls.push('requested'),
      onRemoteJob: (id) => void calls.push(id),
    });
    expect(result.remoteJobId).toBe(earlier);
    expect(calls).toEqual([earlier]);
    expect(fake.creates()).toBe(4);
  });

  it('after a crash before the answer was recorded, creates once when that create made nothing', async () => {
    await setup();
    await createDirect({ prompt: 'another prompt', prompt_optimizer: true });
    const result = await provider().generate(request, { workDir, jobKey: 'task-6', remoteJobRequestedAt: Date.now() - 5_000 });
    expect(fake.creates()).toBe(2);
    expect(fake.predictions.get(result.remoteJobId ?? '')?.input).toEqual(catalogueInput);
  });

  it('knows its prediction by the task key in the webhook URL, even with inputs removed, and not another task\'s same prompt', async () => {
    await setup();
    // Deliveries go nowhere: polls finish the run.
    const webhookUrl = `http://127.0.0.1:${await freePort()}/replicate/webhook`;
    const requestedAt = Date.now();
    const ours = await createDirect(catalogueInput, `${webhookUrl}?vidbot_task=task-7`);
    fake.removeData(ours);
    await createDirect(catalogueInput, `${webhookUrl}?vidbot_task=other-task`);
    const replicate = provider({ webhookUrl });
    const adopted = await replicate.generate(request, { workDir, jobKey: 'task-7', remoteJobRequestedAt: requestedAt });
    expect(adopted.remoteJobId).toBe(ours);
    expect(fake.creates()).toBe(2);
    const fresh = await replicate.generate(request, { workDir, jobKey: 'task-8' });
    expect(fake.predictions.get(fresh.remoteJobId ?? '')?.webhook).toBe(`${webhookUrl}?vidbot_task=task-8`);
  });

  it('fails retryable and creates nothing more when the list itself fails', async () => {
    await setup();
    fake.misbehaveCreate({ kind: 'status', status: 500 });
    fake.failList(500, 50);
    const error = await failure(provider().generate(request, { workDir, jobKey: 'task-9', onRemoteJobRequested: () => {} }));
    expect(error.code).toBe('VIDBOT_PROVIDER_FAILED');
    expect(error.retryable).toBe(true);
    // The cause's sentence ends before vidbot's own begins.
    expect(error.message).toMatch(/[^.]\. Nothing is created until it is found or surely absent\.$/);
    expect(fake.creates()).toBe(1);
    const resumed = await failure(provider().generate(request, { workDir, jobKey: 'task-9', remoteJobRequestedAt: Date.now() }));
    expect(resumed.retryable).toBe(true);
    expect(fake.creates()).toBe(1);
  });

  it('calls onRemoteJobRequested just before the create is sent', async () => {
    await setup();
    const calls: string[] = [];
    const before = Date.now();
    let at = 0;
    await provider().generate(request, {
      workDir,
      jobKey: 'task-10',
      onRemoteJobRequested: (time) => {
        at = time;
        calls.push(`requested after ${fake.creates()} creates`);
      },
      onRemoteJob: () => void calls.push(`recorded after ${fake.creates()} creates`),
    });
    expect(calls).toEqual(['requested after 0 creates', 'recorded after 1 creates']);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.parse([...fake.predictions.values()][0]?.created_at ?? ''));
  });
});

describe('model inputs', () => {
  it('maps orientation and durations per model', () => {
    expect(buildModelInput('google/veo-3-fast', { ...request, orientation: 'landscape' }, undefined)).toMatchObject({ aspect_ratio: '16:9' });
    expect(buildModelInput('kwaivgi/kling-v2.1', { ...request, durationSec: 8 }, 'data:x')).toMatchObject({ duration: 10, start_image: 'data:x' });
    expect(buildModelInput('acme/other', { ...request, inputs: { fps: 24 } }, undefined)).toEqual({ prompt: request.prompt, fps: 24 });
  });

  it('parses --input key=value flags', () => {
    expect(parseInputFlags(['duration=10', 'prompt_optimizer=false', 'style=a=b', 'ratio=1.5'])).toEqual({
      duration: 10,
      prompt_optimizer: false,
      style: 'a=b',
      ratio: 1.5,
    });
    expect(() => parseInputFlags(['=oops'])).toThrow(/key=value/);
  });
});
