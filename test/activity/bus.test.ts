/**
 * The activity bus on a real redis-server: what one process publishes reaches the others stamped
 * with its origin and never comes back to itself; anything else on the channel is dropped; close()
 * gives its connection back.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityBus, BusMessage } from '../../src/lib/activity/bus/port.ts';
import { createRedisActivityBus } from '../../src/lib/activity/bus/redis.ts';
import { type TestRedis, startRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/vidbot.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.cleanup());

const channel = () => `vidbot:test-${randomBytes(4).toString('hex')}:vb:activity`;

/** A client that is connected, since the bus drops what it is asked to publish while it is not. */
const connected = async (): Promise<Redis> => {
  const client = redis.client();
  await client.ping();
  return client;
};

/** Subscribing is asynchronous: wait until Redis counts the subscribers, so nothing is published before. */
const subscribers = async (client: Redis, name: string, count: number) =>
  waitFor(async () => {
    const reply = (await client.pubsub('NUMSUB', name)) as [string, number];
    return reply[1] === count;
  }, 10_000);

const collect = (bus: ActivityBus) => {
  const got: BusMessage[] = [];
  bus.subscribe((message) => got.push(message));
  return got;
};

describe('Redis activity bus', () => {
  it('carries each message to the other processes, stamped with where it came from, never back to its sender', async () => {
    const name = channel();
    const client = await connected();
    const worker = createRedisActivityBus({ connection: client, channel: name, origin: { host: 'worker-a', pid: 11 } });
    const web = createRedisActivityBus({ connection: client, channel: name, origin: { host: 'web-1', pid: 22 } });
    const toWorker = collect(worker);
    const toWeb = collect(web);
    await subscribers(client, name, 2);

    worker.publish({ type: 'stage', jobId: 'job-1', stage: 'generate', state: 'start', ts: 1 });
    worker.publish({ type: 'workers', running: 1, concurrency: 2, paused: false, ts: 2 });
    worker.publish({ type: 'circuit', provider: 'replicate', change: 'outage', ts: 3 });
    worker.publish({ type: 'circuit', provider: 'replicate', change: 'probe', ts: 4 });
    worker.publish({ type: 'circuit', provider: 'replicate', change: 'release', ts: 5 });
    web.publish({ type: 'job', kind: 'canceled', jobId: 'job-2', ts: 3 });
    // A web process's receipt failed a delivered video: the other dashboards hear it too.
    web.publish({ type: 'job', kind: 'undelivered', jobId: 'job-3', error: 'The channel reported the result failed (error 63016).', ts: 4 });

    await waitFor(async () => toWeb.length === 5 && toWorker.length === 2, 10_000);
    expect(toWeb.map((message) => message.event.type)).toEqual(['stage', 'workers', 'circuit', 'circuit', 'circuit']);
    expect(toWeb[2]?.event).toEqual({ type: 'circuit', provider: 'replicate', change: 'outage', ts: 3 });
    expect(toWeb[3]?.event).toEqual({ type: 'circuit', provider: 'replicate', change: 'probe', ts: 4 });
    expect(toWeb[4]?.event).toMatchObject({ change: 'release', ts: 5 });
    expect(toWeb[0]).toMatchObject({ origin: { host: 'worker-a', pid: 11 }, event: { jobId: 'job-1', stage: 'generate', state: 'start' } });
    expect(toWorker).toEqual([
      expect.objectContaining({ origin: { host: 'web-1', pid: 22 }, event: expect.objectContaining({ kind: 'canceled' }) }),
      expect.objectContaining({ event: expect.objectContaining({ kind: 'undelivered', jobId: 'job-3', error: expect.stringContaining('63016') }) }),
    ]);
    // Each bus is a peer of its own, even two in one process: the ids differ.
    expect(toWeb[0]?.peer).not.toBe(toWorker[0]?.peer);
    await worker.close();
    await web.close();
  });

  it('drops anything on the channel that is not one of its messages', async () => {
    const name = channel();
    const client = await connected();
    const web = createRedisActivityBus({ connection: client, channel: name, origin: { host: 'web-1', pid: 22 } });
    const got = collect(web);
    await subscribers(client, name, 1);
    const origin = { host: 'worker-a', pid: 11 };
    for (const raw of [
      'not json at all',
      JSON.stringify({ v: 2, peer: 'p', origin, event: { type: 'job', kind: 'active', jobId: 'j', ts: 1 } }),
      JSON.stringify({ v: 1, peer: 'p', origin: { host: 'worker-a' }, event: { type: 'job', kind: 'active', jobId: 'j', ts: 1 } }),
      JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'job', kind: 'exploded', jobId: 'j', ts: 1 } }),
      JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'workers', running: -1, concurrency: 2, paused: false, ts: 1 } }),
      JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'circuit', provider: 'replicate', change: 'melted', ts: 1 } }),
      JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'circuit', change: 'outage', ts: 1 } }),
      JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'log', level: 'info', message: 'not for the bus', ts: 1 } }),
      JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'simulator', ts: 1, event: { type: 'message', message: { body: 'no address' } } } }),
      JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'simulator', ts: 1, event: { type: 'typing', to: 'whatsapp:+15550001234' } } }),
      JSON.stringify([1, 2, 3]),
    ]) {
      await client.publish(name, raw);
    }
    await client.publish(name, JSON.stringify({ v: 1, peer: 'p', origin, event: { type: 'made', jobId: 'j', provider: 'local', model: 'preview', ts: 5 } }));
    await waitFor(async () => got.length > 0, 10_000);
    expect(got).toEqual([{ peer: 'p', origin, event: { type: 'made', jobId: 'j', provider: 'local', model: 'preview', ts: 5 } }]);
    await web.close();
  });

  it('gives its subscriber connection back on close, and publishes nothing after', async () => {
    const name = channel();
    const client = await connected();
    const named = async () => String(await client.call('CLIENT', 'LIST')).split('\n').filter((line) => line.includes('name=vidbot:activity')).length;
    const before = await named();
    const bus = createRedisActivityBus({ connection: client, channel: name, origin: { host: 'web-1', pid: 22 } });
    bus.subscribe(() => {});
    await subscribers(client, name, 1);
    expect(await named()).toBe(before + 1);

    const listener = await connected();
    await listener.subscribe(name);
    const heard: string[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(message));
    await bus.close();
    await waitFor(async () => (await named()) === before, 10_000);
    await subscribers(client, name, 1);
    bus.publish({ type: 'job', kind: 'active', jobId: 'after-close', ts: 1 });
    // A message published after it by another client arrives: had the closed bus sent one, it would be first.
    await client.publish(name, 'marker');
    await waitFor(async () => heard.includes('marker'), 10_000);
    expect(heard).toEqual(['marker']);
  });
});
