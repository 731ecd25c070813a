/** The settings of what generations may use and cost: models users may pick, prices, the daily budget, failover's circuit. */
import type { SettingSpec } from './setting-spec.ts';

export const generationSettings = {
  allowedModels: {
    env: 'VIDBOT_ALLOWED_MODELS',
    type: 'list',
    description: 'Models WhatsApp users may pick with /model, comma-separated ids (default: only the configured model)',
  },
  prices: {
    env: 'VIDBOT_PRICES',
    type: 'prices',
    description: 'Price per model, comma-separated model=amount/unit (units: video, s of video, gpu-s of provider run time)',
  },
  dailyBudget: {
    env: 'VIDBOT_DAILY_BUDGET',
    type: 'decimal',
    min: 0,
    max: 1_000_000_000,
    description: "Estimated spend per day (UTC, in VIDBOT_PRICES' currency) after which new paid generations stop; cached videos still go out",
  },
  circuitOutages: {
    env: 'VIDBOT_CIRCUIT_OUTAGES',
    type: 'int',
    min: 1,
    max: 1000,
    description: 'Outages of one provider within 5 minutes after which failover skips it for a cool-down',
  },
  circuitCooldownSec: {
    env: 'VIDBOT_CIRCUIT_COOLDOWN_SEC',
    type: 'int',
    min: 1,
    max: 86_400,
    description: 'How long failover skips a provider whose circuit opened, before one task tries it again',
  },
} as const satisfies Record<string, SettingSpec>;

export const generationDefaults = {
  circuitOutages: 3,
  circuitCooldownSec: 120,
} as const;
