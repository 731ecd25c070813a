/**
 * Ids of the rows written for every message (tasks, and the jobs named after them): UUID version 7
 * (RFC 9562), whose first 48 bits are the time in milliseconds. Ids made one after another sort
 * together, so an index keyed on them grows at its end instead of touching a random page per insert.
 */
import { randomUUID } from 'node:crypto';

/** A random UUID (Node keeps a pool of entropy for these) with the time written over its first 48 bits and version 7 set. */
export const timeOrderedId = (now: number = Date.now()): string => {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID is xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx: its variant and random bits are kept.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
};
