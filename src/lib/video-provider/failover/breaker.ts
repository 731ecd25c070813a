/**
 * A circuit breaker per provider of a failover chain, so an outage costs a few tasks their wait
 * rather than every task: after `outages` outages within `windowMs` the circuit opens and the
 * provider is skipped for `cooldownMs`; then one task tries it (half-open) and its outcome closes
 * the circuit or opens it again. Each process keeps its own breakers; with REDIS_URL they also hear
 * what the other processes' breakers learn (board.ts), so an outage counts once across workers, and
 * a probe one process sends holds the others back until its outcome is told (or a cool-down passes,
 * should that process die before telling).
 */
import type { CircuitReport } from '../port.ts';
import type { CircuitChange } from './board.ts';

export interface BreakerOptions {
  readonly outages: number;
  readonly cooldownMs: number;
  readonly windowMs?: number;
  readonly now?: () => number;
  /** Called when a task claims the probe of a half-open circuit (the chain tells the other processes). */
  readonly onProbe?: (at: number) => void;
  /** Called when a probe ends telling nothing (a refusal, a cancel): the others need not wait for it. */
  readonly onProbeReleased?: (at: number) => void;
}

export interface CircuitBreaker {
  /** Whether a task may try the provider now (true for the one probe of a half-open circuit). */
  tryAcquire(): boolean;
  /** Whether a task could try it now, without claiming the probe. */
  available(): boolean;
  success(): void;
  /** An outage seen now (or at `at`, the time told to the other processes). */
  outage(at?: number): void;
  /** A try that told nothing about the provider's health (the content refused, a cancel): frees the probe. */
  release(): void;
  /** What another process's breaker for the provider learned, at its time: counted as this one's own. */
  heard(change: CircuitChange, at: number): void;
  /** No outage counted and the circuit closed: a success tells nobody anything new. */
  clean(): boolean;
  report(provider: string): CircuitReport;
}

export const DEFAULT_WINDOW_MS = 5 * 60_000;

export const createBreaker = (options: BreakerOptions): CircuitBreaker => {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  let recent: number[] = [];
  let openUntil: number | undefined;
  let probing = false;
  /** Another process's probe is out until then: its outcome will be told. */
  let probedElsewhereUntil = 0;

  const prune = () => {
    const since = now() - windowMs;
    recent = recent.filter((at) => at > since);
  };
  const open = (at = now()) => {
    openUntil = Math.max(openUntil ?? 0, at + options.cooldownMs);
    probing = false;
  };
  const closeCircuit = () => {
    recent = [];
    openUntil = undefined;
    probing = false;
    probedElsewhereUntil = 0;
  };
  const probeAllowed = () => !probing && now() >= (openUntil ?? 0) && now() >= probedElsewhereUntil;
  const countOutage = (at: number) => {
    if (openUntil !== undefined) return open(at);
    recent.push(at);
    prune();
    if (recent.length >= options.outages) open(at);
  };

  return {
    tryAcquire() {
      if (openUntil === undefined) return true;
      if (!probeAllowed()) return false;
      probing = true;
      options.onProbe?.(now());
      return true;
    },
    available: () => openUntil === undefined || probeAllowed(),
    success: closeCircuit,
    outage: (at = now()) => countOutage(at),
    release() {
      if (!probing) return;
      probing = false;
      options.onProbeReleased?.(now());
    },
    heard(change, at) {
      if (change === 'success') return closeCircuit();
      if (change === 'probe') {
        // Only an open circuit waits for another's probe; a closed one here knows of no outage to test.
        if (openUntil !== undefined) probedElsewhereUntil = Math.max(probedElsewhereUntil, at + options.cooldownMs);
        return;
      }
      if (change === 'release') {
        probedElsewhereUntil = 0;
        return;
      }
      // Our own probe, if one is out, still ends as its try ends; another's has its outcome.
      const wasProbing = probing;
      probedElsewhereUntil = 0;
      countOutage(at);
      probing = wasProbing && openUntil !== undefined;
    },
    clean: () => openUntil === undefined && recent.length === 0,
    report(provider) {
      prune();
      const state = openUntil === undefined ? 'closed' : probing || now() < probedElsewhereUntil ? 'half-open' : 'open';
      return { provider, state, outages: recent.length, ...(openUntil === undefined ? {} : { retryAt: openUntil }) };
    },
  };
};
