/** What generations cost: the operator's price table and the optional daily budget, from the configuration. */
import type { Config } from '../config/settings.ts';
import type { Store } from '../store/port.ts';
import { createDailyBudget, type DailyBudget } from './budget.ts';
import { type PriceTable, parsePriceTable } from './prices.ts';

export { type BudgetState, createDailyBudget, type DailyBudget } from './budget.ts';
export { estimateCost, formatCost, parsePriceTable, type Price, type PriceTable, priceOf } from './prices.ts';

/** The price table (validated when the configuration loaded) and the budget when VIDBOT_DAILY_BUDGET is set. */
export const pickCost = (config: Pick<Config, 'prices' | 'dailyBudget'>, store: Pick<Store, 'generationCosts'>): { prices: PriceTable; budget?: DailyBudget } => ({
  prices: parsePriceTable(config.prices ?? ''),
  ...(config.dailyBudget === undefined ? {} : { budget: createDailyBudget({ store, limit: config.dailyBudget }) }),
});
