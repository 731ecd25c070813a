import type { PipelineStage } from '../domain.ts';

export type { PipelineStage };

/** What a pipeline run reports while it works; a CLI draws progress bars from these, a server logs them. */
export type PipelineEvent =
  | { readonly type: 'stage:start'; readonly stage: PipelineStage }
  | {
      readonly type: 'stage:progress';
      readonly stage: PipelineStage;
      readonly percent?: number;
      readonly message?: string;
    }
  | { readonly type: 'stage:done'; readonly stage: PipelineStage; readonly durationMs: number; readonly note?: string }
  | { readonly type: 'stage:skip'; readonly stage: PipelineStage; readonly reason: string }
  /** A video was generated (not taken from the cache): who made it (failover may pick another) and its estimated cost. */
  | { readonly type: 'made'; readonly provider: string; readonly model: string; readonly runSec?: number; readonly cost?: number };

export type PipelineListener = (event: PipelineEvent) => void;

/** Runs one stage between start and done events, forwarding its progress. */
export const runStage = async <T>(
  stage: PipelineStage,
  emit: PipelineListener,
  work: (onProgress: (p: { percent?: number; message?: string }) => void) => Promise<T>,
  note?: (result: T) => string | undefined,
): Promise<T> => {
  const started = performance.now();
  emit({ type: 'stage:start', stage });
  const result = await work((p) => emit({ type: 'stage:progress', stage, ...p }));
  const text = note?.(result);
  emit({
    type: 'stage:done',
    stage,
    durationMs: Math.round(performance.now() - started),
    ...(text === undefined ? {} : { note: text }),
  });
  return result;
};
