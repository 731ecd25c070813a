/**
 * The activity bus on Redis pub/sub, beside the BullMQ queue on the same Redis.
 *
 * Why not BullMQ's QueueEvents: its stream carries BullMQ's job transitions only, in BullMQ's terms
 * (a job the fairness gate holds back shows as delayed, a cancel as a failure), and keeps them in a
 * stream that outlives the viewer. Our pipeline stages, progress, costs and the workers' status have
 * no place in it. Plain pub/sub carries our own events, as the in-process ones are, and forgets them:
 * a dashboard wants what happens now, and a missed message is mended by the next one.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Origin } from '../events.ts';
import { encodeBusMessage, parseBusMessage } from './message.ts';
import type { ActivityBus, BusMessage } from './port.ts';

export interface RedisActivityBusOptions {
  /** Publishes on it; it stays the caller's to close. Subscribing takes a duplicate the bus owns. */
  readonly connection: Redis;
  /** The pub/sub channel: under the queue's key prefix, so one Redis can hold several deployments. */
  readonly channel: string;
  readonly origin: Origin;
}

export const createRedisActivityBus = (options: RedisActivityBusOptions): ActivityBus => {
  const { connection, channel, origin } = options;
  const peer = randomBytes(6).toString('hex');
  const listeners = new Set<(message: BusMessage) => void>();
  let subscriber: Redis | undefined;
  let closed = false;

  const deliver = (from: string, raw: string) => {
    if (from !== channel) return;
    const message = parseBusMessage(raw);
    if (message === undefined || message.peer === peer) return;
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch {
        // One broken viewer must not keep the message from the others.
      }
    }
  };

  // Opened on the first subscriber only: a worker process publishes and never listens.
  const listen = () => {
    if (subscriber !== undefined || closed) return;
    // A connection in subscriber mode takes no other commands: it must be one of its own. It waits
    // through a Redis restart and subscribes again by itself.
    const opened = connection.duplicate({ connectionName: 'vidbot:activity', maxRetriesPerRequest: null });
    opened.on('error', () => {});
    opened.on('message', deliver);
    void opened.subscribe(channel).catch(() => {});
    subscriber = opened;
  };

  return {
    origin,
    publish(event) {
      // Stale by the time Redis is back: dropped rather than queued, the next heartbeat says what is true.
      if (closed || connection.status !== 'ready') return;
      void connection.publish(channel, encodeBusMessage({ peer, origin, event })).catch(() => {});
    },
    subscribe(listener) {
      listeners.add(listener);
      listen();
      return () => void listeners.delete(listener);
    },
    async close() {
      closed = true;
      listeners.clear();
      const opened = subscriber;
      subscriber = undefined;
      if (opened) await opened.quit().catch(() => opened.disconnect());
    },
  };
};
