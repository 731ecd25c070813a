/**
 * How the failover chains of one deployment share what their circuit breakers learn: each process
 * tells the others of its outages and recoveries over the activity bus (REDIS_URL), so an outage
 * counts once across every worker, and a web process that runs no jobs reports the circuits its
 * workers see; a probe of a half-open circuit is told too, so one process probes for all. Fire and
 * forget, like the bus: a process that misses a message learns on its own.
 */

/**
 * An outage, a success after outages, a probe of a half-open circuit sent (its outcome follows), or
 * a probe that ended telling nothing (a refusal, a cancel: another process may probe at once).
 */
export type CircuitChange = 'outage' | 'success' | 'probe' | 'release';

/** What a process's breaker learned about a provider, as it goes on the activity bus. */
export interface CircuitEvent {
  readonly type: 'circuit';
  readonly ts: number;
  readonly provider: string;
  readonly change: CircuitChange;
}

/** What the board needs of the activity bus (activity/bus/port.ts), which carries other events too. */
export interface CircuitChannel {
  publish(event: CircuitEvent): void;
  subscribe(listener: (message: { readonly event: { readonly type: string } }) => void): () => void;
}
export type CircuitListener = (provider: string, change: CircuitChange, at: number) => void;

export interface CircuitBoard {
  /** This process's breaker for `provider` learned `change`: tells the other processes. */
  tell(provider: string, change: CircuitChange, at: number): void;
  /** What the other processes' breakers learn; returns the unsubscribe. */
  listen(listener: CircuitListener): () => void;
}

/** A board to hand the chain before the bus exists (the provider is made first); connected once it does. */
export interface CircuitRelay extends CircuitBoard {
  /** Relays through `bus` from now on; returns the disconnect. */
  connect(bus: CircuitChannel): () => void;
}

export const createCircuitRelay = (): CircuitRelay => {
  const listeners = new Set<CircuitListener>();
  let bus: CircuitChannel | undefined;
  return {
    tell(provider, change, at) {
      bus?.publish({ type: 'circuit', ts: at, provider, change });
    },
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    connect(connected) {
      bus = connected;
      const unsubscribe = connected.subscribe(({ event }) => {
        if (event.type !== 'circuit') return;
        const { provider, change, ts } = event as CircuitEvent;
        for (const listener of listeners) listener(provider, change, ts);
      });
      return () => {
        unsubscribe();
        if (bus === connected) bus = undefined;
      };
    },
  };
};
