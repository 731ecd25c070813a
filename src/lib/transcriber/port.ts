/**
 * The transcriber port: speech in a file to text, for voice-note prompts. Adapters throw
 * VidbotErrors: VIDBOT_CANCELED when the caller's signal fired, VIDBOT_TIMEOUT, VIDBOT_CONFIG_INVALID
 * for a key or model the service refuses, and VIDBOT_TRANSCRIPTION_FAILED for the rest.
 */

export interface TranscribeOptions {
  readonly signal?: AbortSignal;
  /** ISO-639-1 code of the speech (e.g. `en`), when known: it helps accuracy and speed. */
  readonly language?: string;
}

export interface Transcript {
  /** What was said; empty when no words were heard. */
  readonly text: string;
  /** The language the service detected or was told, when it says. */
  readonly language?: string;
  /** Length of the audio in seconds, when the service says. */
  readonly durationSec?: number;
}

export interface Transcriber {
  readonly name: string;
  /** The service's model, for logs and `vidbot doctor`. */
  readonly model?: string;
  /** The audio types (AUDIO_TYPES keys) it takes as they are; others are converted to Ogg Opus first. Absent: all. */
  readonly formats?: readonly string[];
  transcribe(file: string, options?: TranscribeOptions): Promise<Transcript>;
}
