/**
 * The activity bus: how the processes of one deployment (web processes and worker processes on one
 * queue) tell each other what their workers do, so any process's dashboard shows every job. Messages
 * are fire and forget: a viewer that misses some catches up from the next ones, the queue's counts
 * and the store's open tasks, so nothing here needs to be durable.
 */
import type { SimulatorRelayEvent } from '../../channel/simulator/relay.ts';
import type { CircuitEvent } from '../../video-provider/failover/board.ts';
import type { JobScopedActivity, Origin, WorkerStatus } from '../events.ts';

/**
 * What goes on the bus: a job's events, a process's workers (re-sent as its heartbeat), what its
 * circuits learn (failover/board.ts), and what its workers send the simulator's users (channel/simulator/relay.ts).
 */
export type BusEvent = JobScopedActivity | ({ readonly type: 'workers'; readonly ts: number } & WorkerStatus) | CircuitEvent | SimulatorRelayEvent;

/** One message as received: the event, stamped with the process that sent it. */
export interface BusMessage {
  /** Tells this bus from every other, even two in one process (tests, or two vidbots in one app). */
  readonly peer: string;
  readonly origin: Origin;
  readonly event: BusEvent;
}

export interface ActivityBus {
  /** This process, as its messages are stamped. */
  readonly origin: Origin;
  /** Sends to the other processes; dropped, not queued, while the connection is down. */
  publish(event: BusEvent): void;
  /** The other processes' messages (never this bus's own); returns the unsubscribe. */
  subscribe(listener: (message: BusMessage) => void): () => void;
  /** Releases the connections the bus opened. */
  close(): Promise<void>;
}
