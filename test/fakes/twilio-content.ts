/**
 * The Content API part of the Twilio fake (content.twilio.com, served on the fake's one origin as
 * the client's base URL moves both hosts there): JSON in and out with the API's own snake_case
 * names. POST /v1/Content -> 201, GET /v1/Content (pages, `meta.key` = contents), GET and DELETE
 * /v1/Content/{HX}. `refuse(403)` answers every request as an account without the API would.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const hexSid = (prefix: string): string => `${prefix}${randomBytes(16).toString('hex')}`;

/** Content made through the Content API, as its JSON body named it. */
export interface FakeTwilioContent {
  readonly sid: string;
  readonly friendlyName: string;
  readonly language: string;
  readonly variables: Record<string, string>;
  readonly types: Record<string, { body?: string; actions?: Array<{ id?: string; title: string }> }>;
  readonly dateCreated: Date;
  deleted: boolean;
}

export interface FakeContentApiOptions {
  readonly accountSid: string;
  /** The fake's origin, for the page URLs it hands back. */
  readonly baseUrl: () => string;
  readonly send: (res: ServerResponse, status: number, body: unknown) => void;
  readonly errorBody: (status: number, code: number, message: string) => unknown;
}

/** A content's text as the user sees it: its body with the message's variables (or the defaults) filled in. */
const renderContent = (content: FakeTwilioContent, variables: string | null): string | undefined => {
  const given = variables ? (JSON.parse(variables) as Record<string, string>) : {};
  const values = { ...content.variables, ...given };
  const body = content.types['twilio/quick-reply']?.body ?? content.types['twilio/text']?.body;
  return body?.replace(/\{\{(\d+)\}\}/g, (_, n: string) => values[n] ?? '');
};

export const createFakeContentApi = (options: FakeContentApiOptions) => {
  const { accountSid, send, errorBody } = options;
  const contents: FakeTwilioContent[] = [];
  const requests: string[] = [];
  let refusal: number | null = null;

  const resource = (c: FakeTwilioContent) => ({
    account_sid: accountSid,
    date_created: c.dateCreated.toISOString(),
    date_updated: c.dateCreated.toISOString(),
    friendly_name: c.friendlyName,
    language: c.language,
    links: {
      approval_create: `https://content.twilio.com/v1/Content/${c.sid}/ApprovalRequests/whatsapp`,
      approval_fetch: `https://content.twilio.com/v1/Content/${c.sid}/ApprovalRequests`,
    },
    sid: c.sid,
    types: c.types,
    url: `https://content.twilio.com/v1/Content/${c.sid}`,
    variables: c.variables,
  });

  /** The Content API: JSON in and out, snake_case field names, as content.twilio.com speaks it. */
  const handle = (res: ServerResponse, method: string, path: string, query: URLSearchParams, raw: string): void => {
    requests.push(`${method} ${path}`);
    if (refusal !== null) {
      return send(res, refusal, errorBody(refusal, refusal * 100, 'The Content API is not enabled for this account.'));
    }
    const one = /^\/v1\/Content\/(HX[0-9a-f]{32})$/.exec(path);
    if (one !== null) {
      const found = contents.find((c) => c.sid === one[1] && !c.deleted);
      if (found === undefined) return send(res, 404, errorBody(404, 20404, `The requested resource ${path} was not found`));
      if (method === 'DELETE') {
        found.deleted = true;
        res.writeHead(204).end();
        return;
      }
      return send(res, 200, resource(found));
    }
    if (method === 'GET') {
      const pageSize = Math.min(500, Number(query.get('PageSize') ?? 50) || 50);
      const page = Number(query.get('Page') ?? 0) || 0;
      const live = contents.filter((c) => !c.deleted);
      const slice = live.slice(page * pageSize, (page + 1) * pageSize);
      const pageUrl = (n: number) => `${options.baseUrl()}/v1/Content?PageSize=${pageSize}&Page=${n}`;
      return send(res, 200, {
        contents: slice.map(resource),
        meta: {
          page,
          page_size: pageSize,
          first_page_url: pageUrl(0),
          previous_page_url: page > 0 ? pageUrl(page - 1) : null,
          url: pageUrl(page),
          next_page_url: (page + 1) * pageSize < live.length ? pageUrl(page + 1) : null,
          key: 'contents',
        },
      });
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return send(res, 400, errorBody(400, 20001, 'Invalid JSON body.'));
    }
    const types = (typeof input.types === 'object' && input.types !== null ? input.types : {}) as FakeTwilioContent['types'];
    // Twilio reads only its own names: camelCase keys (the SDK's typings) leave the content without types.
    if (!Object.keys(types).some((key) => /^(twilio|whatsapp)\//.test(key))) {
      return send(res, 400, errorBody(400, 20001, 'Invalid types. At least one content type definition is required'));
    }
    if (typeof input.language !== 'string') return send(res, 400, errorBody(400, 20001, 'Language is required.'));
    const quick = types['twilio/quick-reply'];
    if (quick !== undefined && (!quick.actions?.length || quick.actions.some((a) => !a.title || [...a.title].length > 20))) {
      return send(res, 400, errorBody(400, 20001, 'Quick reply actions need a title of at most 20 characters.'));
    }
    const created: FakeTwilioContent = {
      sid: hexSid('HX'),
      friendlyName: typeof input.friendly_name === 'string' ? input.friendly_name : '',
      language: input.language,
      variables: (input.variables ?? {}) as Record<string, string>,
      types,
      dateCreated: new Date(),
      deleted: false,
    };
    contents.push(created);
    send(res, 201, resource(created));
  };

  return {
    contents,
    requests,
    handle,
    refuse: (status: number | null) => {
      refusal = status;
    },
    /** A content made here and deleted since: Twilio refuses messages that name it. */
    deleted: (sid: string): boolean => contents.some((c) => c.sid === sid && c.deleted),
    /** The body a message with this content shows, when the content was made here. */
    render: (sid: string, variables: string | null): string | undefined => {
      const content = contents.find((c) => c.sid === sid);
      return content === undefined ? undefined : renderContent(content, variables);
    },
  };
};
