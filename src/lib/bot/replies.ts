/**
 * The texts the bot sends in reply, here and beside it (replies-media.ts: about photos, voice notes
 * and other messages that are not words), so the tone stays the same: short, friendly,
 * WhatsApp-style, with an emoji up front like the seed bot's messages.
 */
import type { PipelineStage, Task, Video } from '../store/port.ts';
import type { Quota } from '../limits/port.ts';
import { cutText } from '../text.ts';
import { formatEta } from '../tasks/eta.ts';
import { ACK_MESSAGE, DEFAULT_IMAGE_PROMPT, promptLabel, taskFailureReason, versionMarks } from '../tasks/messages.ts';

export { formatEta };

export { DEFAULT_IMAGE_PROMPT };

const EXAMPLES = ['a fox running through a neon city at night', 'a paper boat sailing down a rainy street, close-up'];

export const helpText = (options: { imageToVideo: boolean; voiceNotes?: boolean; models?: number }): string =>
  [
    "👋 Hi! I turn your words into short videos.",
    '',
    'Just send a description, for example:',
    ...EXAMPLES.map((example) => `• ${example}`),
    ...(options.imageToVideo ? ['📷 Or send a photo (with a caption if you like) to bring it to life.'] : []),
    ...(options.voiceNotes ? ["🎙️ Or just say it in a voice note, and I'll use what you say."] : []),
    '',
    'Commands:',
    '/status — your latest requests',
    '/history — your recent videos',
    '/cancel — stop your newest request (/cancel all: every one)',
    ...((options.models ?? 0) > 1 ? ['/model — choose the video model for your next videos'] : []),
    '/help — this message',
  ].join('\n');

/** A greeting from someone the bot has answered before: not the whole welcome again; `onItsWay`: their videos still coming. */
export const welcomeBackText = (options: { imageToVideo: boolean; voiceNotes?: boolean; onItsWay?: number }): string => {
  const ways = ['a description', ...(options.imageToVideo ? ['a photo'] : []), ...(options.voiceNotes ? ['a voice note'] : [])];
  const what = ways.length === 1 ? ways[0] : `${ways.slice(0, -1).join(', ')} or ${ways.at(-1)}`;
  const coming = options.onItsWay ?? 0;
  if (coming > 0) return `👋 Hi again! ${coming === 1 ? 'Your video is' : `Your ${coming} videos are`} on the way: /status says where. Send ${what} for another.`;
  return `👋 Hi again! Send ${what} and I'll make you a video. /help lists everything I can do.`;
};

export const unknownCommandText = (word: string, options: { imageToVideo: boolean; voiceNotes?: boolean; models?: number; meant?: string | undefined }): string =>
  options.meant === undefined
    ? // Short, as a typo's answer is: the commands by name, and where to read what each does.
      `🤔 I don't know the command "${shorten(word, 20)}". I know /help, /status, /history, /cancel${(options.models ?? 0) > 1 ? ' and /model' : ''}: send /help to see what each does.`
    : `🤔 I don't know the command "${shorten(word, 20)}". Did you mean ${options.meant}? Send /help for all of them.`;

/** Collapses whitespace and cuts long text to `max` characters as seen, between words where it can (text.ts). */
export const shorten = (text: string, max = 40): string => cutText(text, max, { atWord: true });

const STAGE_LABELS: Readonly<Record<PipelineStage, string>> = {
  polish: 'polishing your prompt',
  cache: 'looking for a ready-made copy',
  generate: 'generating the video',
  compress: 'compressing it for WhatsApp',
  publish: 'uploading it',
  deliver: 'sending it to you',
};

/** One task's state for /status; position comes from the queue for queued tasks. */
export const taskStateText = (task: Task, position: number | null): string => {
  switch (task.status) {
    case 'queued':
      if (position === 0) return '⚙️ starting now';
      return position === null ? '⏳ queued' : `⏳ queued, ${placeText(position)}`;
    case 'processing': {
      // A percent of 0 tells nothing yet; the stage alone says where it is.
      const detail = [task.stage && STAGE_LABELS[task.stage], task.progress ? `${task.progress}%` : undefined].filter(Boolean).join(', ');
      return detail ? `⚙️ in progress (${detail})` : '⚙️ in progress';
    }
    case 'delivering':
      // Between delivery rounds (tasks/delivery-retry.ts): made, and waiting for the channel to take it.
      if ((task.delivery?.rounds ?? 0) > 0) return "📤 ready, but it couldn't be sent yet: trying again";
      return task.delivery?.fallback === 'link' ? '📤 sending you the link' : '📤 sending it to you';
    case 'done':
      return deliveredText(task);
    case 'failed':
      // A made video that never arrived says so; the reason a video was not made, in the user's words.
      if (task.videoId && task.delivery !== undefined) return "⚠️ made, but it couldn't be delivered";
      return `❌ failed: ${shorten(taskFailureReason(task), 80)}`;
    case 'canceled':
      return '🚫 canceled';
  }
};

/** A done task: where its message stands, as far as the phone has told. */
const deliveredText = (task: Task): string => {
  // The local channel (no messenger set up) carries nothing anywhere: made, and kept here.
  if (task.delivery?.channel === 'local') return '✅ done';
  switch (task.delivery?.status) {
    case undefined:
      return '✅ done';
    case 'read':
      return '👀 seen';
    case 'delivered':
      return '✅ delivered';
    default:
      return task.delivery?.fallback === 'link' ? '📤 sent as a link' : '📤 sent';
  }
};

const placeText = (position: number): string => (position === 1 ? 'next in line' : `#${position} in line`);

/** A request in a list (/status, /history): photos sent without words are told apart by when they were sent. */
const listLabel = (prompt: string, at: number, now: number): string =>
  prompt === DEFAULT_IMAGE_PROMPT ? `your photo (sent ${agoText(now - at)})` : promptLabel(prompt, 40);

export const statusText = (lines: readonly { task: Task; position: number | null }[], quota?: Quota, now = Date.now()): string => {
  const allowance = quota === undefined ? [] : [quota.left === 0 ? quotaUsedUpText(quota) : quotaLeftText(quota)];
  return lines.length === 0
    ? ["📭 You haven't asked for any videos yet. Send a description to make your first one!", ...allowance].join('\n')
    : [
        '📋 Your latest requests:',
        ...lines.map(({ task, position }, i) => `${i + 1}. ${listLabel(task.prompt, task.createdAt, now)}${versionMarks(task.options.orientation === 'landscape', task.options.take)} — ${taskStateText(task, position)}`),
        ...allowance,
      ].join('\n');
};

/** "just now", "5 min ago", "3 h ago", "2 days ago": when a video was made, as a chat would say it. */
export const agoText = (ms: number): string => {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
};

/** Each video with its link where it has one (links expire with the media host's retention), else when it was made. */
export const historyText = (videos: readonly Video[], now = Date.now(), takeOf: (video: Video) => number | undefined = () => undefined): string =>
  videos.length === 0
    ? "📭 No videos yet. Send a description and I'll make one!"
    : [
        '🎞️ Your recent videos:',
        ...videos.map(
          (video, i) =>
            // Without a link the line ends with when it was made, which tells two photos apart already.
            `${i + 1}. ${video.videoUrl ? listLabel(video.prompt, video.createdAt, now) : promptLabel(video.prompt, 40)}${versionMarks((video.width ?? 0) > (video.height ?? 0), takeOf(video))} — ${video.videoUrl ?? `made ${agoText(now - video.createdAt)}`}`,
        ),
      ].join('\n');

export const cancelTexts = {
  /** `others`: the sender's other videos still on the way (told next), when an invitation to send a new one would be beside the point. */
  canceled: (task: Task, others = 0) => `🛑 Canceled ${promptLabel(task.prompt, 40)}.${others > 0 ? '' : ' Send a new description whenever you like.'}`,
  stopping: (task: Task) => `🛑 Stopping ${promptLabel(task.prompt, 40)}... it's already in progress, so it may take a moment.`,
  finished: (task: Task) => `✅ Too late to cancel ${promptLabel(task.prompt, 40)}: it has already finished.`,
  sending: (task: Task) => `📬 Too late to cancel ${promptLabel(task.prompt, 40)}: it's made and on its way to you.`,
  nothing: "🤷 There's nothing to cancel: you have no videos queued or in progress.",
  more: (count: number) => `📋 You have ${count} more on the way: send /cancel again for the next, or /cancel all.`,
  all: ([canceled, stopping, late]: readonly [number, number, number]) =>
    [
      // Waiting ones are canceled now; one in progress is only told to stop, and its stop is confirmed
      // in a message of its own (as a plain /cancel's is): said so, rather than counted as canceled.
      canceled > 0 ? `🛑 Canceled ${plural(canceled, stopping > 0 ? 'waiting video' : 'video')}.` : '',
      stopping > 0
        ? `${canceled > 0 ? 'And stopping' : '🛑 Stopping'} the ${stopping === 1 ? (canceled > 0 ? 'one' : 'video') : `${stopping}${canceled > 0 ? '' : ' videos'}`} already in progress: I'll tell you when ${stopping === 1 ? 'it has' : 'they have'} stopped.`
        : '',
      late > 0 ? `📬 Too late for ${plural(late, 'video')}: already made and on ${late === 1 ? 'its' : 'their'} way.` : '',
      'Send a new description whenever you like.',
    ]
      .filter(Boolean)
      .join(' '),
};

const plural = (count: number, noun: string): string => (count === 1 ? `1 ${noun}` : `${count} ${noun}s`);

/** /model: the models a user may pick (by their names, never an id or a service), and their pick. */
export const modelTexts = {
  only: (label: string) => `🎞️ I make videos with one model here: ${label}.`,
  /** Three or fewer: buttons (or "Reply 1 for …" where there are none) follow this. */
  ask: (current: string) => `🎞️ Which video model should I use for your next videos? Now: ${current}.`,
  /** More than buttons can show: a numbered list to answer with a number. */
  list: (labels: readonly string[], current: string) =>
    ['🎞️ Video models you can pick:', ...labels.map((label, i) => `${i + 1}. ${label}${label === current ? ' (now)' : ''}`), '', 'Reply with a number to pick one.'].join('\n'),
  picked: (label: string) => `✅ Got it: your next videos will be made with ${label}.`,
  unknown: (asked: string) => `🤔 I can't make videos with "${shorten(asked, 30)}" here. Send /model to see the models you can pick.`,
  /** Asked for another where there is only one: /model would list nothing to pick. */
  unknownOnly: (asked: string, label: string) => `🤔 I can't make videos with "${shorten(asked, 30)}" here: I make them with one model, ${label}.`,
};

/** After a task is queued under a daily limit: what is left of it. */
export const quotaLeftText = (quota: Quota): string =>
  quota.left === 0
    ? `🎟️ That was your last video for today (${quota.limit} a day).`
    : `🎟️ ${quota.left} of ${quota.limit} video${quota.limit === 1 ? '' : 's'} left today.`;

/** Nothing left today: when the next one frees up. */
export const quotaUsedUpText = (quota: Quota): string =>
  `🎟️ You've had ${quota.limit === 1 ? "today's video" : `all ${quota.limit} of today's videos`}. The next one frees up in ${formatEta((quota.freesInMs ?? 0) / 1000)}; see you then!`;

/** Today's generation budget is spent: no new video until the next day (UTC) starts. */
export const budgetSpentText = (msUntilReset: number): string =>
  `🌙 I've made all the new videos I can for today. New ones start again in ${formatEta(msUntilReset / 1000)}; please send your description then.`;

/** The rate-limited reply starts with this, so a replayed reply can be recognised. */
export const RATE_LIMITED_PREFIX = "⏳ Whoa, that's a lot of requests!";

export const rateLimitedText = (limit: number, retryAfterMs: number): string => {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return `${RATE_LIMITED_PREFIX} You can ask for up to ${limit} video${limit === 1 ? '' : 's'} a minute. Please try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
};

export const emptyPromptText = `✍️ Send me a short description of the video you'd like, e.g. "${EXAMPLES[0]}". Send /help for more.`;

/** A link alone: nothing is fetched from it (a page is no description), so the user is asked for words. */
export const linkOnlyText = `🔗 I can't open links. Describe the video you'd like in words, e.g. "${EXAMPLES[1]}".`;

export const promptTooLongText = (length: number, maxChars: number): string =>
  `📏 That description is ${length} characters long. Please keep it to ${maxChars} characters or fewer and send it again.`;

/**
 * The answer to a prompt sent again while its video is still on its way (bot/repeats.ts): nothing
 * new is queued, and the user learns why. (No button is promised: the offer of another take comes
 * only under a sender's newest video, and only while they have videos left today.)
 */
export const alreadyOnItsWayText = (task: Task, standing: { place: number | null; etaSec?: number; startsNow?: boolean } = { place: null }): string => {
  const about = promptLabel(task.prompt, 60);
  const { place, etaSec, startsNow } = standing;
  // Where a queued one stands, as the ack and /status tell it: the question behind a prompt sent again is "when?".
  const inLine = startsNow === true || place === 0 ? 'is starting now' : place !== null && place > 0 ? `is ${placeText(place)}` : 'is in line';
  const state = task.status === 'queued' ? inLine : task.status === 'processing' ? 'is being made right now' : 'is made and on its way to you';
  const eta = task.status === 'queued' && etaSec !== undefined ? ` ⏱️ Ready in ${formatEta(etaSec)}.` : '';
  return `⏳ Already on it: ${about} ${state}.${eta}\nYou'll get it once, no need to send it again.`;
};

/**
 * The answer to a prompt sent again after its video arrived, when making it again would send the
 * same video (the cache has it): the user has it already, and learns how to get a new one.
 */
export const alreadyHaveText = (task: Task, { offered = false }: { offered?: boolean } = {}): string =>
  `✅ You already have ${promptLabel(task.prompt, 60)}: it's in our chat above. For a new version, ${offered ? 'tap 🔁 Another take under it, or ' : ''}describe it in other words (capitals and punctuation don't count).`;

/**
 * The seed's acknowledgement (or another headline, e.g. for a tapped button), then where the task
 * stands and when it should be ready, and what is left of the daily allowance.
 */
export const ackText = (position: number | null, etaSec: number | undefined, quota?: Quota, headline = ACK_MESSAGE, { starting = false } = {}): string => {
  const parts: string[] = [];
  // Starting: just queued, and a free worker takes it at once (no line to stand in).
  if (starting) parts.push('⚙️ Starting on it now.');
  else if (position === 0) parts.push("⚙️ It's being made right now.");
  else if (position !== null) parts.push(position === 1 ? "📋 You're next in line." : `📋 You're #${position} in line.`);
  if (etaSec !== undefined) parts.push(`⏱️ Ready in ${formatEta(etaSec)}.`);
  const lines = [headline, ...(parts.length === 0 ? [] : [parts.join(' ')]), ...(quota ? [quotaLeftText(quota)] : [])];
  return lines.join('\n');
};
