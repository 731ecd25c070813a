/**
 * The daily budget (VIDBOT_DAILY_BUDGET): once the estimated cost of the videos made since midnight
 * UTC reaches it, no new paid generation starts until the next day. Videos already made (the prompt
 * cache) still go out, and generations already running finish, so a day can end a little over.
 */
import { vidbotError } from '../errors.ts';
import type { Store } from '../store/port.ts';
import { formatCost } from './prices.ts';

export interface BudgetState {
  readonly limit: number;
  /** Estimated cost of the videos made today (UTC). */
  readonly spent: number;
  readonly reached: boolean;
  /** When the next day starts (epoch ms). */
  readonly resetsAt: number;
}

export interface DailyBudget {
  state(): Promise<BudgetState>;
  /** Throws VIDBOT_BUDGET_REACHED when today's spend has reached the limit. */
  admit(): Promise<void>;
}

const DAY_MS = 24 * 3600 * 1000;

export const createDailyBudget = (options: { store: Pick<Store, 'generationCosts'>; limit: number; now?: () => number }): DailyBudget => {
  const now = options.now ?? Date.now;
  const state = async (): Promise<BudgetState> => {
    const dayStart = Math.floor(now() / DAY_MS) * DAY_MS;
    const costs = await options.store.generationCosts({ since: dayStart });
    const spent = Math.round(costs.reduce((sum, row) => sum + row.cost, 0) * 1e6) / 1e6;
    return { limit: options.limit, spent, reached: spent >= options.limit, resetsAt: dayStart + DAY_MS };
  };
  return {
    state,
    async admit() {
      const today = await state();
      if (!today.reached) return;
      throw vidbotError(
        'VIDBOT_BUDGET_REACHED',
        `Today's videos cost an estimated ${formatCost(today.spent)} of the daily budget of ${formatCost(today.limit)}; no new video is made until ${new Date(today.resetsAt).toISOString()}.`,
        { details: { spent: today.spent, limit: today.limit, resetsAt: today.resetsAt } },
      );
    },
  };
};
