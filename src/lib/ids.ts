/**
 * Ids of the rows written for every message (tasks, and the jobs named after them): UUID version 7
 * (RFC 9562), whose first 48 bits are the time in milliseconds. Ids made one after another sort
 * together, so an index keyed on them grows at its end instead of touching a random page per insert.
 */
import { randomBytes } from 'node:crypto';

export const timeOrderedId = (now: number = Date.now()): string => {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
