import type { RunOptions } from '../progress.ts';

export const WHATSAPP_MAX_BYTES_DEFAULT = 16_700_000;

export interface CompressOptions extends RunOptions {
  /** Upper bound for the output file, verified on the written file. */
  readonly maxBytes?: number;
  /** Output path; defaults to `<input name>.whatsapp.mp4` beside the input. */
  readonly output?: string;
  /** Long side of the output when a large source must be re-encoded. */
  readonly maxLongSide?: number;
}

export type { MediaInfo, StreamInfo } from '../domain.ts';
import type { MediaInfo } from '../domain.ts';

export interface CompressResult {
  readonly file: string;
  readonly mode: 'remux' | 'reencode';
  /** Re-encode passes it took (0 for a remux). */
  readonly passes: number;
  readonly input: MediaInfo;
  readonly output: MediaInfo;
  readonly maxBytes: number;
}

export interface Compressor {
  readonly name: string;
  compress(input: string, options?: CompressOptions): Promise<CompressResult>;
}
