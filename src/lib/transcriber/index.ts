export type { TranscribeOptions, Transcriber, Transcript } from './port.ts';
export { type OpenAITranscriberOptions, createOpenAITranscriber } from './openai.ts';
