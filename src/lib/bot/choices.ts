/**
 * Answers to the bot's choices: a tapped reply button, or a typed "1", "2" or button title where
 * the buttons went out as text. A tap acts on the task of the message it was tapped on (the
 * channel names that message), never on whatever is newest; a typed answer acts on the newest
 * offer sent to that user in the last 24 hours.
 */
import type { ChoiceAction } from '../domain.ts';
import { isBareNumber, pickChoice } from '../channel/choices.ts';
import type { InboundMessage } from '../channel/port.ts';
import type { OutboundRecord, Store, Task } from '../store/port.ts';
import { OFFER_KINDS, RETRY_OFFER_KINDS, choiceOf, choicesFor } from '../tasks/choices.ts';
import type { ModelOption } from '../video-provider/allowed.ts';
import { MODEL_OFFER_KIND, answerToModels, modelOfChoice } from './models.ts';

const ACTIONS: readonly ChoiceAction[] = ['again', 'landscape', 'portrait', 'retry'];
/** WhatsApp's window: an offer older than this was made in another conversation. */
const OFFER_TTL_MS = 24 * 3600 * 1000;
/** Longer than any button title or number: a message this long is a description, not an answer. */
const ANSWER_MAX_CHARS = 40;
/** Recent messages to a user looked through for the newest offer. */
const RECENT_OUTBOUND = 20;

/** What a message answers: a choice about a task, a tap the bot cannot place, or a bare number about nothing. */
export type ChoiceResolution =
  | { readonly kind: 'chosen'; readonly action: ChoiceAction; readonly task: Task }
  /** A model picked from the /model list: by a tap (its id rides in the button), or a typed number or name. */
  | { readonly kind: 'model'; readonly model: string }
  | { readonly kind: 'unplaced' }
  | { readonly kind: 'bare-number' };

const isAction = (value: string): value is ChoiceAction => (ACTIONS as readonly string[]).includes(value);

/**
 * Whether a typed message could answer any offer at all: a number, a button's title or action, a
 * model's name. Most messages are descriptions that can answer none, and need no look at the offers.
 */
const couldAnswer = (answer: string, models: readonly ModelOption[]): boolean =>
  isBareNumber(answer) || pickChoice(answer, ACTIONS.map(choiceOf)) !== undefined || answerToModels(models, answer) !== undefined;

/** The newest message with choices sent to this user (and taken by the channel) within the window; the model list is about no task. */
export const newestOffer = async (store: Store, to: string, now: number): Promise<OutboundRecord | undefined> => {
  const recent = await store.listOutbound({ to, limit: RECENT_OUTBOUND });
  return recent.find(
    (record) =>
      OFFER_KINDS.includes(record.kind) &&
      record.messageId !== undefined &&
      (record.taskId !== undefined || record.kind === MODEL_OFFER_KIND) &&
      now - record.createdAt <= OFFER_TTL_MS,
  );
};

/** The offer a reply names (the channel's id of the message replied to), when it is one sent to this user. */
const offerRepliedTo = async (store: Store, message: InboundMessage): Promise<OutboundRecord | undefined> => {
  if (message.repliedTo === undefined) return undefined;
  const record = await store.findOutbound({ messageId: message.repliedTo });
  return record !== null && record.to === message.from && OFFER_KINDS.includes(record.kind) ? record : undefined;
};

const taskOf = async (store: Store, record: OutboundRecord | undefined): Promise<Task | undefined> =>
  record?.taskId === undefined ? undefined : ((await store.getTask(record.taskId)) ?? undefined);

/**
 * Whether this message answers one of the bot's choices, and about which task (or which model of
 * `models`, the /model list); null when it is an ordinary message.
 */
export const resolveChoice = async (store: Store, message: InboundMessage, now: number, models: readonly ModelOption[] = []): Promise<ChoiceResolution | null> => {
  if (message.media.length > 0) return null;
  if (message.button !== undefined) {
    const { payload } = message.button;
    const model = modelOfChoice(payload);
    if (model !== undefined) return { kind: 'model', model };
    const action = isAction(payload) ? payload : undefined;
    // Another template's button (the operator's own approved one): an ordinary message.
    if (action === undefined) return null;
    // A tap names its message; only a channel that cannot say which falls back to the newest offer.
    const offer = message.repliedTo !== undefined ? await offerRepliedTo(store, message) : await newestOffer(store, message.from, now);
    const task = await taskOf(store, offer);
    return task === undefined ? { kind: 'unplaced' } : { kind: 'chosen', action, task };
  }
  const answer = message.body.trim();
  if (answer === '' || [...answer].length > ANSWER_MAX_CHARS || answer.startsWith('/')) return null;
  if (!couldAnswer(answer, models)) return null;
  const offer = (await offerRepliedTo(store, message)) ?? (await newestOffer(store, message.from, now));
  if (offer?.kind === MODEL_OFFER_KIND) {
    const model = answerToModels(models, answer);
    if (model !== undefined) return { kind: 'model', model };
    return isBareNumber(answer) ? { kind: 'bare-number' } : null;
  }
  const task = await taskOf(store, offer);
  // A failure notice shows its button only where trying again can help, yet "try again" typed to
  // one still means that task (the day after a spent budget, it will work); a number needs the button.
  const understood = offer !== undefined && RETRY_OFFER_KINDS.includes(offer.kind) && !isBareNumber(answer) ? [choiceOf('retry')] : undefined;
  const picked = offer === undefined || task === undefined ? undefined : pickChoice(answer, understood ?? choicesFor(offer.kind, task));
  if (picked !== undefined && task !== undefined && isAction(picked.id)) return { kind: 'chosen', action: picked.id, task };
  return isBareNumber(answer) || answersNoOffer(answer) ? { kind: 'bare-number' } : null;
};

/**
 * A button's words typed where no offer stands ("Another take", "Try again"): about no video, and
 * surely no description of one. ("Landscape" or "Portrait" alone may well be one.)
 */
const answersNoOffer = (answer: string): boolean => pickChoice(answer, [choiceOf('again'), choiceOf('retry')]) !== undefined;
