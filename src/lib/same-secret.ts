/**
 * Whether a secret someone sent (a signature, a token, an API key) is the expected one, in the same
 * time whatever it holds: both are hashed to digests of one length first, so neither their lengths
 * nor their bytes (a multibyte character) can end the comparison early or make it throw.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export const sameSecret = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected));
