/**
 * vidbot's library: the pipeline's stages as ports with adapters, the factory that wires them
 * from configuration, and the errors they throw.
 */
export * from './errors.ts';
export * from './domain.ts';
export { AUDIO_TYPES, IMAGE_TYPES, type MediaKind, sniffAudioType, sniffImageType } from './media-type.ts';
export type { ProgressListener, RunOptions, StepProgress } from './progress.ts';

export {
  type Config,
  type ConfigSource,
  type LoadConfigOptions,
  type LoadedConfig,
  type SettingKey,
  loadConfig,
  settings,
} from './config/index.ts';

export {
  type CancelTaskOptions,
  type CancelTaskResult,
  type CreateTaskInput,
  type CreateVidbotOptions,
  type StartWorkersOptions,
  type TaskJob,
  type Vidbot,
  type VidbotPaths,
  createVidbot,
} from './create-vidbot.ts';

export {
  type Pipeline,
  type PipelineDeps,
  type PipelineRequest,
  type PipelineResult,
  type PipelineRunOptions,
  createPipeline,
} from './pipeline/create-pipeline.ts';
export type { PipelineEvent, PipelineListener, PipelineStage } from './pipeline/events.ts';
export { PROMPT_MAX_CHARS_DEFAULT, validatePrompt } from './pipeline/prompt.ts';

export * from './compressor/index.ts';
export * from './ffmpeg/index.ts';
export * from './media-host/index.ts';
export * from './channel/index.ts';
export * from './polisher/index.ts';
export * from './transcriber/index.ts';
export * from './queue/index.ts';
export * from './store/index.ts';
export * from './limits/index.ts';
export * from './tasks/index.ts';
export * from './video-provider/index.ts';
export * from './bot/index.ts';
export * from './doctor/index.ts';
export * from './activity/feed.ts';
export type { ActivityBus, BusEvent, BusMessage } from './activity/bus/port.ts';
export { type RedisActivityBusOptions, createRedisActivityBus } from './activity/bus/redis.ts';
export { createVidbotFeed, lookUpJobSubject } from './activity/vidbot-feed.ts';
