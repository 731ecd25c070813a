export type { MediaHost, PublishedMedia, PublishOptions } from './port.ts';
export { type LocalMediaHostOptions, createLocalMediaHost } from './local.ts';
export { type CloudinaryMediaHost, type CloudinaryMediaHostOptions, createCloudinaryMediaHost } from './cloudinary.ts';
export { type CloudinaryCredentials, parseCloudinaryUrl } from './cloudinary-url.ts';
export { createOutputFileHost } from './output-file.ts';
