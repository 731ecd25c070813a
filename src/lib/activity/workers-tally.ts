/**
 * The workers of every process at once: this process's own, and each other process's as its last
 * heartbeat said. A process not heard from within the timeout (it died, or lost Redis) drops out
 * of the sum; one that stopped says so (concurrency 0) and drops out at once.
 */
import { type Origin, WORKERS_TIMEOUT_MS, type WorkerStatus } from './events.ts';

export interface WorkersTotal extends WorkerStatus {
  /** Processes with workers counted. */
  readonly processes: number;
  /** Machines they run on. */
  readonly machines: number;
  readonly pausedProcesses: number;
}

export interface WorkersTally {
  own(status: WorkerStatus): void;
  heard(peer: string, origin: Origin, status: WorkerStatus): void;
  /** The sum as of now (forgetting the processes gone quiet). */
  total(): WorkersTotal;
}

interface Entry {
  readonly origin: Origin | undefined;
  readonly status: WorkerStatus;
  readonly heardAt: number;
}

export const createWorkersTally = (options: { origin?: Origin; now: () => number; timeoutMs?: number }): WorkersTally => {
  const timeoutMs = options.timeoutMs ?? WORKERS_TIMEOUT_MS;
  const peers = new Map<string, Entry>();
  let own: WorkerStatus = { running: 0, concurrency: 0, paused: false };
  return {
    own(status) {
      own = status;
    },
    heard(peer, origin, status) {
      if (status.concurrency > 0) peers.set(peer, { origin, status, heardAt: options.now() });
      else peers.delete(peer);
    },
    total() {
      const now = options.now();
      for (const [peer, entry] of peers) if (now - entry.heardAt > timeoutMs) peers.delete(peer);
      const counted = [...(own.concurrency > 0 ? [{ origin: options.origin, status: own }] : []), ...peers.values()];
      const paused = counted.filter((entry) => entry.status.paused).length;
      return {
        running: counted.reduce((sum, entry) => sum + entry.status.running, 0),
        // A process that is stopping takes no new job: only the places its running jobs hold count.
        concurrency: counted.reduce((sum, entry) => sum + (entry.status.stopping ? Math.min(entry.status.running, entry.status.concurrency) : entry.status.concurrency), 0),
        paused: counted.length > 0 && paused === counted.length,
        processes: counted.length,
        machines: new Set(counted.map((entry) => entry.origin?.host ?? '')).size,
        pausedProcesses: paused,
      };
    },
  };
};
