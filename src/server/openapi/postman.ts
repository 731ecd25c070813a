/**
 * A Postman collection (format v2.1) made from the OpenAPI description: a folder per tag, a request
 * per operation with the documented examples, the API key as the collection's bearer auth, and the
 * webhooks signed by pre-request scripts. Pure: the same description always makes the same text.
 */
import { META_SIGNATURE_SCRIPT, SIGNATURE_HEADERS, TWILIO_SIGNATURE_SCRIPT } from './signature-scripts.ts';

type Schema = Readonly<Record<string, unknown>>;

interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: Schema;
  readonly example?: unknown;
}

interface Media {
  readonly schema?: Schema;
  readonly example?: unknown;
  readonly examples?: Readonly<Record<string, { readonly value?: unknown }>>;
}

interface Operation {
  readonly tags?: readonly string[];
  readonly summary?: string;
  readonly description?: string;
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content: Readonly<Record<string, Media>> };
}

/** As much of an OpenAPI 3.1 document as the collection uses. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly tags?: readonly { readonly name: string; readonly description?: string }[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: { readonly schemas?: Readonly<Record<string, Schema>> };
}

export const POSTMAN_SCHEMA = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

const VARIABLES = [
  { key: 'baseUrl', value: 'http://localhost:3000', description: "The server's URL as it sees it: PUBLIC_BASE_URL when that is set (webhook signatures cover it)." },
  { key: 'apiToken', value: '', description: "The server's VIDBOT_API_KEY (the bearer of the api routes); empty for a server without one, called from its own machine." },
  { key: 'twilioAccountSid', value: '', description: 'TWILIO_ACCOUNT_SID: the AccountSid Twilio puts in its webhooks (vidbot does not check it).' },
  { key: 'twilioAuthToken', value: '', description: "TWILIO_AUTH_TOKEN, or without a Twilio account the server's local token (`vidbot sign` prints where it is)." },
  { key: 'metaAppSecret', value: '', description: 'WHATSAPP_APP_SECRET: signs the Cloud API webhook posts.' },
  { key: 'metaVerifyToken', value: '', description: "WHATSAPP_VERIFY_TOKEN: what Meta's verification request carries." },
  { key: 'metaPhoneNumberId', value: '', description: 'WHATSAPP_PHONE_NUMBER_ID: the Cloud API example is a message to this number.' },
];

/** Fields whose value the collection supplies, so requests work without editing. */
const SUPPLIED: Readonly<Record<string, string>> = { 'hub.verify_token': '{{metaVerifyToken}}', AccountSid: '{{twilioAccountSid}}' };

/**
 * The same in JSON bodies, by path (lists skipped): the Cloud API example names the server's own
 * number (others' messages are left alone), and a fresh message id (a repeated one is a redelivery).
 */
const SUPPLIED_JSON: Readonly<Record<string, string>> = {
  'entry.changes.value.metadata.phone_number_id': '{{metaPhoneNumberId}}',
  'entry.changes.value.messages.id': '{{metaMessageId}}',
};

const supplied = (value: unknown, path: string): unknown => {
  if (Array.isArray(value)) return value.map((item) => supplied(item, path));
  if (value === null || typeof value !== 'object') return SUPPLIED_JSON[path] ?? value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, supplied(item, path ? `${path}.${key}` : key)]));
};

/** An inbound Twilio message's ids: fresh on each send (the pre-request script makes one), or it is a retry. */
const FRESH_TWILIO_IDS = new Set(['MessageSid', 'SmsMessageSid', 'SmsSid']);

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

const refName = (schema: Schema): string | undefined =>
  typeof schema.$ref === 'string' ? schema.$ref.replace('#/components/schemas/', '') : undefined;

/** The documented example of a schema: its own, else built from its properties' examples. */
const exampleOf = (schema: Schema | undefined, doc: OpenApiDocument, depth = 0): unknown => {
  if (schema === undefined || depth > 5) return undefined;
  const ref = refName(schema);
  if (ref !== undefined) return exampleOf(doc.components?.schemas?.[ref], doc, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length === 1) return schema.enum[0];
  const properties = schema.properties as Readonly<Record<string, Schema>> | undefined;
  if (properties === undefined) return undefined;
  const entries = Object.entries(properties).flatMap(([name, property]) => {
    const value = exampleOf(property, doc, depth + 1);
    return value === undefined ? [] : [[name, value] as const];
  });
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
};

const mediaExample = (media: Media, doc: OpenApiDocument): unknown =>
  media.example ?? Object.values(media.examples ?? {})[0]?.value ?? exampleOf(media.schema, doc);

const parameterValue = (parameter: Parameter): string => {
  const supplied = SUPPLIED[parameter.name];
  if (supplied !== undefined) return supplied;
  const schema = parameter.schema ?? {};
  const single = Array.isArray(schema.enum) && schema.enum.length === 1 ? schema.enum[0] : undefined;
  const value = parameter.example ?? (Array.isArray(schema.examples) ? schema.examples[0] : undefined) ?? schema.const ?? single ?? schema.default;
  return value === undefined ? '' : String(value);
};

const described = (description: string | undefined) => (description ? { description } : {});

const bodyOf = (operation: Operation, doc: OpenApiDocument, signature: string | undefined) => {
  const [type, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
  if (type === undefined || media === undefined) return undefined;
  if (type === 'application/x-www-form-urlencoded') {
    const properties = (media.schema?.properties ?? {}) as Readonly<Record<string, Schema>>;
    const required = new Set((media.schema?.required ?? []) as readonly string[]);
    const inbound = signature === 'twilio' && 'Body' in properties;
    const urlencoded = Object.entries(properties).flatMap(([key, property]) => {
      const example = exampleOf(property, doc);
      if (example === undefined) return [];
      const value = inbound && FRESH_TWILIO_IDS.has(key) ? '{{twilioMessageSid}}' : (SUPPLIED[key] ?? String(example));
      // What the service sends every time is on; the rest is there to switch on (a button tap, a photo).
      return [{ key, value, type: 'text', ...described(property.description as string | undefined), ...(required.has(key) ? {} : { disabled: true }) }];
    });
    return { type, body: { mode: 'urlencoded', urlencoded } };
  }
  const example = supplied(mediaExample(media, doc) ?? {}, '');
  return { type, body: { mode: 'raw', raw: JSON.stringify(example, null, 2), options: { raw: { language: 'json' } } } };
};

const requestOf = (path: string, method: string, operation: Operation, doc: OpenApiDocument) => {
  const parameters = operation.parameters ?? [];
  const headerNames = new Set(parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
  const signature = (Object.keys(SIGNATURE_HEADERS) as (keyof typeof SIGNATURE_HEADERS)[]).find((service) => headerNames.has(SIGNATURE_HEADERS[service]));
  const body = bodyOf(operation, doc, signature);
  const query = parameters
    .filter((p) => p.in === 'query')
    .map((p) => ({ key: p.name, value: parameterValue(p), ...described(p.description), ...(p.required ? {} : { disabled: true }) }));
  const segments = path.split('/').filter(Boolean).map((segment) => segment.replace(/^\{(.+)\}$/, ':$1'));
  const variable = parameters.filter((p) => p.in === 'path').map((p) => ({ key: p.name, value: parameterValue(p), ...described(p.description) }));
  // Signature headers are the scripts' to set; the others are there to switch on.
  const header = [
    ...parameters
      .filter((p) => p.in === 'header' && !Object.values(SIGNATURE_HEADERS).includes(p.name.toLowerCase() as never))
      .map((p) => ({ key: p.name, value: parameterValue(p), ...described(p.description), disabled: true })),
    ...(body?.body.mode === 'raw' ? [{ key: 'Content-Type', value: body.type }] : []),
  ];
  const search = query.filter((q) => !('disabled' in q)).map((q) => `${q.key}=${q.value}`).join('&');
  const guarded = (operation.security ?? []).some((requirement) => Object.keys(requirement).length > 0);
  const script = signature === 'twilio' ? TWILIO_SIGNATURE_SCRIPT : signature === 'meta' ? META_SIGNATURE_SCRIPT : undefined;
  return {
    name: operation.summary ?? `${method.toUpperCase()} ${path}`,
    ...(script ? { event: [{ listen: 'prerequest', script: { type: 'text/javascript', exec: script } }] } : {}),
    request: {
      method: method.toUpperCase(),
      // Requests outside the API key inherit nothing: the webhooks are signed instead, health is open.
      ...(guarded ? {} : { auth: { type: 'noauth' } }),
      header,
      ...(body ? { body: body.body } : {}),
      url: {
        raw: `{{baseUrl}}/${segments.join('/')}${search ? `?${search}` : ''}`,
        host: ['{{baseUrl}}'],
        path: segments,
        ...(query.length > 0 ? { query } : {}),
        ...(variable.length > 0 ? { variable } : {}),
      },
      ...described(operation.description),
    },
  };
};

export const postmanCollection = (doc: OpenApiDocument) => {
  const folders = new Map<string, ReturnType<typeof requestOf>[]>();
  for (const tag of doc.tags ?? []) folders.set(tag.name, []);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const tag = operation.tags?.[0] ?? 'other';
      folders.set(tag, [...(folders.get(tag) ?? []), requestOf(path, method, operation, doc)]);
    }
  }
  const descriptions = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description]));
  return {
    info: {
      name: doc.info.title,
      description: `${doc.info.description ?? ''}\n\nMade from the server's OpenAPI description (\`npm run postman\`). Set the collection's variables first.`.trim(),
      schema: POSTMAN_SCHEMA,
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{apiToken}}', type: 'string' }] },
    variable: VARIABLES.map((variable) => ({ ...variable, type: 'string' })),
    item: [...folders]
      .filter(([, items]) => items.length > 0)
      .map(([name, items]) => ({ name, ...described(descriptions.get(name)), item: items })),
  };
};

/** The committed file's text: two-space JSON and a final newline. */
export const postmanCollectionText = (doc: OpenApiDocument): string => `${JSON.stringify(postmanCollection(doc), null, 2)}\n`;
