/** Pruning old uploads on a schedule: only where the media host can, and said when it cannot. */
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { schedulePrune } from '../../src/server/prune.ts';

const logger = () => {
  const warnings: string[] = [];
  const log = { warn: (message: string) => void warnings.push(message), info: () => {} } as unknown as FastifyBaseLogger;
  return { log, warnings };
};

describe('schedulePrune', () => {
  it('warns when it is scheduled that a retention is set where the media host keeps everything, and does nothing else', () => {
    const { log, warnings } = logger();
    const stop = schedulePrune({ mediaHost: { name: 'local' } as never }, 7, log);
    stop();
    expect(warnings).toEqual(['VIDBOT_MEDIA_RETENTION_DAYS is set, but the local media host keeps what it publishes: nothing is pruned.']);
  });

  it('is quiet without a retention', () => {
    const { log, warnings } = logger();
    schedulePrune({ mediaHost: { name: 'local' } as never }, undefined, log)();
    expect(warnings).toEqual([]);
  });
});
