/**
 * How the route schemas check requests. Bodies are taken as sent: no type coercion, so a prompt of
 * 42 is not the text "42" and `["x"]` is not "x". The query's whole numbers are read strictly
 * (digits only; "1e2", " 1" and "0x10" are not what a client meant by a page size). A failure is a
 * 400 in the project's error shape whose message names the field.
 */
import type { FastifyInstance, FastifyRequest, FastifySchema, FastifySchemaCompiler, FastifyServerOptions } from 'fastify';
import { type ErrorCode, type VidbotError, vidbotError } from '../lib/errors.ts';

/** Fastify's `ajv` option: Fastify's defaults, except that nothing is coerced. */
export const AJV_OPTIONS: NonNullable<FastifyServerOptions['ajv']> = {
  // verbose: the failing value and schema reach the message (the bounds of a limit, a field's example).
  customOptions: { coerceTypes: false, verbose: true, allowUnionTypes: true },
};

/** One Ajv failure, as much of it as the messages use. */
interface SchemaFailure {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
  readonly data?: unknown;
  readonly parentSchema?: Record<string, unknown>;
}

type Part = 'body' | 'querystring' | 'params' | 'headers' | string;

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
  null: 'null',
};

const typeWords = (type: unknown): string =>
  (Array.isArray(type) ? type : [type]).map((one) => TYPE_WORDS[String(one)] ?? String(one)).join(' or ');

/** What was sent, briefly; never serialised whole (a client may send a list nested thousands deep). */
const shown = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `"${value.slice(0, 5).map((item) => (item !== null && typeof item === 'object' ? '…' : String(item))).join(',').slice(0, 40)}"`;
  if (typeof value === 'object') return 'an object';
  // A number or a boolean as sent, not quoted as if it were text.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `"${String(value).slice(0, 40)}"`;
};

/** The field as a client names it: `limit` in the query, `"to"` in a body, or the part itself. */
const fieldName = (part: Part, path: string): string => {
  const name = path.split('/').filter(Boolean).join('.');
  if (name === '') return part === 'body' ? 'The body' : part === 'querystring' ? 'The query string' : `The ${part}`;
  return part === 'body' ? `"${name}"` : name;
};

const exampleOf = (schema: unknown): string => {
  const examples = (schema as { examples?: unknown } | undefined)?.examples;
  const first = Array.isArray(examples) ? examples[0] : undefined;
  return typeof first === 'string' ? `, e.g. ${first}` : '';
};

/** A sentence for one failure, naming the field and, where it helps, what was sent. */
export const schemaFailureMessage = (failure: SchemaFailure, part: Part): string => {
  const schema = failure.parentSchema ?? {};
  if (failure.keyword === 'required') {
    const missing = String(failure.params.missingProperty ?? '');
    const properties = schema.properties as Record<string, unknown> | undefined;
    return `Give ${fieldName(part, `${failure.instancePath}/${missing}`)}${exampleOf(properties?.[missing])}.`;
  }
  const name = fieldName(part, failure.instancePath);
  const { minimum, maximum } = schema;
  if (schema.type === 'integer' && typeof minimum === 'number' && typeof maximum === 'number' && ['type', 'minimum', 'maximum'].includes(failure.keyword)) {
    return `${name} must be a whole number from ${minimum} to ${maximum}, got ${shown(failure.data)}.`;
  }
  switch (failure.keyword) {
    case 'type':
      return `${name} must be ${typeWords(failure.params.type)}, got ${Array.isArray(failure.data) ? 'a list' : shown(failure.data)}.`;
    case 'minLength':
      return failure.params.limit === 1 ? `${name} must not be empty.` : `${name} must be at least ${String(failure.params.limit)} characters.`;
    case 'maxLength':
      return `${name} must be at most ${String(failure.params.limit)} characters.`;
    case 'enum':
      return `${name} must be one of ${(failure.params.allowedValues as unknown[]).join(', ')}, got ${shown(failure.data)}.`;
    case 'additionalProperties':
      return `${name} has a field this endpoint does not take: ${String(failure.params.additionalProperty)}.`;
    default:
      return `${name} ${failure.message ?? 'is not valid'}.`;
  }
};

const HINT = 'GET /openapi.json describes every endpoint and the fields it takes.';

/**
 * Fastify's `schemaErrorFormatter`: the first failure (Ajv stops there) as VIDBOT_INPUT_INVALID, or
 * as the code a route gives its field (a missing prompt is VIDBOT_PROMPT_EMPTY, as the library says).
 */
export const schemaErrorFormatter =
  (fieldCodes: Readonly<Record<string, ErrorCode>> = {}) =>
  (failures: readonly SchemaFailure[], part: Part): VidbotError => {
    const failure = failures[0];
    if (failure === undefined) return vidbotError('VIDBOT_INPUT_INVALID', `The ${part} is not valid.`, { hint: HINT });
    const field = failure.keyword === 'required' ? `${failure.instancePath}/${String(failure.params.missingProperty)}` : failure.instancePath;
    const code = fieldCodes[field];
    // Fastify does not catch a throw here: a message that cannot be made must not cost the 400.
    let message: string;
    try {
      message = schemaFailureMessage(failure, part);
    } catch {
      message = `${part}${failure.instancePath} is not valid.`;
    }
    return code === undefined ? vidbotError('VIDBOT_INPUT_INVALID', message, { hint: HINT }) : vidbotError(code, message);
  };

/**
 * Routes whose schema only describes what a service sends: the webhooks. Their signature covers the
 * body exactly as received, and is checked before anything in it is read, so an unsigned stranger
 * gets 403 rather than a description of the fields; the channel or provider reads the rest itself.
 */
export const describeOnly: FastifySchemaCompiler<unknown> = () => () => true;

const WHOLE = /^\d{1,15}$/;

/** The query parameters a route declares as whole numbers, read from their digits (coercion is off). */
const readWholeNumbers = async (request: FastifyRequest): Promise<void> => {
  const schema = (request.routeOptions.schema as FastifySchema | undefined)?.querystring as { properties?: Record<string, { type?: unknown }> } | undefined;
  if (!schema?.properties) return;
  const query = request.query as Record<string, unknown>;
  for (const [name, property] of Object.entries(schema.properties)) {
    if (property.type !== 'integer') continue;
    const value = query[name];
    // `?limit=` is no limit given: the default applies, as it did before there were schemas.
    if (value === '') delete query[name];
    else if (typeof value === 'string' && WHOLE.test(value)) query[name] = Number(value);
  }
};

/** Installs the strict query reading and answers bodies with JSON.stringify (see below). */
export const installValidation = (app: FastifyInstance): void => {
  app.addHook('preValidation', readWholeNumbers);
  // Response schemas document; they do not serialize. A serializer compiled from them would drop any
  // field they leave out (a Task grows fields) and turn a null into "", silently.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
};
