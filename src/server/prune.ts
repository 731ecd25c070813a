import type { FastifyBaseLogger } from 'fastify';
import type { Vidbot } from '../lib/create-vidbot.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** With VIDBOT_MEDIA_RETENTION_DAYS, deletes old uploads at start and then daily; returns the stop. */
export const schedulePrune = (vidbot: Pick<Vidbot, 'mediaHost'>, days: number | undefined, log: FastifyBaseLogger): (() => void) => {
  const prune = vidbot.mediaHost.prune?.bind(vidbot.mediaHost);
  if (!days) return () => {};
  if (!prune) {
    // Set, and nothing would ever be deleted: said once, rather than kept silently.
    log.warn(`VIDBOT_MEDIA_RETENTION_DAYS is set, but the ${vidbot.mediaHost.name} media host keeps what it publishes: nothing is pruned.`);
    return () => {};
  }
  const controller = new AbortController();
  const run = () =>
    void prune({ olderThanDays: days, signal: controller.signal }).then(
      ({ deleted }) => log.info({ deleted: deleted.length, olderThanDays: days }, 'pruned old uploads'),
      (error: unknown) => controller.signal.aborted || log.warn({ error: (error as Error).message }, 'pruning old uploads failed'),
    );
  run();
  const timer = setInterval(run, DAY_MS).unref();
  return () => {
    clearInterval(timer);
    controller.abort();
  };
};
