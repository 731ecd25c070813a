/**
 * Whether today's generation budget (VIDBOT_DAILY_BUDGET) is spent, asked before a request for a new
 * video is taken: the sender is told at once, instead of being promised a video the worker may not
 * make. Read at most every few seconds, since every prompt asks; a prompt slipping through in that
 * time is told by the worker, as before.
 */
import type { BudgetState, DailyBudget } from '../cost/index.ts';
import type { VideoProvider } from '../video-provider/port.ts';
import { readAtMostEvery } from './read-every.ts';

/** A new request for a video, as far as it is known before it is queued. */
export interface HeldRequest {
  readonly prompt: string;
  readonly model: string | undefined;
  /** Its video cannot be in the cache: a photo to animate (each is a file of its own), another take, another orientation. */
  readonly uncached?: boolean;
}

/** Today's budget state when it is spent and this request would have to be paid for; undefined when it may go ahead. */
export type BudgetGate = (request: HeldRequest) => Promise<BudgetState | undefined>;

export const createBudgetGate = (options: {
  readonly budget: DailyBudget | undefined;
  readonly provider: Pick<VideoProvider, 'capabilities'>;
  /** Whether the prompt cache holds its video: then it costs nothing, and goes ahead. */
  readonly isCached: (request: { prompt: string; options?: { model?: string } }) => Promise<boolean>;
  readonly now: () => number;
  /** How long a read of today's spend is trusted (default 5 s). */
  readonly readEveryMs?: number;
}): BudgetGate => {
  const { budget, provider } = options;
  if (budget === undefined) return async () => undefined;
  const spentToday = readAtMostEvery(options.readEveryMs ?? 5_000, options.now, async () => {
    const state = await budget.state();
    return state.reached ? state : undefined;
  });
  return async ({ prompt, model, uncached }) => {
    // The local preview costs nothing: the budget never holds it back.
    if (!provider.capabilities(model).ai) return undefined;
    const spent = await spentToday();
    if (spent === undefined || (!uncached && (await options.isCached({ prompt, ...(model ? { options: { model } } : {}) })))) return undefined;
    return spent;
  };
};
