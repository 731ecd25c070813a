/** The WhatsApp commands: /help, /status, /history, /cancel, /model (bot/models.ts). Each answers from the store and queue. */
import type { Vidbot } from '../create-vidbot.ts';
import { FINAL_TASK_STATUSES, type Task } from '../store/port.ts';
import { editDistance } from '../text.ts';
import { cancelTexts, helpText, historyText, statusText, unknownCommandText, welcomeBackText } from './replies.ts';

export type CommandName = 'help' | 'status' | 'history' | 'cancel' | 'model';

const COMMANDS: readonly CommandName[] = ['help', 'status', 'history', 'cancel', 'model'];

/** Other names people type for a command, with or without the slash (Telegram's /start, a menu). */
const ALIASES: Readonly<Record<string, CommandName>> = { start: 'help', menu: 'help', commands: 'help', stop: 'cancel' };

const GREETINGS = ['hi', 'hii', 'hello', 'hey', 'hiya', 'yo', 'hola', 'hallo', 'bonjour', 'ciao', 'olá', 'oi', 'salut', 'namaste', 'hi there', 'hello there', 'hey there'];
const ABOUT_THE_BOT = ['what can you do', 'what do you do', 'how does this work', 'how does it work', 'help me', 'help please', 'what is this', "what's this", 'whats this', 'what is this bot', 'who are you', 'what are you', 'how do i use this', 'how do i use you', 'how to use this'];

/**
 * A whole message that is a greeting or a command's bare name, not a description: a first "Hi"
 * gets the welcome, "status" the status, rather than a video of the word. Not "good morning": a
 * good-morning video is a common wish on WhatsApp.
 */
const WORDS: Readonly<Record<string, CommandName>> = {
  ...Object.fromEntries([...GREETINGS, '?'].map((word) => [word, 'help' as const])),
  // A question about the bot, alone or after a greeting ("Hi, what can you do?").
  ...Object.fromEntries(ABOUT_THE_BOT.flatMap((words) => [words, ...GREETINGS.map((greeting) => `${greeting} ${words}`)]).map((words) => [words, 'help' as const])),
  ...Object.fromEntries(['cancel it', 'cancel that', 'cancel please', 'stop it'].map((words) => [words, 'cancel' as const])),
  ...ALIASES,
  help: 'help',
  status: 'status',
  history: 'history',
  cancel: 'cancel',
};

/**
 * Whether a text has more ASCII letters and digits than `max`: its plain words are then longer than
 * `max` too (they keep every letter), so no list entry that short can match. Most messages are
 * prompts, and this spares them the Unicode-aware regular expressions below.
 */
const surelyLonger = (text: string, max: number): boolean => {
  let count = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39)) {
      count += 1;
      if (count > max) return true;
    }
  }
  return false;
};

const LONGEST_WORDS = Math.max(...Object.keys(WORDS).map((words) => words.length));

const WORD_CHARACTER = /[\p{L}\p{N}]/u;

/**
 * A message's words as compared with the lists: lower case, without the punctuation and emoji around
 * them. Found by scanning in from both ends (a regular expression anchored at the end retries from
 * every position: quadratic in a long run of dots).
 */
const plainWords = (text: string): string => {
  const trimmed = text.trim().toLowerCase();
  const characters = Array.from(trimmed);
  const first = characters.findIndex((character) => WORD_CHARACTER.test(character));
  const last = characters.findLastIndex((character) => WORD_CHARACTER.test(character));
  const words = first === -1 ? '' : characters.slice(first, last + 1).join('').replace(/\s+/g, ' ');
  // "?" alone asks for help; stripped, it would be nothing.
  return words === '' && trimmed.startsWith('?') ? '?' : words;
};

/** "hi, what can you do" as the lists hold it: words and spaces ("?" alone stays: it asks for help). */
const withoutInnerPunctuation = (words: string): string => (words === '?' ? words : words.replace(/[,.!?;:]+/g, ' ').replace(/\s+/g, ' ').trim());

const GREETING_WORDS: ReadonlySet<string> = new Set(GREETINGS);

/** A bare greeting ("Hi!", "hello there"), not a question about the bot nor /help. */
const isGreeting = (word: string): boolean => !word.startsWith('/') && GREETING_WORDS.has(withoutInnerPunctuation(plainWords(word)));

export interface ParsedCommand {
  /** Undefined for a /word the bot does not know (it gets the help). */
  readonly name: CommandName | undefined;
  readonly word: string;
  readonly argument: string;
}

/**
 * `/Status please` -> 'status', `/model 2` -> 'model' with '2'. Without a slash, a message that is
 * only a greeting or a command's name (`Hi!`, `status`) is that command, unless `bareWords` is false
 * (a photo's caption: "hello" may be what the photo should do). Anything else is a prompt (null).
 */
export const parseCommand = (body: string, options: { readonly bareWords?: boolean } = {}): ParsedCommand | null => {
  const text = body.trim();
  if (!text.startsWith('/')) {
    const words = options.bareWords === false || surelyLonger(text, LONGEST_WORDS) ? undefined : withoutInnerPunctuation(plainWords(text));
    if (words === 'cancel all') return { name: 'cancel', word: text, argument: 'all' };
    const name = words === undefined ? undefined : WORDS[words];
    return name === undefined ? null : { name, word: text, argument: '' };
  }
  const word = text.slice(1).split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  return { name: COMMANDS.find((name) => name === word) ?? ALIASES[word], word: `/${word}`, argument: text.slice(1 + word.length).trim() };
};

/** Small talk rather than a description: each kind gets its own word back, not a video. */
export type SmallTalk = 'thanks' | 'agree' | 'bye';

/** Words that thank, agree or say goodbye rather than describe. */
const SMALL_TALK: ReadonlyMap<string, SmallTalk> = new Map([
  ...['thanks', 'thank you', 'thanks a lot', 'thank you so much', 'thx', 'ty', 'gracias', 'merci', 'danke', 'obrigado', 'obrigada', 'grazie'].map(
    (words) => [words, 'thanks'] as const,
  ),
  ...['ok', 'okay', 'k', 'cool', 'great', 'nice', 'perfect', 'awesome', 'amazing', 'love it'].map((words) => [words, 'agree'] as const),
  ...['bye', 'bye bye', 'goodbye', 'good bye', 'see you', 'see ya', 'cya'].map((words) => [words, 'bye'] as const),
]);
const LONGEST_SMALL_TALK = Math.max(...[...SMALL_TALK.keys()].map((words) => words.length));
const ONLY_EMOJI = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f|\s)*$/u;
/** Emoji that agree or cheer; folded hands thank. */
const REACTIONS = new Set(['👍', '🙏', '❤', '😊', '🙂', '👌', '🥰', '😍', '👏', '🤩', '😀', '😃', '😄', '💯', '🔥']);

/** Whether a message only thanks, agrees or says goodbye ("thanks!", "ok", "👍👍", "bye"), and which. */
export const smallTalkOf = (body: string): SmallTalk | undefined => {
  const text = body.trim();
  const words = surelyLonger(text, LONGEST_SMALL_TALK) ? undefined : SMALL_TALK.get(plainWords(text));
  if (words !== undefined) return words;
  if (text === '' || !ONLY_EMOJI.test(text)) return undefined;
  const pictures = [...text.replace(/[\s\ufe0f\u200d]|\p{Emoji_Modifier}/gu, '')];
  if (!pictures.every((picture) => REACTIONS.has(picture))) return undefined;
  return pictures.includes('🙏') ? 'thanks' : 'agree';
};

export interface CommandContext {
  readonly vidbot: Pick<Vidbot, 'store' | 'queue' | 'cancelTask' | 'config' | 'limits'>;
  readonly from: string;
  readonly imageToVideo: boolean;
  readonly voiceNotes?: boolean;
  /** How many models users may pick from: /help mentions /model when more than one. */
  readonly models?: number;
  readonly listSize?: number;
  /** A queued task's place in line as the ack tells it (bot/admission.ts); the queue's count without it. */
  placeOf?(task: Task, position: number | null): Promise<number | null>;
}

/** The command a mistyped /word was most likely meant to be (a letter off, or two swapped), if any. */
export const meantCommand = (word: string): string | undefined => {
  const typed = word.replace(/^\//, '').toLowerCase();
  if (typed.length < 3) return undefined;
  // One slip only (two would take "/dance" for /cancel), and only commands /help lists: "/stat" is not "/start".
  const near = COMMANDS.find((name) => editDistance(typed, name) === 1);
  return near === undefined ? undefined : `/${near}`;
};

export const runCommand = async (
  command: { name: Exclude<CommandName, 'model'> | undefined; word: string; argument?: string },
  context: CommandContext,
): Promise<string> => {
  const { vidbot, from } = context;
  const limit = context.listSize ?? 5;
  switch (command.name) {
    case undefined:
      return unknownCommandText(command.word, { ...context, meant: meantCommand(command.word) });
    case 'help':
      // "Hi" from someone the bot has answered before: a word back (and of a video on its way), not the whole welcome again.
      if (isGreeting(command.word)) {
        const [onItsWay, asked, session] = await Promise.all([
          vidbot.store.countTasks({ from, status: ['queued', 'processing', 'delivering'] }),
          vidbot.store.listTasks({ from, limit: 1 }),
          vidbot.store.getSession(from, { last: 3 }),
        ]);
        if (asked.length > 0 || session?.messages.some((message) => message.role === 'bot')) return welcomeBackText({ ...context, onItsWay });
      }
      return helpText(context);
    case 'status': {
      const placeOf = context.placeOf ?? (async (_task: Task, position: number | null) => position);
      const tasks = await vidbot.store.listTasks({ from, limit });
      const lines = await Promise.all(
        tasks.map(async (task) => ({
          task,
          position: task.status === 'queued' ? await placeOf(task, await vidbot.queue.position(task.jobId ?? task.taskId)) : null,
        })),
      );
      return statusText(lines, await vidbot.limits.allowance(from, Date.now()));
    }
    case 'history': {
      const videos = await vidbot.store.listVideos({ from, limit });
      // A take is the task's: read only where a prompt is listed more than once.
      const prompts = videos.map((video) => video.prompt);
      const repeated = prompts.some((prompt, i) => prompts.indexOf(prompt) !== i);
      const takes = new Map(repeated ? (await vidbot.store.listTasks({ from, limit: 50 })).map((task) => [task.taskId, task.options.take]) : []);
      return historyText(videos, Date.now(), (video) => takes.get(video.taskId));
    }
    case 'cancel': {
      const unfinished = await vidbot.store.listTasks({ from, status: ['queued', 'processing'], limit: MAX_CANCELED });
      // One already told to stop is not canceled (nor counted) again: it is stopping.
      const open = unfinished.filter((task) => !task.cancelRequested);
      const [newest] = open;
      if (newest === undefined) return unfinished[0] === undefined ? cancelTexts.nothing : cancelTexts.stopping(unfinished[0]);
      if (/^all$/i.test(command.argument ?? '')) {
        const answers = await Promise.all(open.map((task) => cancelOne(vidbot, task)));
        return cancelTexts.all(['canceled', 'stopping', 'late'].map((kind) => answers.filter((answer) => answer.kind === kind).length) as [number, number, number]);
      }
      // The newest unfinished task: what the user most likely means; the others are said to be there still.
      const { text } = await cancelOne(vidbot, newest, open.length - 1);
      return open.length > 1 ? `${text}\n${cancelTexts.more(open.length - 1)}` : text;
    }
  }
};

/** What "/cancel all" stops at most: more than a sender can queue in minutes under the rate limit. */
const MAX_CANCELED = 50;

const cancelOne = async (vidbot: CommandContext['vidbot'], task: Task, others = 0): Promise<{ kind: 'canceled' | 'stopping' | 'late'; text: string }> => {
  // Its answer is the word the user gets (a queued task's cancel needs no notice of its own).
  const result = await vidbot.cancelTask(task.taskId, { userTold: true });
  if (result.outcome === 'already-finished' && result.task.status === 'delivering') return { kind: 'late', text: cancelTexts.sending(result.task) };
  if (result.outcome === 'already-finished' && FINAL_TASK_STATUSES.includes(result.task.status)) {
    return result.task.status === 'done' ? { kind: 'late', text: cancelTexts.finished(result.task) } : { kind: 'canceled', text: cancelTexts.canceled(result.task, others) };
  }
  return result.outcome === 'canceled' ? { kind: 'canceled', text: cancelTexts.canceled(result.task, others) } : { kind: 'stopping', text: cancelTexts.stopping(result.task) };
};
