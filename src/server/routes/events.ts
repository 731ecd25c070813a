import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { ActivityFeed } from '../../lib/activity/feed.ts';
import { vidbotError } from '../../lib/errors.ts';
import { eventsSchema, workersSchema } from '../schemas/api.ts';

const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface WorkerControl {
  pause(): void;
  resume(): void;
}

export interface EventRouteDeps {
  /** The feed to stream; called on each connection, so it can be made on first use. */
  readonly feed: () => ActivityFeed;
  readonly guard: onRequestAsyncHookHandler;
  /** The workers of this process, when it has any: POST /api/workers/pause|resume. */
  readonly workers?: WorkerControl;
  /** How often an idle stream sends a comment so proxies keep it open (default 15 s). */
  readonly keepAliveMs?: number;
}

/**
 * GET /api/events: the activity feed as Server-Sent Events, starting with recent history, for
 * `vidbot status --watch`. Same guard as the rest of /api: a key, or this machine.
 */
export const eventRoutes = (app: FastifyInstance, deps: EventRouteDeps): void => {
  const open = new Set<() => void>();
  // Streams never end by themselves: end them as the server starts closing, or close() would wait forever.
  app.addHook('preClose', async () => {
    for (const stop of [...open]) stop();
  });
  app.get('/api/events', { onRequest: deps.guard, schema: eventsSchema }, (request, reply) => {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let unsubscribe = () => {};
    let keepAlive: NodeJS.Timeout | undefined;
    const stop = () => {
      if (!open.delete(stop)) return;
      clearInterval(keepAlive);
      unsubscribe();
      out.end();
    };
    open.add(stop);
    // A viewer that stopped reading (Ctrl-Z on `status --watch`) is dropped rather than buffered forever.
    const send = (event: unknown) => (out.writableLength > MAX_BUFFERED_BYTES ? stop() : out.write(`data: ${JSON.stringify(event)}\n\n`));
    out.write('retry: 2000\n\n');
    const feed = deps.feed();
    for (const event of feed.recent()) send(event);
    unsubscribe = feed.subscribe(send);
    keepAlive = setInterval(() => out.write(': keep-alive\n\n'), deps.keepAliveMs ?? 15_000);
    request.raw.on('close', stop);
  });

  const control = (action: 'pause' | 'resume') => async () => {
    if (!deps.workers) {
      throw vidbotError('VIDBOT_CONFLICT', 'This server runs no workers (started with --no-workers).', {
        hint: 'Pause or resume the worker processes themselves: they run apart from this server.',
      });
    }
    deps.workers[action]();
    return { ok: true, paused: action === 'pause' };
  };
  app.post('/api/workers/pause', { onRequest: deps.guard, schema: workersSchema('pause') }, control('pause'));
  app.post('/api/workers/resume', { onRequest: deps.guard, schema: workersSchema('resume') }, control('resume'));
};
