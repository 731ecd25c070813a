/** What a file is, from its first bytes: a type a sender declares is not trusted. */

/** What a user's media is for: a photo to animate, or a voice note to transcribe. */
export type MediaKind = 'image' | 'audio';

/** How many first bytes the sniffers look at. */
export const SNIFF_BYTES = 16;

/** The image types vidbot accepts from users, and the extension each is saved with. */
export const IMAGE_TYPES: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/**
 * The audio types vidbot accepts as voice notes, and the extension each is saved with: WhatsApp's
 * Ogg Opus, browsers' recordings (WebM from Chrome and Firefox, MP4 from Safari), and the usual
 * phone formats. The extension matters: transcription services tell formats by it.
 */
export const AUDIO_TYPES: Readonly<Record<string, string>> = {
  'audio/ogg': 'ogg',
  'audio/webm': 'webm',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/amr': 'amr',
  'audio/wav': 'wav',
};

const ascii = (head: Uint8Array, at: number, text: string): boolean => [...text].every((c, i) => head[at + i] === c.charCodeAt(0));

export const sniffImageType = (head: Uint8Array): string | undefined => {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'image/webp';
  return undefined;
};

/** An MPEG audio frame header: 11 sync bits, a version that exists, and a layer (AAC's ADTS has none). */
const isMpegFrame = (head: Uint8Array): boolean => {
  const [first, second] = [head[0] ?? 0, head[1] ?? 0];
  return first === 0xff && (second & 0xe0) === 0xe0 && ((second >> 3) & 0b11) !== 0b01 && ((second >> 1) & 0b11) !== 0b00;
};

export const sniffAudioType = (head: Uint8Array): string | undefined => {
  if (ascii(head, 0, 'OggS')) return 'audio/ogg';
  // EBML: WebM and Matroska alike; MediaRecorder's audio-only WebM starts so too.
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'audio/webm';
  if (ascii(head, 0, 'ID3') || isMpegFrame(head)) return 'audio/mpeg';
  if (ascii(head, 4, 'ftyp')) return 'audio/mp4';
  if (ascii(head, 0, '#!AMR')) return 'audio/amr';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'audio/wav';
  return undefined;
};

/** The type of media of a kind, from its first bytes; undefined when the bytes are not one vidbot accepts. */
export const sniffMediaType = (kind: MediaKind, head: Uint8Array): string | undefined =>
  kind === 'image' ? sniffImageType(head) : sniffAudioType(head);

/** An animated WebP (a VP8X header with its animation flag), from a file's first 21 bytes or more. */
export const isAnimatedWebp = (head: Uint8Array): boolean => {
  const text = Buffer.from(head.subarray(0, 16)).toString('latin1');
  return text.startsWith('RIFF') && text.slice(8, 16) === 'WEBPVP8X' && ((head[20] ?? 0) & 0x02) !== 0;
};

/** The extension a sniffed type is saved with. */
export const extensionOf = (type: string): string | undefined => IMAGE_TYPES[type] ?? AUDIO_TYPES[type];

/** What a declared content type (`audio/ogg; codecs=opus`, `IMAGE/PNG`) says the media is for, if anything. */
export const declaredKind = (contentType: string): MediaKind | undefined => {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type.startsWith('audio/')) return 'audio';
  return IMAGE_TYPES[type] === undefined ? undefined : 'image';
};
