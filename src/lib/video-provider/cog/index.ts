export { cogPredictionId, createCogProvider, type CogProviderOptions } from './provider.ts';
export { createCogClient, toCogError } from './client.ts';
export { buildCogInput, readCogInputs } from './schema.ts';
