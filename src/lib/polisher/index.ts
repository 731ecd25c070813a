export type { PolishResult, PromptPolisher } from './port.ts';
export { createPassthroughPolisher } from './passthrough.ts';
export { type OpenAIPolisherOptions, createOpenAIPolisher } from './openai.ts';
