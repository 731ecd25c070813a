export type { MediaHost, PublishedMedia, PublishOptions } from './port.ts';
export { type LocalMediaHostOptions, createLocalMediaHost } from './local.ts';
