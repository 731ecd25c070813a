export { createFalProvider, type FalProviderOptions } from './provider.ts';
export { createFalApi, toFalError } from './client.ts';
export { verifyFalWebhook } from './webhook.ts';
