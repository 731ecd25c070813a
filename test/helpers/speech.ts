/**
 * Voice notes for tests, made with the real tools: speech from espeak-ng, encoded by ffmpeg to
 * Opus in Ogg (what WhatsApp sends) or WebM (what Chrome's recorder makes). Where espeak-ng is
 * missing, a tone stands in, and `spoken` says so: the OpenAI fake answers a scripted transcript
 * either way, so what the tests check (real Opus bytes reach the API) holds for both.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface VoiceNote {
  readonly file: string;
  readonly bytes: Buffer;
  /** True when espeak-ng spoke the words; false when a tone stands in for them. */
  readonly spoken: boolean;
}

const hasEspeak = async (): Promise<boolean> =>
  execa('espeak-ng', ['--version']).then(
    () => true,
    () => false,
  );

export const makeVoiceNote = async (dir: string, words: string, format: 'ogg' | 'webm' = 'ogg'): Promise<VoiceNote> => {
  const wav = join(dir, `speech-${format}.wav`);
  const spoken = await hasEspeak();
  if (spoken) await execa('espeak-ng', ['-w', wav, words]);
  else await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', wav]);
  const file = join(dir, `voice-note.${format}`);
  await execa('ffmpeg', ['-v', 'error', '-y', '-i', wav, '-c:a', 'libopus', '-b:a', '24k', '-f', format, file]);
  return { file, bytes: await readFile(file), spoken };
};

/**
 * Two seconds of AMR-NB (12.2 kb/s frames) as older phones send: Debian's ffmpeg decodes AMR but
 * cannot encode it, so the frames are written by hand. Their payload is noise; ffmpeg decodes it.
 */
export const makeAmrNote = (): Buffer => {
  // Each frame: a table-of-contents byte (mode 7, quality bit set), then 31 bytes of speech bits.
  const frame = (n: number) => Buffer.from([0x3c, ...Array.from({ length: 31 }, (_, i) => (n * 31 + i * 97) % 256)]);
  return Buffer.concat([Buffer.from('#!AMR\n', 'latin1'), ...Array.from({ length: 100 }, (_, n) => frame(n))]);
};
