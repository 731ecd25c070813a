/**
 * One rule for whom vidbot may message, shared by `vidbot send`, POST /test-send and the API's
 * `from`: a number in international format, as `whatsapp:+<digits>` or `+<digits>`.
 */
import { vidbotError } from '../errors.ts';

const HINT = 'Give the number in international format, e.g. whatsapp:+15551234567 (or +15551234567).';

/**
 * Digits, or X as a placeholder digit: the original bot's documented curl examples send to
 * whatsapp:+91XXXXXXXXXX and keep working (a real channel then refuses that number).
 */
const NUMBER = /^\+[1-9Xx][\dXx]{5,14}$/;

/**
 * The address to send to. Spaces, dashes, dots and brackets inside the number are dropped, and a
 * form-decoded `whatsapp: 1555...` (a `+` sent unencoded reads as a space) gets its `+` back. A bare
 * number means WhatsApp unless `whatsapp` is false (an SMS sender).
 */
export const normalizeRecipient = (raw: string, options: { whatsapp?: boolean; label?: string } = {}): string => {
  const label = options.label ?? 'to';
  const text = raw.trim().replace(/^whatsapp:\s+(?=\d)/i, 'whatsapp:+');
  const match = /^(whatsapp:)?\s*(\+[\dXx\s().-]+)$/i.exec(text);
  const digits = match?.[2]?.replace(/[\s().-]/g, '');
  if (match === null || digits === undefined || !NUMBER.test(digits)) {
    throw vidbotError('VIDBOT_INPUT_INVALID', `${label} "${raw.slice(0, 40)}" is not a WhatsApp number.`, { hint: HINT });
  }
  return match[1] !== undefined || options.whatsapp !== false ? `whatsapp:${digits}` : digits;
};
