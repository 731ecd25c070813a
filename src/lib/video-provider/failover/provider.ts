/**
 * Failover through an ordered list of providers (VIDBOT_PROVIDER=replicate,fal). A task moves to the
 * next provider only when the one it tried had an outage (5xx, a timeout, 429 beyond the retries, a
 * refused key) and nothing of it can still run there: never after the model refused or failed the
 * prompt, and never while a create's outcome is unknown. That create is looked for on the next
 * attempt, at the provider that had it, before anything else is paid for. Each provider has a
 * circuit breaker, so once one is down later tasks go straight to the next.
 */
import { toVidbotError, type VidbotError, vidbotError } from '../../errors.ts';
import { classifyProviderFailure, NOTHING_STARTED, startedNothing } from '../failure.ts';
import type { GeneratedVideo, GenerateOptions, VideoProvider, VideoRequest } from '../port.ts';
import type { CircuitBoard } from './board.ts';
import { type BreakerOptions, type CircuitBreaker, createBreaker } from './breaker.ts';
import { equivalentModel, orderFor } from './models.ts';

export interface FailoverOptions {
  /** The providers in the order to try them; at least two. */
  readonly providers: readonly VideoProvider[];
  readonly breaker: BreakerOptions;
  /** Shares what the breakers learn with the other processes of the deployment (with REDIS_URL). */
  readonly board?: CircuitBoard;
  /** Told each time a task leaves a provider, in operator words. */
  readonly onFailover?: (message: string) => void;
}

/** What one try learned about the job it may have started. */
interface TryState {
  /** A create was sent (now, or by an earlier attempt) whose job is not known. */
  requested: boolean;
  /** A job exists there (created now, or resumed). */
  job: boolean;
}

/**
 * Whether the task may leave a provider after this outage without paying twice or abandoning a job:
 * with a job there, only once the provider canceled it at its time limit; after a create, only when
 * the provider says it surely started nothing.
 */
const mayLeave = (error: VidbotError, state: TryState): boolean => {
  if (state.job) return error.code === 'VIDBOT_TIMEOUT';
  if (state.requested) return startedNothing(error);
  return true;
};

export const createFailoverProvider = (options: FailoverOptions): VideoProvider => {
  const members = options.providers;
  const primary = members[0];
  if (primary === undefined || members.length < 2) {
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'A failover chain needs at least two providers.');
  }
  // A probe is told to the other processes, which then wait for its outcome instead of sending their own.
  const breakerFor = (name: string) =>
    createBreaker({
      ...options.breaker,
      onProbe: (at) => options.board?.tell(name, 'probe', at),
      onProbeReleased: (at) => options.board?.tell(name, 'release', at),
    });
  const breakers = new Map<string, CircuitBreaker>(members.map((member) => [member.name, breakerFor(member.name)]));
  const breaker = (member: VideoProvider): CircuitBreaker => breakers.get(member.name) ?? breakerFor(member.name);
  const now = options.breaker.now ?? Date.now;
  options.board?.listen((provider, change, at) => breakers.get(provider)?.heard(change, at));
  const succeeded = (member: VideoProvider) => {
    const circuit = breaker(member);
    // Told only when it is news: a circuit that saw no outage tells nobody of every video made.
    if (!circuit.clean()) options.board?.tell(member.name, 'success', now());
    circuit.success();
  };
  const hadOutage = (member: VideoProvider) => {
    const at = now();
    breaker(member).outage(at);
    options.board?.tell(member.name, 'outage', at);
  };
  const byName = (name: string | undefined) => members.find((member) => member.name === name);
  const hostOf = (model: string | undefined) => orderFor(members, model)[0] ?? primary;

  /** The model this member runs for the request: the one asked for where it lives, else its family, else the member's own. */
  const modelFor = (member: VideoProvider, request: VideoRequest): string | undefined => {
    if (request.model === undefined) return undefined;
    if (member === hostOf(request.model)) return request.model;
    return equivalentModel(request.model, member.name, request.firstFrameImage !== undefined);
  };

  const attempt = async (member: VideoProvider, request: VideoRequest, go: GenerateOptions, resume: boolean, createOnce: boolean) => {
    const state: TryState = { requested: resume && go.remoteJobRequestedAt !== undefined, job: resume && go.resumeRemoteJob !== undefined };
    const model = modelFor(member, request);
    const { model: _asked, ...rest } = request;
    try {
      const video = await member.generate(model === undefined ? rest : { ...rest, model }, {
        ...go,
        resumeRemoteJob: resume ? go.resumeRemoteJob : undefined,
        remoteJobRequestedAt: resume ? go.remoteJobRequestedAt : undefined,
        remoteProvider: undefined,
        createOnce,
        onRemoteJobRequested: async (at) => {
          state.requested = true;
          await go.onRemoteJobRequested?.(at, member.name);
        },
        onRemoteJob: async (id) => {
          state.job = true;
          // The provider took the job: it is up. A probe says so now, not after the minutes a video takes,
          // so the processes waiting on it (and this one) use the provider again at once.
          succeeded(member);
          await go.onRemoteJob?.(id, member.name);
        },
      });
      succeeded(member);
      return { video };
    } catch (caught) {
      const error = toVidbotError(caught);
      const outage = classifyProviderFailure(error) === 'outage';
      if (outage) hadOutage(member);
      // A resume did not take the half-open probe, so it must not free it either.
      else if (!resume) breaker(member).release();
      return { error, leave: outage && !go.signal?.aborted && mayLeave(error, state) };
    }
  };

  return {
    name: members.map((member) => member.name).join(','),
    defaultModel: primary.defaultModel,
    members,
    capabilities: (model) => hostOf(model).capabilities(model),
    circuits: () => members.map((member) => breaker(member).report(member.name)),
    async cancelRemoteJob(remoteJobId, provider) {
      await (byName(provider) ?? primary).cancelRemoteJob?.(remoteJobId);
    },
    async generate(request, go): Promise<GeneratedVideo> {
      // A job (or a create whose answer is unknown) of an earlier attempt is resumed where it lives, circuit or not.
      const pending = go.resumeRemoteJob !== undefined || go.remoteJobRequestedAt !== undefined;
      const owner = pending ? (byName(go.remoteProvider) ?? primary) : undefined;
      const order = orderFor(members, request.model);
      const tries = owner ? [owner, ...order.filter((member) => member !== owner)] : order;
      const skipped: string[] = [];
      const unable: string[] = [];
      let last: VidbotError | undefined;
      for (const [index, member] of tries.entries()) {
        const resume = member === owner;
        // Before the circuit is asked: a provider that cannot take the photo must not claim (and announce) a probe.
        if (!resume && request.firstFrameImage !== undefined && !member.capabilities(modelFor(member, request)).imageToVideo) {
          unable.push(member.name);
          continue;
        }
        if (!resume && !breaker(member).tryAcquire()) {
          skipped.push(member.name);
          continue;
        }
        // With somewhere left to go, a create whose answer is lost is not sent twice here.
        const createOnce = tries.slice(index + 1).some((next) => breaker(next).available());
        const outcome = await attempt(member, request, go, resume, createOnce);
        if (outcome.video) return outcome.video;
        last = outcome.error;
        if (!outcome.leave) throw outcome.error;
        const next = tries.slice(index + 1).find((other) => breaker(other).available());
        if (next === undefined) break;
        const why = `${member.name} had an outage (${outcome.error.code}); trying ${next.name}`;
        options.onFailover?.(`${why}: ${outcome.error.message}`);
        go.onProgress?.({ message: why });
      }
      if (last) throw last;
      if (skipped.length === 0) {
        throw vidbotError('VIDBOT_CAPABILITY_UNSUPPORTED', `None of the video providers (${unable.join(', ')}) can start from a photo with these models.`);
      }
      throw vidbotError('VIDBOT_PROVIDER_FAILED', `Every video provider is skipped after repeated outages (${skipped.join(', ')}); each is tried again after its cool-down.`, {
        retryable: true,
        details: NOTHING_STARTED,
      });
    },
  };
};
