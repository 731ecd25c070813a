export type {
  GeneratedVideo,
  GenerateOptions,
  Orientation,
  ProviderCapabilities,
  VideoProvider,
  VideoRequest,
} from './port.ts';
export { type LocalProviderOptions, createLocalProvider } from './local.ts';
