export type {
  GeneratedVideo,
  GenerateOptions,
  Orientation,
  ProviderCapabilities,
  VideoProvider,
  VideoRequest,
} from './port.ts';
export { type LocalProviderOptions, createLocalProvider } from './local.ts';
export type { WebhookDelivery } from './port.ts';
export {
  REPLICATE_DEFAULT_MODEL,
  type ReplicateProvider,
  type ReplicateProviderOptions,
  createReplicateProvider,
  outputUrl,
} from './replicate.ts';
export { type ModelInput, type ModelSpec, buildModelInput, findModel, parseInputFlags, replicateModels } from './replicate-models.ts';
export { verifyReplicateWebhook } from './replicate-webhook.ts';
export { type CatalogueProvider, catalogue, falModels, type Frames } from './catalogue/index.ts';
export { classifyProviderFailure, type ProviderFailureKind } from './failure.ts';
export { createFalProvider, type FalProviderOptions } from './fal/provider.ts';
export { type CogProviderOptions, createCogProvider } from './cog/provider.ts';
export { createProvider, type ProviderName, providerChain, providers, resolveProviderName } from './registry.ts';
export { createFailoverProvider, type FailoverOptions } from './failover/provider.ts';
export type { CircuitReport } from './port.ts';
