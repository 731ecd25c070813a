/**
 * The conversation layer: one inbound WhatsApp message in, a durable task or a command answer out,
 * with the reply text. The MessageSid is claimed first, so a Twilio retry (even one arriving at the
 * same moment) queues nothing and gets the first answer.
 */
import type { Vidbot } from '../create-vidbot.ts';
import { type Admission, ackReply, budgetSpentReply, standingOf } from './admission.ts';
import { createBudgetGate } from './budget-gate.ts';
import { actOnChoice } from './act-on-choice.ts';
import { resolveChoice } from './choices.ts';
import { type ParsedCommand, runCommand, parseCommand } from './commands.ts';
import { type ModelContext, chooseModel, modelCommand, modelForPrompt } from './models.ts';
import type { InboundMessage } from '../channel/port.ts';
import type { Task } from '../store/port.ts';
import { pickTranscriber } from '../pick-adapters.ts';
import type { Transcriber } from '../transcriber/port.ts';
import { mediaTexts } from './replies-media.ts';
import { ingestTypedPrompt } from './typed-prompt.ts';
import type { Bot, BotReply } from './types.ts';
import { isWelcomeRequest, notAPromptReply } from './not-a-prompt.ts';
import { type LiveWorkers, createEtaBasis } from './eta-basis.ts';
import { answerOfClaim, answerOfFirst } from './redelivery.ts';
import { createPromptQueue } from './queue-prompt.ts';
import type { StandingOf } from './repeats.ts';
import { type RepeatGuard, createMemoryRepeatGuard } from '../limits/repeats.ts';
import { createTurns } from './turns.ts';
import { createVoiceNotes } from './voice.ts';

export interface CreateBotOptions {
  readonly vidbot: Pick<
    Vidbot,
    | 'store'
    | 'queue'
    | 'provider'
    | 'models'
    | 'submitTask'
    | 'ingestInbound'
    | 'retryTask'
    | 'cancelTask'
    | 'config'
    | 'paths'
    | 'conversation'
    | 'channels'
    | 'ffmpeg'
    | 'limits'
    | 'budget'
    | 'isCached'
  > & { readonly repeats?: RepeatGuard };
  /** Workers taking jobs in parallel, for the ETA; default WORKER_COUNT. */
  readonly workers?: number;
  /** The workers running now (this process's, or every process's with Redis), when known: see bot/eta-basis.ts. */
  readonly liveWorkers?: () => LiveWorkers;
  /** How long a retry waits for the first delivery's answer before handling the message itself. */
  readonly duplicateWaitMs?: number;
  /** The clock the limits count with (tests move it). */
  readonly now?: () => number;
  /** Turns voice notes into prompts; default: picked from the config (OpenAI when OPENAI_API_KEY is set). */
  readonly transcriber?: Transcriber;
  /** How long a read of today's spend (VIDBOT_DAILY_BUDGET) is trusted before it is read again; default 5 s. */
  readonly budgetReadMs?: number;
  /** Told about voice notes that were refused or failed, in operator words. */
  readonly onWarning?: (message: string) => void;
}

export const createBot = (options: CreateBotOptions): Bot => {
  const { vidbot } = options;
  const { store, config } = vidbot;
  const now = options.now ?? Date.now;
  const duplicateWaitMs = options.duplicateWaitMs ?? 5_000;
  const imageToVideo = (model?: string) => vidbot.provider.capabilities(model).imageToVideo;
  const models: ModelContext = { store, conversation: vidbot.conversation, models: vidbot.models, defaultModel: vidbot.provider.defaultModel };
  const transcriber = options.transcriber ?? pickTranscriber(config);
  const voice = createVoiceNotes({
    vidbot,
    transcriber,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });

  const etaBasis = createEtaBasis({
    store,
    queue: vidbot.queue,
    workers: options.workers ?? config.workerCount,
    // Workers given outright are taken as running.
    ...(options.liveWorkers === undefined || options.workers !== undefined ? {} : { liveWorkers: options.liveWorkers }),
    now,
  });

  const turns = createTurns({
    limits: vidbot.limits,
    perMinute: config.rateLimitPerMinute,
    now,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const { admit } = turns;
  // A Vidbot has its own (in Redis where it shares a queue); an object made by hand gets one for this bot.
  const repeats = vidbot.repeats ?? createMemoryRepeatGuard({ store });

  const budgetSpent = createBudgetGate({
    budget: vidbot.budget,
    provider: vidbot.provider,
    isCached: (task) => vidbot.isCached(task),
    now,
    ...(options.budgetReadMs === undefined ? {} : { readEveryMs: options.budgetReadMs }),
  });

  /** A button's new video (another take, another orientation, a retry of one never made) while today's budget is spent. */
  const heldByBudget = async (task: Task): Promise<BotReply | undefined> => {
    const spent = await budgetSpent({ prompt: task.prompt, model: task.options.model, uncached: true });
    return spent === undefined ? undefined : budgetSpentReply(spent, now());
  };

  /** The answer for a task just queued: its place in line, when it should be ready, what is left for today. */
  const acknowledge = async (task: Pick<Task, 'taskId' | 'from' | 'jobId'>, admission: Admission, headline?: string, { resend = false } = {}): Promise<BotReply> => {
    // A retried task has a job of its own (taskId#2): its place is that job's.
    const reply = ackReply(task.taskId, await vidbot.queue.position(task.jobId ?? task.taskId), await etaBasis.read(), admission, {
      ...(headline === undefined ? {} : { headline }),
      sender: task.from,
      resend,
    });
    etaBasis.queued({ taskId: task.taskId, sender: task.from });
    return reply;
  };

  /** Where a task on its way stands now, as /status tells it: for a request repeated while it waits. */
  const standingNow: StandingOf = async (task) =>
    task.status === 'queued'
      ? standingOf({ taskId: task.taskId, sender: task.from }, await vidbot.queue.position(task.jobId ?? task.taskId), await etaBasis.read())
      : { place: null };

  const queuePrompt = createPromptQueue({ vidbot, models, budgetSpent, admit, acknowledge, repeats, standingOf: standingNow, now });

  const commandReply = async (message: InboundMessage, command: ParsedCommand): Promise<BotReply> => {
    if (command.name === 'model') return modelCommand(models, message.from, command.argument);
    const context = {
      vidbot,
      from: message.from,
      imageToVideo: imageToVideo(),
      voiceNotes: transcriber !== undefined,
      models: vidbot.models.length,
      placeOf: async (task: Task, position: number | null) => {
        // As the ack tells it: a job a free worker takes at once is starting (0), not in line.
        const { place, startsNow } = standingOf({ taskId: task.taskId, sender: task.from }, position, await etaBasis.read());
        return startsNow === true ? 0 : place;
      },
    };
    return { text: await runCommand({ name: command.name, word: command.word, argument: command.argument }, context), kind: 'command', duplicate: false };
  };

  /** What a voice note said, answered as if typed: a spoken "hi", "thank you" or "status" is not a prompt either. */
  const answerSpoken = async (heard: InboundMessage, signal?: AbortSignal): Promise<BotReply> => {
    const other = notAPromptReply(heard);
    if (other !== undefined) return { text: other, kind: 'command', duplicate: false };
    const command = parseCommand(heard.body);
    return command === null ? queuePrompt(heard, signal) : commandReply(heard, command);
  };

  const decide = async (message: InboundMessage, signal?: AbortSignal): Promise<BotReply> => {
    const other = notAPromptReply(message);
    if (other !== undefined) return { text: other, kind: 'command', duplicate: false };
    if (isWelcomeRequest(message)) return commandReply(message, { name: 'help', word: '', argument: '' });
    if (voice.handles(message)) {
      // The limits first, before a transcription is paid for: the prompt it becomes is the same
      // message, and gets this same verdict without taking another turn.
      if (transcriber !== undefined) {
        const gate = await admit(message);
        if (gate.denied !== undefined) return gate.denied;
      }
      return voice.answer(message, (heard) => answerSpoken(heard, signal), signal);
    }
    // A photo's caption is a command only with its slash: "hello" may be what the photo should do.
    const command = parseCommand(message.body, { bareWords: message.media.length === 0 });
    if (command !== null) {
      const reply = await commandReply(message, command);
      // The photo is not silently dropped: the user learns how to have it animated.
      return message.media.length > 0 ? { ...reply, text: `${reply.text}\n\n${mediaTexts.withCommand}` } : reply;
    }
    // A tapped button, or a typed "2" where the buttons went out as text.
    const choice = await resolveChoice(store, message, Date.now(), vidbot.models);
    if (choice !== null) {
      return actOnChoice({ vidbot, admit, acknowledge, heldByBudget, repeats, chooseModel: (from, id) => chooseModel(models, from, id) }, message, choice);
    }
    return queuePrompt(message, signal);
  };

  /** A typed prompt (no media, no command, no answer to a choice): the common case, made durable in one unit. */
  const isTypedPrompt = async (message: InboundMessage): Promise<boolean> =>
    message.media.length === 0 &&
    !isWelcomeRequest(message) &&
    parseCommand(message.body) === null &&
    notAPromptReply(message) === undefined &&
    (await resolveChoice(store, message, Date.now(), vidbot.models)) === null;

  const handle = async (message: InboundMessage, handleOptions: { signal?: AbortSignal }): Promise<BotReply> => {
    let claimed = false;
    if (await isTypedPrompt(message)) {
      const outcome = await ingestTypedPrompt({ vidbot, now, etaBasis, budgetSpent, repeats, standingOf: standingNow, modelFor: (from) => modelForPrompt(models, from) }, message);
      if (outcome.reply !== undefined) return outcome.reply;
      // A redelivery: the first delivery's answer came with the claim, or is awaited.
      const { claim } = outcome;
      const first = claim.reply !== undefined ? answerOfClaim(claim, claim.reply) : await answerOfFirst(store, duplicateWaitMs, message, claim.receivedAt);
      if (first) return first;
    } else {
      const { claimed: isNew, claim } = await store.claimInbound({ messageId: message.messageId, from: message.from });
      claimed = isNew;
      if (!claimed) {
        const first = await answerOfFirst(store, duplicateWaitMs, message, claim.receivedAt);
        if (first) return first;
      } else {
        await vidbot.conversation.userSaid(message.from, message.body, { messageSid: message.messageId, fields: message.fields });
      }
    }
    // A message needing more than one unit (media, a command, a choice), or one whose first delivery died before answering.
    const reply = await turns.deciding(message, () => decide(message, handleOptions.signal));
    // An answer with an offer goes out as its own message: a retried webhook gets an empty answer, not the text again.
    await store.updateInbound(message.messageId, { reply: reply.offer ? '' : reply.text, ...(reply.taskId ? { taskId: reply.taskId } : {}) });
    await vidbot.conversation.botSaid(message.from, reply.text, {
      messageSid: message.messageId,
      kind: reply.kind,
      ...(reply.taskId ? { taskId: reply.taskId } : {}),
    });
    return { ...reply, duplicate: !claimed };
  };

  return {
    async handleInbound(message, handleOptions = {}) {
      try {
        return await handle(message, handleOptions);
      } catch (error) {
        // Not stored, so the webhook fails and the service delivers it again: what the message took of the
        // sender's limits is given back, and its redelivery judged afresh. One that never lands costs nothing.
        await vidbot.limits.release(message.from, message.messageId).catch(() => undefined);
        throw error;
      }
    },
  };
};
