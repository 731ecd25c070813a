/**
 * The operator's price table (VIDBOT_PRICES) and the estimate of what one generation cost. Providers
 * bill in three ways, so a price has one of three units: per video made (`/video`), per second of
 * video made (`/s`, how Veo, Kling and Hailuo are sold), or per second of the provider's own run
 * time (`/gpu-s`: Replicate's metrics.predict_time, fal's inference time, a Cog server's GPU).
 * Amounts are in whatever currency the operator writes them in; the daily budget uses the same one.
 */

export type PriceUnit = 'video' | 's' | 'gpu-s';

export interface Price {
  readonly amount: number;
  readonly unit: PriceUnit;
}

/** Prices by model id (lower case, without a `:version`), or by provider name for all its models. */
export type PriceTable = ReadonlyMap<string, Price>;

/** What a generation reports, as far as its cost depends on it. */
export interface GenerationFacts {
  readonly provider: string;
  readonly model: string;
  /** Seconds of video made. */
  readonly videoSec: number;
  /** Seconds the provider reports it ran (predict or inference time), when it reports them. */
  readonly runSec?: number;
}

const UNITS: readonly PriceUnit[] = ['video', 's', 'gpu-s'];

const keyOf = (model: string): string => (model.split(':')[0] ?? model).trim().toLowerCase();

/**
 * Reads "model=amount/unit" pairs separated by commas (or new lines), e.g.
 * `google/veo-3.1=0.40/s, minimax/video-01=0.50/video, cog=0.0008/gpu-s`. Throws an Error saying
 * what is wrong with which pair; the configuration turns it into its own error.
 */
export const parsePriceTable = (text: string): PriceTable => {
  const table = new Map<string, Price>();
  for (const pair of text.split(/[,\n]/).map((part) => part.trim()).filter(Boolean)) {
    const match = /^(.+?)\s*=\s*([0-9]*\.?[0-9]+)\s*\/\s*([a-z-]+)$/i.exec(pair);
    const unit = match?.[3]?.toLowerCase() as PriceUnit | undefined;
    if (!match?.[1] || unit === undefined || !UNITS.includes(unit)) {
      throw new Error(`"${pair}" is not model=amount/unit with a unit of video, s or gpu-s`);
    }
    const key = keyOf(match[1]);
    if (table.has(key)) throw new Error(`${key} has two prices`);
    table.set(key, { amount: Number(match[2]), unit });
  }
  return table;
};

/** The table as one line, the way `vidbot config list` shows it. */
export const formatPriceTable = (table: PriceTable): string =>
  [...table].map(([model, price]) => `${model}=${price.amount}/${price.unit}`).join(',');

/** The price of a model: its own, else its provider's; none when the table names neither. */
export const priceOf = (table: PriceTable, provider: string, model: string): Price | undefined =>
  table.get(keyOf(model)) ?? table.get(provider.toLowerCase());

/**
 * The estimated cost of one generation, rounded to a millionth; undefined when the model has no
 * price, or is priced by run time the provider did not report. The local preview is free.
 */
export const estimateCost = (table: PriceTable, facts: GenerationFacts): number | undefined => {
  if (facts.provider === 'local') return 0;
  const price = priceOf(table, facts.provider, facts.model);
  if (price === undefined) return undefined;
  const quantity = price.unit === 'video' ? 1 : price.unit === 's' ? facts.videoSec : facts.runSec;
  if (quantity === undefined) return undefined;
  return Math.round(price.amount * quantity * 1e6) / 1e6;
};

/** An amount for people: two decimals, more only when it is smaller than a cent. */
export const formatCost = (amount: number): string =>
  amount !== 0 && Math.abs(amount) < 0.01 ? amount.toPrecision(2) : amount.toFixed(2);
