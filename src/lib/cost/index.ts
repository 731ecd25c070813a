/** What generations cost: the operator's price table and the optional daily budget. */
export { type BudgetState, createDailyBudget, type DailyBudget } from './budget.ts';
export { estimateCost, formatCost, parsePriceTable, type Price, type PriceTable, priceOf } from './prices.ts';
