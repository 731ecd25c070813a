/**
 * The channel port: everything one messaging service needs, in one folder per service (Twilio, the
 * browser simulator, the local recorder; Meta's Cloud API next). A channel reads and verifies its
 * webhooks into the bot's messages and delivery receipts, formats the immediate answer where the
 * service has one (TwiML), sends, and says under which rules inbound media may be fetched. It is a
 * transport: recording, deduplication, the 24-hour window and fallbacks live once, in the tasks.
 */
import type { Choice, DeliveryStatus, RefusalKind } from '../domain.ts';

export type { Choice, DeliveryStatus } from '../domain.ts';

export interface InboundMedia {
  readonly url: string;
  /** What the service says it is; the bytes are checked when it is fetched. */
  readonly contentType: string;
}

/** One message a user sent, as the bot sees it whichever service carried it. */
export interface InboundMessage {
  /** The channel it came through; its answers go back the same way. */
  readonly channel: string;
  /** The service's id of the message (Twilio's MessageSid): the key that deduplicates retries. */
  readonly messageId: string;
  /** `whatsapp:+<number>`: where answers go, and the session it belongs to. */
  readonly from: string;
  readonly to?: string;
  readonly body: string;
  readonly profileName?: string;
  readonly media: readonly InboundMedia[];
  /**
   * What the service calls the message, when it says (Twilio's MessageType, the Cloud API's type):
   * text, image, sticker, location... and for what it could not pass on: `edit` (an earlier message
   * edited), `unavailable` (lost on the way; sent again it may arrive) or `unsupported` (a poll...).
   */
  readonly kind?: string;
  /** A reply button the user tapped: its payload (what the bot put there) and the text shown. */
  readonly button?: { readonly payload: string; readonly text: string };
  /** The channel's id of the message the user replied to, or whose button they tapped (Twilio's OriginalRepliedMessageSid). */
  readonly repliedTo?: string;
  /** Everything the service posted, kept verbatim in the session log. */
  readonly fields: Readonly<Record<string, string>>;
}

/** A delivery receipt, whichever channel posted it. */
export interface Receipt {
  /** The channel's id of the message. */
  readonly messageId: string;
  readonly status: DeliveryStatus;
  /** The channel's error code of a failure. */
  readonly errorCode?: string;
  /** vidbot's id of the message, when the channel handed it back (Twilio: `ref` in the callback URL). */
  readonly reference?: string;
}

export interface OutboundMessage {
  /** `whatsapp:+<number>`, or any address the channel understands. */
  readonly to: string;
  readonly body?: string;
  readonly mediaUrl?: string;
  /** A local copy of the media, for channels that upload it instead of handing the service a URL. */
  readonly mediaFile?: string;
  /**
   * Replies to offer with the text: buttons where the channel can show them, else the numbered
   * list of `choicesText` (channel/choices.ts) after the body, so the wording is the same everywhere.
   */
  readonly choices?: readonly Choice[];
}

export interface SendOptions {
  readonly signal?: AbortSignal;
  /**
   * vidbot's id of the message. Channels that can hand it back with their receipts do, so a
   * receipt that beats the send's own answer still finds its record.
   */
  readonly reference?: string;
}

export interface SentMessage {
  /** The channel's id for the message (Twilio's SM... sid, or a local id). */
  readonly messageId: string;
  readonly status: DeliveryStatus;
  /** How the message's choices went out, when it had some: as buttons, or as a numbered text list. */
  readonly presented?: 'buttons' | 'text';
}

/** A typing indicator: the user sees "typing…" until the next message arrives, or for a while (WhatsApp: 25 s). */
export interface TypingInput {
  readonly to: string;
  /** The channel's id of the user's message being answered (the task's inbound messageId). */
  readonly replyingTo: string;
}

export interface SentLookup {
  readonly to: string;
  /** The intent's time: only messages created after about then count. */
  readonly since: number;
  /** The text that was being sent; templates are matched on recipient and time only. */
  readonly body?: string;
  readonly withMedia?: boolean;
  /** The choices the message offered: it may have gone out with them as text after the body. */
  readonly choices?: readonly Choice[];
  /** True for a message another of vidbot's records already holds (the same words sent to the same user before): not this one. */
  readonly isTaken?: (messageId: string) => Promise<boolean>;
}

/** An HTTP request to one of a channel's webhooks, as the server received it. */
export interface WebhookRequest {
  /** The URL the service signed: the public one (PUBLIC_BASE_URL, or as a proxy forwarded it), query included. */
  readonly url: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The parsed form, for webhooks whose body is a form. */
  readonly form?: Readonly<Record<string, string | readonly string[]>>;
  /** The exact body, for webhooks whose signature covers the bytes. */
  readonly rawBody?: string;
}

/** What a webhook request holds: messages and receipts to handle, or a verification to answer. */
export type WebhookContent =
  | { readonly messages: readonly InboundMessage[]; readonly receipts: readonly Receipt[] }
  | { readonly challenge: string };

export interface WebhookResponse {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

/** A JSON Schema (2020-12), as an API description gives one. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * What a service sends to a webhook and gets back, for the server's API description. It describes;
 * the channel still verifies and reads every request itself (the signature first).
 */
export interface WebhookDoc {
  /** What the service does through it, as a verb and its object (receiveMessage): with the channel's name, its operationId. */
  readonly operation: string;
  readonly summary: string;
  readonly description: string;
  /** The headers the service sends that matter here (its signature). */
  readonly headers?: JsonSchema;
  readonly query?: JsonSchema;
  readonly body?: { readonly contentType: string; readonly schema: JsonSchema };
  /** The answers by status; errors (403 for a bad signature, 400, 415) are the server's to add. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly contentType?: string; readonly schema?: JsonSchema }>>;
}

/** One route a channel needs; the server registers it and calls the channel to read and answer. */
export interface ChannelWebhook {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** How the body arrives: a form (Twilio), or raw text for services that sign the bytes. */
  readonly body: 'form' | 'raw' | 'none';
  /**
   * How the bot's replies to the request's messages reach the user: in the HTTP answer (TwiML,
   * the default), or sent as messages once the answer is out (services with no reply-in-response).
   */
  readonly replies?: 'response' | 'send';
  /** Verifies the request (VIDBOT_SIGNATURE_INVALID otherwise) and reads it (VIDBOT_INPUT_INVALID). */
  read(request: WebhookRequest): WebhookContent;
  /** The HTTP answer, given the bot's replies to the request's messages (in order). */
  respond(replies: readonly string[]): WebhookResponse;
  /** What the service sends and gets, for the API description. */
  readonly doc?: WebhookDoc;
}

/** Where inbound media may be fetched from, and with which credentials. */
export interface MediaPolicy {
  /** Whether vidbot may fetch this URL at all (the URL comes from the request body). */
  allows(url: URL): boolean;
  /** Headers for a request to this URL (the service's credentials go to the service's hosts only). */
  headersFor(url: URL): Readonly<Record<string, string>>;
  /** Whether a redirect from `from` may be followed to `to`. */
  mayRedirect(from: URL, to: URL): boolean;
  /**
   * Services that name media by id first (Meta's Cloud API): the URL of the file itself, looked up
   * with the service's credentials. The result must pass `allows` too.
   */
  resolve?(url: URL, options?: { readonly signal?: AbortSignal }): Promise<URL>;
}

/**
 * Sends fail with VidbotErrors: VIDBOT_DELIVERY_REFUSED (final; `details.refusal` is a RefusalKind,
 * `details.channelCode` the channel's code), VIDBOT_MESSENGER_AUTH, or a retryable
 * VIDBOT_MESSENGER_FAILED (`details.ambiguous` when the channel may have taken the message anyway).
 */
export interface Channel {
  readonly name: string;
  /** WhatsApp's 24-hour rule applies: outside it, only an approved template may be sent. */
  readonly enforcesWindow: boolean;
  /**
   * Messages reach the user in the order they were sent (the local recorder, the simulator's page).
   * WhatsApp keeps no order, so there a follow-up waits for the phone's receipt of what it follows.
   */
  readonly ordered?: boolean;
  /**
   * The service fetches a message's media from its URL itself (Twilio), so a video without a public
   * URL cannot be sent; channels that show vidbot's own /media (the simulator) leave this unset.
   */
  readonly mediaByPublicUrl?: boolean;
  /** The channel uploads a message's local media file itself (Meta's Cloud API), so no public URL is needed. */
  readonly uploadsMedia?: boolean;
  /** The routes this channel's service posts to (none for the local recorder). */
  readonly webhooks: readonly ChannelWebhook[];
  /** Where inbound media may come from; without it, media is refused. */
  readonly media?: MediaPolicy;
  send(message: OutboundMessage, options?: SendOptions): Promise<SentMessage>;
  /** Sends the approved template (outside the 24-hour window); present when one is configured. */
  sendTemplate?(message: OutboundMessage, options?: SendOptions): Promise<SentMessage>;
  /**
   * After a crash or an ambiguous failure mid-send: the message the channel took, or null when
   * surely none. Absent when the channel cannot tell; then vidbot sends again.
   */
  findSent?(lookup: SentLookup, options?: { signal?: AbortSignal }): Promise<SentMessage | null>;
  /**
   * Without findSent: the service's receipts hand back vidbot's reference (Meta's
   * biz_opaque_callback_data), so after an ambiguous failure a receipt may yet say the message went.
   * vidbot then waits a moment for one before sending again.
   */
  readonly receiptsCarryReference?: boolean;
  /**
   * Shows the user that a reply is being prepared (WhatsApp also marks their message read). Only
   * for moments when a message follows within the indicator's life; best effort, callers only warn.
   * Absent when the service has none.
   */
  typing?(input: TypingInput, options?: { signal?: AbortSignal }): Promise<void>;
  /** What a failure code of this channel (in a refusal or a receipt) means for what to try next; default 'other'. */
  refusalKind?(code: string): RefusalKind;
}

/** The channels one vidbot answers on; a task is answered on the channel it came through. */
export interface ChannelSet {
  readonly all: readonly Channel[];
  /** The named channel, or the first (the default, for tasks and sends that name none). */
  get(name?: string): Channel;
  /** As get, but undefined for a name this process has no channel of (rather than an error). */
  find(name?: string): Channel | undefined;
}
