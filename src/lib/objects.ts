/**
 * Drops the keys whose value is undefined, so optional fields are absent rather than present but
 * undefined (`exactOptionalPropertyTypes`-friendly; a document store would keep them as nulls).
 */
export const compact = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
