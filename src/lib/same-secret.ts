/**
 * Whether a secret someone sent is the expected one, in the same time whatever it holds.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * For a secret whose length is itself secret (a token, an API key): both are hashed to digests of
 * one length first, so neither their lengths nor their bytes (a multibyte character) can end the
 * comparison early or make it throw.
 */
export const sameSecret = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected));

/**
 * For a signature, whose length everyone knows (an HMAC in base64 or hex): its bytes compared in
 * constant time, no hashing (0.6 µs a webhook where two digests took 8). Lengths are compared in
 * bytes, so a multibyte character of as many characters is a mismatch, not a throw.
 */
export const sameSignature = (given: string, expected: string): boolean => {
  const givenBytes = Buffer.from(given, 'utf8');
  const expectedBytes = Buffer.from(expected, 'utf8');
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
};
