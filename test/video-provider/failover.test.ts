/**
 * The failover chain's rules on providers of our own (the end-to-end tests in
 * test/server/failover.test.ts run them on the real clients): when a task may leave a provider, the
 * circuit breaker's states, which model each provider runs, and the models users may pick.
 */
import { describe, expect, it } from 'vitest';
import { type VidbotError, vidbotError } from '../../src/lib/errors.ts';
import { allowedModels } from '../../src/lib/video-provider/allowed.ts';
import type { CircuitBoard, CircuitChange, CircuitListener } from '../../src/lib/video-provider/failover/board.ts';
import { createBreaker } from '../../src/lib/video-provider/failover/breaker.ts';
import { equivalentModel, providerOfModel } from '../../src/lib/video-provider/failover/models.ts';
import { createFailoverProvider } from '../../src/lib/video-provider/failover/provider.ts';
import { NOTHING_STARTED } from '../../src/lib/video-provider/failure.ts';
import type { GenerateOptions, VideoProvider, VideoRequest } from '../../src/lib/video-provider/port.ts';

type Step = (request: VideoRequest, options: GenerateOptions) => Promise<void>;

/** A provider whose every generate runs `step` (calling back as a real one would), then makes a video. */
const provider = (name: string, step: Step = async () => {}, imageToVideo = true) => {
  const calls: { model?: string; options: GenerateOptions }[] = [];
  const made: VideoProvider = {
    name,
    defaultModel: `${name}-default`,
    capabilities: () => ({ imageToVideo, ai: true }),
    async generate(request, options) {
      calls.push({ ...(request.model ? { model: request.model } : {}), options });
      await step(request, options);
      return { file: `/tmp/${name}.mp4`, provider: name, model: request.model ?? `${name}-default` };
    },
    cancelRemoteJob: async () => {},
  };
  return Object.assign(made, { calls });
};

const outage = (extra: Record<string, unknown> = {}) => vidbotError('VIDBOT_PROVIDER_FAILED', 'answered 500', { details: extra });
const REQUEST: VideoRequest = { prompt: 'a fox', orientation: 'portrait', durationSec: 6 };
const BREAKER = { outages: 2, cooldownMs: 60_000 };

const chainOf = (...members: VideoProvider[]) => createFailoverProvider({ providers: members, breaker: BREAKER });

const failure = async (run: Promise<unknown>): Promise<VidbotError> => {
  try {
    await run;
  } catch (error) {
    return error as VidbotError;
  }
  throw new Error('it did not fail');
};

/**
 * The boards of two processes on one bus: what one tells reaches the other, and is noted here as
 * `<process>:<provider>:<change>`; `hear` plays a message to one process as if from a third.
 */
const twoBoards = () => {
  const listeners = [new Set<CircuitListener>(), new Set<CircuitListener>()];
  const told: string[] = [];
  const hear = (me: 0 | 1, name: string, change: CircuitChange, at: number) => {
    for (const listener of listeners[me] ?? []) listener(name, change, at);
  };
  const boardOf = (me: 0 | 1): CircuitBoard => ({
    tell: (name, change, at) => {
      told.push(`${me}:${name}:${change}`);
      hear(me === 0 ? 1 : 0, name, change, at);
    },
    listen: (listener) => {
      listeners[me]?.add(listener);
      return () => void listeners[me]?.delete(listener);
    },
  });
  return { boardOf, told, hear };
};

describe('a failover chain', () => {
  it('moves on after an outage that started nothing, and tells the caller which provider each job is on', async () => {
    const first = provider('replicate', async (_request, options) => {
      await options.onRemoteJobRequested?.(1000);
      throw outage(NOTHING_STARTED);
    });
    const second = provider('fal', async (_request, options) => {
      await options.onRemoteJobRequested?.(2000);
      await options.onRemoteJob?.('req-1');
    });
    const heard: string[] = [];
    const video = await chainOf(first, second).generate(REQUEST, {
      workDir: '/tmp',
      onRemoteJobRequested: (at, name) => void heard.push(`requested ${at} at ${name}`),
      onRemoteJob: (id, name) => void heard.push(`job ${id} at ${name}`),
    });
    expect(video.provider).toBe('fal');
    expect(heard).toEqual(['requested 1000 at replicate', 'requested 2000 at fal', 'job req-1 at fal']);
    // Another provider was left to go to, so the first was asked for one create only.
    expect(first.calls[0]?.options.createOnce).toBe(true);
    expect(second.calls[0]?.options.createOnce).toBe(false);
  });

  it('stays when a create may have made a job, when a job runs there, or when the model refused the prompt', async () => {
    const unknownCreate = provider('replicate', async (_request, options) => {
      await options.onRemoteJobRequested?.(1000);
      throw outage();
    });
    const running = provider('replicate', async (_request, options) => {
      await options.onRemoteJob?.('pred-1');
      throw vidbotError('VIDBOT_PROVIDER_AUTH', 'rejected the token while checking the prediction');
    });
    const refused = provider('replicate', async () => {
      throw vidbotError('VIDBOT_CONTENT_REFUSED', 'flagged as sensitive', { details: { refusal: 'content' } });
    });
    for (const first of [unknownCreate, running, refused]) {
      const fal = provider('fal');
      await failure(chainOf(first, fal).generate(REQUEST, { workDir: '/tmp' }));
      expect(fal.calls).toHaveLength(0);
    }
  });

  it('leaves a job the provider canceled at its time limit, and a provider down before any create', async () => {
    const timedOut = provider('replicate', async (_request, options) => {
      await options.onRemoteJob?.('pred-1');
      throw vidbotError('VIDBOT_TIMEOUT', 'did not finish within 30 min; it was canceled.', { retryable: false });
    });
    const down = provider('cog', async () => {
      throw vidbotError('VIDBOT_PROVIDER_FAILED', "Cannot reach the Cog server while reading the model's inputs");
    });
    for (const first of [timedOut, down]) expect((await chainOf(first, provider('fal')).generate(REQUEST, { workDir: '/tmp' })).provider).toBe('fal');
  });

  it('resumes a job on the provider that has it, and looks for a lost create there before anything else', async () => {
    const replicate = provider('replicate');
    const fal = provider('fal');
    const video = await chainOf(replicate, fal).generate(REQUEST, { workDir: '/tmp', resumeRemoteJob: 'req-9@fal-ai/x', remoteProvider: 'fal' });
    expect(video.provider).toBe('fal');
    expect(replicate.calls).toHaveLength(0);
    expect(fal.calls[0]?.options).toMatchObject({ resumeRemoteJob: 'req-9@fal-ai/x' });
    // A create whose answer was lost is looked for there, and only there (at most once more).
    await chainOf(replicate, fal).generate(REQUEST, { workDir: '/tmp', remoteJobRequestedAt: 5, remoteProvider: 'replicate' });
    expect(replicate.calls[0]?.options).toMatchObject({ remoteJobRequestedAt: 5, createOnce: true });
  });

  it('opens a circuit after repeated outages, skips it while open, and answers for every open circuit', async () => {
    let now = 0;
    const breaker = createBreaker({ outages: 2, cooldownMs: 1000, now: () => now });
    expect(breaker.tryAcquire()).toBe(true);
    breaker.outage();
    expect(breaker.report('replicate')).toEqual({ provider: 'replicate', state: 'closed', outages: 1 });
    breaker.outage();
    expect(breaker.report('replicate')).toEqual({ provider: 'replicate', state: 'open', outages: 2, retryAt: 1000 });
    expect(breaker.tryAcquire()).toBe(false);
    now = 1000;
    // One probe after the cool-down; others still skip it until it tells.
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.report('replicate').state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(false);
    breaker.outage();
    expect(breaker.report('replicate')).toMatchObject({ state: 'open', retryAt: 2000 });
    now = 2000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(breaker.report('replicate')).toEqual({ provider: 'replicate', state: 'closed', outages: 0 });
    // Outages older than the window are forgotten.
    breaker.outage();
    now += 6 * 60_000;
    breaker.outage();
    expect(breaker.report('replicate').state).toBe('closed');

    const a = provider('replicate', async () => {
      throw outage(NOTHING_STARTED);
    });
    const b = provider('fal', async () => {
      throw outage(NOTHING_STARTED);
    });
    const chain = chainOf(a, b);
    for (let i = 0; i < 2; i += 1) await failure(chain.generate(REQUEST, { workDir: '/tmp' }));
    const skipped = await failure(chain.generate(REQUEST, { workDir: '/tmp' }));
    expect(skipped).toMatchObject({ code: 'VIDBOT_PROVIDER_FAILED', retryable: true });
    expect(skipped.message).toContain('Every video provider is skipped after repeated outages (replicate, fal)');
    expect(a.calls).toHaveLength(2);
    expect(chain.circuits?.().map((c) => c.state)).toEqual(['open', 'open']);
  });

  it('runs a model on the provider that hosts it first, the same family elsewhere, and skips one that cannot animate a photo', async () => {
    const replicate = provider('replicate', async () => {
      throw outage(NOTHING_STARTED);
    });
    const fal = provider('fal');
    expect((await chainOf(replicate, fal).generate({ ...REQUEST, model: 'google/veo-3.1' }, { workDir: '/tmp' })).model).toBe('fal-ai/veo3.1');
    expect(replicate.calls[0]?.model).toBe('google/veo-3.1');
    // A fal model goes to fal first, even though replicate comes first in the list.
    await chainOf(provider('replicate'), fal).generate({ ...REQUEST, model: 'fal-ai/veo3.1/fast' }, { workDir: '/tmp' });
    expect(fal.calls.at(-1)?.model).toBe('fal-ai/veo3.1/fast');
    // No family there: the provider's own model.
    expect((await chainOf(provider('replicate', async () => { throw outage(NOTHING_STARTED); }), provider('fal')).generate({ ...REQUEST, model: 'luma/ray-2-720p' }, { workDir: '/tmp' })).model).toBe('fal-default');
    const noPhotos = provider('fal', async () => {}, false);
    const photo = await failure(chainOf(provider('replicate', async () => { throw outage(NOTHING_STARTED); }), noPhotos).generate({ ...REQUEST, firstFrameImage: '/tmp/a.png' }, { workDir: '/tmp' }));
    expect(photo.code).toBe('VIDBOT_PROVIDER_FAILED');
    expect(noPhotos.calls).toHaveLength(0);

    expect(equivalentModel('wan-video/wan-2.5-i2v', 'fal', true)).toBe('fal-ai/wan-25-preview/text-to-video');
    expect(equivalentModel('fal-ai/wan-25-preview/text-to-video', 'replicate', true)).toBe('wan-video/wan-2.5-i2v');
    expect(equivalentModel('fal-ai/wan-25-preview/text-to-video', 'replicate', false)).toBe('wan-video/wan-2.5-t2v');
    expect(equivalentModel('google/veo-3.1', 'cog', false)).toBeUndefined();
    expect(providerOfModel('acme/custom:abc', ['fal', 'replicate'])).toBe('replicate');
    expect(providerOfModel('bytedance/seedance/v1/pro', ['fal'])).toBe('fal');
    expect(providerOfModel('cog', ['cog'], { cog: 'cog' })).toBe('cog');
    expect(providerOfModel('sora-2', ['replicate'])).toBeUndefined();
  });

  it("hears what other processes' breakers learned: their outages count, their success closes, their news does not end its probe", async () => {
    let now = 0;
    const breaker = createBreaker({ outages: 2, cooldownMs: 1000, now: () => now });
    expect(breaker.clean()).toBe(true);
    breaker.heard('outage', 0);
    expect(breaker.clean()).toBe(false);
    now = 10;
    breaker.outage();
    // Opened from the outage that filled the count.
    expect(breaker.report('replicate')).toEqual({ provider: 'replicate', state: 'open', outages: 2, retryAt: 1010 });
    breaker.heard('success', 20);
    expect(breaker.report('replicate')).toEqual({ provider: 'replicate', state: 'closed', outages: 0 });
    breaker.heard('outage', 30);
    breaker.heard('outage', 40);
    expect(breaker.report('replicate')).toMatchObject({ state: 'open', retryAt: 1040 });
    now = 1040;
    expect(breaker.tryAcquire()).toBe(true);
    // Another process's probe failed meanwhile: the circuit stays open longer, and this probe still tells.
    breaker.heard('outage', 1050);
    expect(breaker.report('replicate')).toMatchObject({ state: 'half-open', retryAt: 2050 });
    expect(breaker.tryAcquire()).toBe(false);
    breaker.success();
    expect(breaker.clean()).toBe(true);
  });

  it('counts an outage once across processes sharing a board, and tells only news', async () => {
    const { boardOf, told } = twoBoards();
    let down = true;
    const replicate = () => provider('replicate', async () => {
      if (down) throw outage(NOTHING_STARTED);
    });
    const chains = ([0, 1] as const).map((me) => createFailoverProvider({ providers: [replicate(), provider('fal')], breaker: BREAKER, board: boardOf(me) }));
    const [a, b] = chains as [VideoProvider, VideoProvider];
    await a.generate(REQUEST, { workDir: '/tmp' });
    await b.generate(REQUEST, { workDir: '/tmp' });
    // One outage each, two in all: both circuits open, though neither process saw two.
    for (const chain of chains) expect(chain.circuits?.()[0]).toMatchObject({ provider: 'replicate', state: 'open', outages: 2 });
    // Each told its own outage once; the videos made on fal told nothing, their circuit having nothing new to say.
    expect(told).toEqual(['0:replicate:outage', '1:replicate:outage']);
    expect(chains.map((chain) => chain.circuits?.()[1]?.state)).toEqual(['closed', 'closed']);
  });

  it('sends one probe across processes after a cool-down: the others wait for its outcome, or another cool-down', async () => {
    let now = 0;
    const clock = { outages: 1, cooldownMs: 1000, now: () => now };
    const { boardOf, told, hear } = twoBoards();
    let down = true;
    let release: () => void = () => {};
    const tries: number[] = [];
    const replicate = (me: number) =>
      provider('replicate', async () => {
        tries.push(me);
        if (down) throw outage(NOTHING_STARTED);
        // The probe takes its time, as a video does: the other process asks meanwhile.
        await new Promise<void>((resolve) => (release = resolve));
      });
    const [a, b] = ([0, 1] as const).map((me) => createFailoverProvider({ providers: [replicate(me), provider('fal')], breaker: clock, board: boardOf(me) })) as [VideoProvider, VideoProvider];
    await a.generate(REQUEST, { workDir: '/tmp' });
    expect(b.circuits?.()[0]).toMatchObject({ state: 'open', retryAt: 1000 });
    now = 1000;
    down = false;
    const probe = a.generate(REQUEST, { workDir: '/tmp' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toEqual(['0:replicate:outage', '0:replicate:probe']);
    // The other process sees the probe out and goes to fal instead of sending its own.
    expect(b.circuits?.()[0]).toMatchObject({ state: 'half-open' });
    expect((await b.generate(REQUEST, { workDir: '/tmp' })).provider).toBe('fal');
    release();
    expect((await probe).provider).toBe('replicate');
    // The probe's success is told, and closes the other process's circuit too.
    expect(told).toEqual(['0:replicate:outage', '0:replicate:probe', '0:replicate:success']);
    expect(b.circuits?.()[0]).toMatchObject({ state: 'closed' });
    expect(tries).toEqual([0, 0]);

    // A process that dies mid-probe tells nothing: the others probe themselves a cool-down later.
    down = true;
    await a.generate(REQUEST, { workDir: '/tmp' });
    now = 2000;
    hear(1, 'replicate', 'probe', 2000);
    expect(b.circuits?.()[0]).toMatchObject({ state: 'half-open' });
    expect((await b.generate(REQUEST, { workDir: '/tmp' })).provider).toBe('fal');
    now = 3000;
    expect(b.circuits?.()[0]).toMatchObject({ state: 'open' });
    await b.generate(REQUEST, { workDir: '/tmp' });
    expect(tries.at(-1)).toBe(1);
  });

  it('tells a probe\'s success once the provider takes the job, and claims no probe for a photo it cannot animate', async () => {
    let now = 0;
    const clock = { outages: 1, cooldownMs: 1000, now: () => now };
    const told: string[] = [];
    const heard: CircuitListener[] = [];
    const board: CircuitBoard = {
      tell: (_name, change) => void told.push(change),
      listen: (listener) => {
        heard.push(listener);
        return () => {};
      },
    };
    let down = true;
    let finish: () => void = () => {};
    const videoOnly = (name: string, step: Step) => Object.assign(provider(name, step), { capabilities: () => ({ imageToVideo: false, ai: true }) });
    const replicate = videoOnly('replicate', async (_request, options) => {
      if (down) throw outage(NOTHING_STARTED);
      await options.onRemoteJob?.('prediction-1');
      await new Promise<void>((resolve) => (finish = resolve));
    });
    const chain = createFailoverProvider({ providers: [replicate, provider('fal')], breaker: clock, board });
    await chain.generate(REQUEST, { workDir: '/tmp' });
    now = 1000;
    down = false;
    // A photo: replicate cannot take it, so its half-open circuit is not probed, nor a probe told.
    const photo = await chain.generate({ ...REQUEST, firstFrameImage: '/tmp/photo.png' }, { workDir: '/tmp' });
    expect(photo.provider).toBe('fal');
    expect(told).toEqual(['outage']);
    expect(chain.circuits?.()[0]).toMatchObject({ state: 'open' });
    // A text prompt probes it; the circuit closes as soon as the prediction exists, long before its video.
    const probe = chain.generate(REQUEST, { workDir: '/tmp' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toEqual(['outage', 'probe', 'success']);
    expect(chain.circuits?.()[0]).toMatchObject({ state: 'closed' });
    finish();
    expect((await probe).provider).toBe('replicate');
    expect(told).toEqual(['outage', 'probe', 'success']);
  });

  it('tells the others when its probe ends telling nothing (the model refused the prompt), so one of them may probe at once', async () => {
    let now = 0;
    const clock = { outages: 1, cooldownMs: 1000, now: () => now };
    const { boardOf, told } = twoBoards();
    let answer: 'outage' | 'refusal' | 'video' = 'outage';
    const replicate = () =>
      provider('replicate', async () => {
        if (answer === 'outage') throw outage(NOTHING_STARTED);
        if (answer === 'refusal') throw vidbotError('VIDBOT_CONTENT_REFUSED', 'flagged as sensitive', { details: { refusal: 'content' } });
      });
    const [a, b] = ([0, 1] as const).map((me) => createFailoverProvider({ providers: [replicate(), provider('fal')], breaker: clock, board: boardOf(me) })) as [VideoProvider, VideoProvider];
    await a.generate(REQUEST, { workDir: '/tmp' });
    now = 1000;
    answer = 'refusal';
    await expect(a.generate(REQUEST, { workDir: '/tmp' })).rejects.toMatchObject({ code: 'VIDBOT_CONTENT_REFUSED' });
    expect(told).toEqual(['0:replicate:outage', '0:replicate:probe', '0:replicate:release']);
    // Not held back a cool-down by a probe that will tell nothing more: b probes now.
    expect(b.circuits?.()[0]).toMatchObject({ state: 'open' });
    answer = 'video';
    expect((await b.generate(REQUEST, { workDir: '/tmp' })).provider).toBe('replicate');
    expect(told).toEqual(['0:replicate:outage', '0:replicate:probe', '0:replicate:release', '1:replicate:probe', '1:replicate:success']);
  });

  it('hears a probe\'s outage as its outcome: the circuit is open again, not left half-open', () => {
    let now = 0;
    const breaker = createBreaker({ outages: 1, cooldownMs: 1000, now: () => now });
    breaker.outage();
    now = 1000;
    breaker.heard('probe', 1000);
    expect(breaker.report('replicate')).toMatchObject({ state: 'half-open' });
    breaker.heard('outage', 1200);
    expect(breaker.report('replicate')).toMatchObject({ provider: 'replicate', state: 'open', retryAt: 2200 });
    now = 2200;
    expect(breaker.tryAcquire()).toBe(true);
  });
});

describe('the models users may pick', () => {
  it('defaults to the configured model, names each for people, and refuses one no provider in use runs', () => {
    const chain = chainOf(provider('replicate'), provider('fal'));
    expect(allowedModels(undefined, chain)).toEqual([{ id: 'replicate-default', label: 'replicate-default', provider: 'replicate' }]);
    expect(allowedModels('google/veo-3.1, fal-ai/kling-video/v2.5-turbo/pro/text-to-video', chain)).toEqual([
      { id: 'google/veo-3.1', label: 'Google Veo 3.1', provider: 'replicate' },
      { id: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video', label: 'Kling 2.5 Turbo Pro', provider: 'fal' },
    ]);
    expect(() => allowedModels('google/veo-3.1,sora-2', chain)).toThrow('VIDBOT_ALLOWED_MODELS names sora-2, which none of the providers in use (replicate, fal) runs.');
    expect(() => allowedModels('google/veo-3.1', provider('cog'))).toThrow(/none of the providers in use \(cog\)/);
  });
});
