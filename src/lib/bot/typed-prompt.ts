/**
 * A typed prompt, what most webhooks carry, made durable in one unit (Vidbot.ingestInbound): once
 * the message is claimed the limits are checked and its task decided on, and the answer is written
 * from the task's place in line, all committed before the webhook is answered. The same words sent
 * again while their video is on its way queue nothing (bot/repeats.ts).
 */
import type { Vidbot } from '../create-vidbot.ts';
import { isVidbotError } from '../errors.ts';
import type { InboundMessage } from '../channel/port.ts';
import { validatePrompt } from '../pipeline/prompt.ts';
import type { Verdict } from '../limits/port.ts';
import type { IngestOutcome, LogLine } from '../store/port.ts';
import { ackReply, admissionOf, budgetSpentReply } from './admission.ts';
import type { BudgetGate } from './budget-gate.ts';
import type { EtaBasisSource } from './eta-basis.ts';
import { type RepeatGuard, sameWordsKey } from '../limits/repeats.ts';
import { type StandingOf, answerToRepeat, sameVideoArrived } from './repeats.ts';
import { emptyPromptText, linkOnlyText, promptTooLongText } from './replies.ts';
import type { BotReply } from './types.ts';

export interface TypedPromptContext {
  readonly vidbot: Pick<Vidbot, 'ingestInbound' | 'limits' | 'config' | 'isCached' | 'store'>;
  readonly now: () => number;
  /** The ETA's basis, read before the unit (it may be a few seconds old), told of each job queued. */
  readonly etaBasis: EtaBasisSource;
  /** The model the sender picked with /model; undefined for the default. */
  modelFor(from: string): Promise<string | undefined>;
  /** Today's budget when it is spent and the prompt would have to be paid for (bot/budget-gate.ts). */
  budgetSpent: BudgetGate;
  /** Whether the prompt repeats one of the sender's whose video is still on its way (limits/repeats.ts). */
  readonly repeats: RepeatGuard;
  /** Where that one stands, told to the repeat. */
  readonly standingOf: StandingOf;
}

/** A message that is one web address and nothing else. */
export const isLinkOnly = (text: string): boolean => /^(?:https?:\/\/|www\.)\S+$/i.test(text);

/** The prompt of a message, or the reply refusing it. */
export const readPrompt = (text: string, maxChars: number): { prompt: string } | { refused: BotReply } => {
  const refuse = (reply: string) => ({ refused: { text: reply, kind: 'rejected' as const, duplicate: false } });
  if (isLinkOnly(text)) return refuse(linkOnlyText);
  try {
    return { prompt: validatePrompt(text, maxChars) };
  } catch (error) {
    if (isVidbotError(error, 'VIDBOT_PROMPT_EMPTY')) return refuse(emptyPromptText);
    if (isVidbotError(error, 'VIDBOT_PROMPT_TOO_LONG')) return refuse(promptTooLongText(Number(error.details.length), maxChars));
    throw error;
  }
};

/** The store's outcome, with the bot's reply when this delivery claimed the message. */
export const ingestTypedPrompt = async (context: TypedPromptContext, message: InboundMessage): Promise<IngestOutcome & { reply?: BotReply }> => {
  const { config } = context.vidbot;
  const read = readPrompt(message.body.trim(), config.promptMaxChars);
  const model = 'prompt' in read ? await context.modelFor(message.from) : undefined;
  const check = 'prompt' in read ? await context.repeats.check({ key: sameWordsKey({ from: message.from, prompt: read.prompt, model }), messageId: message.messageId }) : undefined;
  let made: string | undefined;
  try {
    // Its video on its way, or arrived already and the same were it made again (the cache has it).
    const repeated =
      check === undefined || !('prompt' in read)
        ? undefined
        : await answerToRepeat(check, { asked: 'words', standingOf: context.standingOf, hadAlready: (earlier) => sameVideoArrived(context.vidbot, earlier, read.prompt, model) });
    const outcome = await ingest(context, message, await gateOf(context, message, read, model, repeated?.reply), model);
    made = outcome.task?.taskId ?? outcome.claim.taskId ?? repeated?.standsFor;
    return outcome;
  } finally {
    if (check !== undefined && 'settled' in check) check.settled(made);
  }
};

/**
 * What a message meets before its unit: a refusal, or its prompt with the limits' verdict (taken
 * once, as a verdict of this message: a redelivery gets it again and takes nothing).
 */
const gateOf = async (
  context: TypedPromptContext,
  message: InboundMessage,
  read: ReturnType<typeof readPrompt>,
  model: string | undefined,
  repeated: BotReply | undefined,
): Promise<{ refused: BotReply } | { prompt: string; verdict: Verdict }> => {
  if (!('prompt' in read)) return read;
  // A repeat is answered before any limit is asked: it takes nothing, as it queues nothing.
  if (repeated !== undefined) return { refused: repeated };
  const spent = await context.budgetSpent({ prompt: read.prompt, model });
  if (spent !== undefined) return { refused: budgetSpentReply(spent, context.now()) };
  return { prompt: read.prompt, verdict: await context.vidbot.limits.take({ from: message.from, messageId: message.messageId, now: context.now() }) };
};

type Gate = Awaited<ReturnType<typeof gateOf>>;

/** The unit of a typed prompt: claimed, and answered by its gate (a repeat, the budget, the limits) or from its task's place. */
const ingest = async (context: TypedPromptContext, message: InboundMessage, gate: Gate, model: string | undefined): Promise<IngestOutcome & { reply?: BotReply }> => {
  const { vidbot } = context;
  const { config } = vidbot;
  const basis = await context.etaBasis.read();
  let reply: BotReply | undefined;
  const say = (answer: BotReply): LogLine => {
    reply = answer;
    return { text: answer.text, meta: { messageSid: message.messageId, kind: answer.kind, ...(answer.taskId ? { taskId: answer.taskId } : {}) } };
  };
  const outcome = await vidbot.ingestInbound({
    messageId: message.messageId,
    from: message.from,
    sessionId: message.from,
    said: { text: message.body, meta: { messageSid: message.messageId, fields: message.fields } },
    decide: () => {
      if ('refused' in gate) return { answer: () => say(gate.refused) };
      const admission = admissionOf(gate.verdict, config.rateLimitPerMinute);
      const { denied } = admission;
      if (denied !== undefined) return { answer: () => say(denied) };
      return {
        task: {
          prompt: gate.prompt,
          from: message.from,
          sessionId: message.from,
          messageId: message.messageId,
          channel: message.channel,
          ...(model ? { options: { model } } : {}),
        },
        answer: ({ task, position }) => say(ackReply(task?.taskId ?? '', position, basis, admission, { sender: message.from })),
      };
    },
  });
  // Noted once stored (committed, or journaled where reads wait for the journal): a read of the line
  // begun after the note must find the job, or the note would be dropped before the job is listed.
  if (outcome.claimed && outcome.task !== undefined) context.etaBasis.queued({ taskId: outcome.task.taskId, sender: message.from });
  return reply === undefined ? outcome : { ...outcome, reply };
};
