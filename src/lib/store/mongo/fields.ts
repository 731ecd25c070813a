/**
 * Field-level reading and writing of MongoDB documents, with no driver calls: documents come back
 * as loose records, so each field is checked as it is read, and writes never carry `undefined`
 * (the driver would store it as null unless told otherwise).
 */
import { vidbotError } from '../../errors.ts';
import { compact } from '../../objects.ts';

/** A document as the driver returns it, or as we build it before writing. */
export type Doc = Readonly<Record<string, unknown>>;

const corrupt = (field: string, value: unknown): Error =>
  vidbotError('VIDBOT_STORE_FAILED', `Unexpected value in MongoDB field ${field}: ${String(value)}.`, {
    retryable: false,
  });

// The seed bot and other tools may have written null where vidbot leaves a field out; both mean "unset".
const isUnset = (value: unknown): value is null | undefined => value === null || value === undefined;

export const str = (doc: Doc, field: string): string => {
  const value = doc[field];
  if (typeof value === 'string') return value;
  throw corrupt(field, value);
};

export const optStr = (doc: Doc, field: string): string | undefined => (isUnset(doc[field]) ? undefined : str(doc, field));

export const optNum = (doc: Doc, field: string): number | undefined => {
  const value = doc[field];
  if (isUnset(value)) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw corrupt(field, value);
};

export const num = (doc: Doc, field: string): number => {
  const value = optNum(doc, field);
  if (value === undefined) throw corrupt(field, value);
  return value;
};

/** Epoch milliseconds; a BSON date (as the seed bot's Python tools write them) reads as its time. */
export const optMillis = (doc: Doc, field: string): number | undefined => {
  const value = doc[field];
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) throw corrupt(field, value);
    return time;
  }
  return optNum(doc, field);
};

export const millis = (doc: Doc, field: string): number => {
  const value = optMillis(doc, field);
  if (value === undefined) throw corrupt(field, value);
  return value;
};

export const optBool = (doc: Doc, field: string): boolean | undefined => {
  const value = doc[field];
  if (isUnset(value)) return undefined;
  if (typeof value === 'boolean') return value;
  throw corrupt(field, value);
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

export const optRecord = (doc: Doc, field: string): Record<string, unknown> | undefined => {
  const value = doc[field];
  if (isUnset(value)) return undefined;
  if (isRecord(value)) return value;
  throw corrupt(field, value);
};

export const record = (doc: Doc, field: string): Record<string, unknown> => {
  const value = optRecord(doc, field);
  if (value === undefined) throw corrupt(field, value);
  return value;
};

/** An array of subdocuments; absent reads as empty (a session document written without messages). */
export const records = (doc: Doc, field: string): Doc[] => {
  const value = doc[field];
  if (isUnset(value)) return [];
  if (Array.isArray(value) && value.every(isRecord)) return value;
  throw corrupt(field, value);
};

export { compact };

/**
 * A copy for storing free-form values (task options, meta) with JSON's rules for undefined, as the
 * SQLite store's JSON columns have: object keys holding undefined are dropped, array slots become null.
 */
export const plain = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map((item: unknown) => (item === undefined ? null : plain(item)));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, plain(v)]),
  );
};

export interface Update {
  readonly $set?: Record<string, unknown>;
  readonly $unset?: Record<string, ''>;
}

/**
 * A patch as a MongoDB update: absent keys leave a field alone, defined values $set it, undefined
 * values $unset it unless the field is required (then undefined leaves it alone). Keys not in
 * `fields` are ignored. `stamp` fields are always $set. Returns null when there is nothing to do.
 */
export const patchToUpdate = (
  patch: object,
  fields: Readonly<Record<string, string>>,
  required: ReadonlySet<string>,
  stamp: Readonly<Record<string, unknown>> = {},
): Update | null => {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const [key, value] of Object.entries(patch)) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (field === undefined) continue;
    if (value !== undefined) $set[field] = value;
    else if (!required.has(key)) $unset[field] = '';
  }
  Object.assign($set, stamp);
  // Empty $set or $unset operators are errors before MongoDB 5.0, so they are left out.
  const update = {
    ...(Object.keys($set).length > 0 ? { $set } : {}),
    ...(Object.keys($unset).length > 0 ? { $unset } : {}),
  };
  return Object.keys(update).length === 0 ? null : update;
};


export { count, DEFAULT_LIMIT } from '../fields.ts';
