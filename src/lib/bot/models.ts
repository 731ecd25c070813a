/**
 * /model: which video model a user's next prompts are made with, among those the operator allows.
 * The pick is noted in the user's session log, so whichever process takes their next message reads
 * the same one; a model no longer allowed is ignored.
 */
import { pickChoice } from '../channel/choices.ts';
import type { Choice, ModelChoiceId } from '../domain.ts';
import type { Store } from '../store/port.ts';
import type { Conversation } from '../tasks/conversation.ts';
import { cutText } from '../text.ts';
import { type ModelOption, modelLabel } from '../video-provider/allowed.ts';
import { modelTexts } from './replies.ts';
import type { BotReply } from './types.ts';

/** The kind of the message that lists the models: a typed number answers the newest one. */
export const MODEL_OFFER_KIND = 'models';
/** WhatsApp shows at most three reply buttons; longer lists go as numbered text. */
const MAX_BUTTONS = 3;
/** WhatsApp shows at most 20 characters of a button's title. */
const TITLE_MAX = 20;

export interface ModelContext {
  readonly store: Pick<Store, 'latestNote'>;
  readonly conversation: Pick<Conversation, 'noted'>;
  readonly models: readonly ModelOption[];
  /** What prompts get without a pick: the provider's configured model. */
  readonly defaultModel: string;
}

// WhatsApp caps a title's characters (code points): cut between whole ones, never inside an emoji.
const title = (label: string): string => cutText(label, TITLE_MAX, { count: 'codePoints', collapse: false });

export const modelOfChoice = (id: string): string | undefined => (id.startsWith('model:') ? id.slice('model:'.length) : undefined);

export const modelChoices = (models: readonly ModelOption[]): Choice[] =>
  models.map((model) => ({ id: `model:${model.id}` satisfies ModelChoiceId, title: title(model.label) }));

/** The buttons a /model list carries: one per model when they fit, else none (the list is numbered text). */
export const modelOfferChoices = (models: readonly ModelOption[]): Choice[] =>
  models.length >= 2 && models.length <= MAX_BUTTONS ? modelChoices(models) : [];

/** The model a user picked, while it is still allowed. */
const pickedModel = async (ctx: ModelContext, from: string): Promise<ModelOption | undefined> => {
  if (ctx.models.length < 2) return undefined;
  const note = await ctx.store.latestNote(from, 'model');
  return ctx.models.find((model) => model.id === note?.meta?.model);
};

/** The model a user's next prompt is made with: their pick, else the configured one, else the first allowed. */
const currentModel = async (ctx: ModelContext, from: string): Promise<ModelOption | undefined> =>
  (await pickedModel(ctx, from)) ?? ctx.models.find((model) => model.id === ctx.defaultModel) ?? ctx.models[0];

/** The model a new prompt asks for; undefined leaves it to the provider (its configured model). */
export const modelForPrompt = async (ctx: ModelContext, from: string): Promise<string | undefined> => {
  if (ctx.models.length === 1 && ctx.models[0]?.id === ctx.defaultModel) return undefined;
  const current = await currentModel(ctx, from);
  return current === undefined || current.id === ctx.defaultModel ? undefined : current.id;
};

const reply = (text: string, offer?: BotReply['offer']): BotReply => ({ text, kind: 'model', duplicate: false, ...(offer ? { offer } : {}) });

/**
 * A model an answer names: its number, its button's title or its id; after /model also part of its
 * name that fits one model ("/model hailuo"). A bare message is not read that loosely: it may be a prompt.
 */
const modelNamed = (models: readonly ModelOption[], answer: string, loose: boolean): ModelOption | undefined => {
  const byChoice = modelOfChoice(pickChoice(answer, modelChoices(models))?.id ?? '');
  const said = answer.trim().toLowerCase();
  const exact = models.find((model) => model.id === byChoice || model.id.toLowerCase() === said);
  if (exact !== undefined || !loose || said === '') return exact;
  const partly = models.filter((model) => model.label.toLowerCase().includes(said));
  return partly.length === 1 ? partly[0] : undefined;
};

/** Notes a pick for the user's next prompts; a model not allowed (a stale button, a typo) is refused kindly. */
export const chooseModel = async (ctx: ModelContext, from: string, id: string): Promise<BotReply> => {
  const model = ctx.models.find((option) => option.id === id);
  if (model === undefined) return reply(modelTexts.unknown(modelLabel(id)));
  await ctx.conversation.noted(from, `model: ${model.id}`, { model: model.id });
  return reply(modelTexts.picked(model.label));
};

/** `/model` lists the models (as buttons when they fit); `/model <number or name>` picks one. */
export const modelCommand = async (ctx: ModelContext, from: string, argument: string): Promise<BotReply> => {
  if (argument.trim() !== '') {
    const named = modelNamed(ctx.models, argument, true);
    if (named !== undefined) return chooseModel(ctx, from, named.id);
    const [only] = ctx.models;
    return reply(ctx.models.length === 1 && only !== undefined ? modelTexts.unknownOnly(argument.trim(), only.label) : modelTexts.unknown(argument.trim()));
  }
  const current = (await currentModel(ctx, from))?.label ?? '';
  if (ctx.models.length < 2) return reply(modelTexts.only(current));
  if (ctx.models.length <= MAX_BUTTONS) return reply(modelTexts.ask(current), { kind: MODEL_OFFER_KIND, choices: modelOfferChoices(ctx.models) });
  // Sent as an offer all the same, so a typed number finds the list it answers.
  return reply(modelTexts.list(ctx.models.map((model) => model.label), current), { kind: MODEL_OFFER_KIND, choices: [] });
};

/** A typed answer to the newest list of models, when it names one. */
export const answerToModels = (models: readonly ModelOption[], answer: string): string | undefined => modelNamed(models, answer, false)?.id;
