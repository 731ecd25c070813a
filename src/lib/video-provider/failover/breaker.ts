/**
 * A circuit breaker per provider of a failover chain, so an outage costs a few tasks their wait
 * rather than every task: after `outages` outages within `windowMs` the circuit opens and the
 * provider is skipped for `cooldownMs`; then one task tries it (half-open) and its outcome closes
 * the circuit or opens it again. State is this process's: each worker learns on its own.
 */
import type { CircuitReport } from '../port.ts';

export interface BreakerOptions {
  readonly outages: number;
  readonly cooldownMs: number;
  readonly windowMs?: number;
  readonly now?: () => number;
}

export interface CircuitBreaker {
  /** Whether a task may try the provider now (true for the one probe of a half-open circuit). */
  tryAcquire(): boolean;
  /** Whether a task could try it now, without claiming the probe. */
  available(): boolean;
  success(): void;
  outage(): void;
  /** A try that told nothing about the provider's health (the content refused, a cancel): frees the probe. */
  release(): void;
  report(provider: string): CircuitReport;
}

export const DEFAULT_WINDOW_MS = 5 * 60_000;

export const createBreaker = (options: BreakerOptions): CircuitBreaker => {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  let recent: number[] = [];
  let openUntil: number | undefined;
  let probing = false;

  const prune = () => {
    const since = now() - windowMs;
    recent = recent.filter((at) => at > since);
  };
  const open = () => {
    openUntil = now() + options.cooldownMs;
    probing = false;
  };

  return {
    tryAcquire() {
      if (openUntil === undefined) return true;
      if (probing || now() < openUntil) return false;
      probing = true;
      return true;
    },
    available: () => openUntil === undefined || (!probing && now() >= openUntil),
    success() {
      recent = [];
      openUntil = undefined;
      probing = false;
    },
    outage() {
      if (openUntil !== undefined) return open();
      recent.push(now());
      prune();
      if (recent.length >= options.outages) open();
    },
    release() {
      probing = false;
    },
    report(provider) {
      prune();
      const state = openUntil === undefined ? 'closed' : probing ? 'half-open' : 'open';
      return { provider, state, outages: recent.length, ...(openUntil === undefined ? {} : { retryAt: openUntil }) };
    },
  };
};
