/**
 * Why a task failed, in words for the person on the phone, and what they can do about it. Error
 * messages are for the operator (they name variables, paths, tools, hosts) and stay in the task's
 * record, the logs and the dashboard; the user gets one of these, chosen by the error's code.
 */
import type { ErrorCode } from '../errors.ts';

export interface UserReason {
  /** Why, after "I couldn't make that video: ". */
  readonly why: string;
  /** What they can do now. */
  readonly next: string;
  /** False when the same request again cannot help (the words must change, or the day): no "Try again" button then. */
  readonly retry?: false;
}

const OUR_SIDE: UserReason = {
  why: 'something went wrong on my side while making it.',
  next: "Please try again in a little while; the bot's owner can see what happened.",
};
const NOT_SET_UP: UserReason = {
  why: "the video service isn't set up correctly right now.",
  next: "The bot's owner can see why; please try again later.",
};
const BUSY: UserReason = {
  why: 'the video service is busy or having trouble.',
  next: 'Please try again in a few minutes.',
};

/** A Record, so a new error code does not compile until it has words for the user. */
const REASONS: Readonly<Record<ErrorCode, UserReason>> = {
  VIDBOT_PROMPT_EMPTY: { why: 'the description was empty.', next: 'Send a few words about the video you would like.', retry: false },
  VIDBOT_PROMPT_TOO_LONG: { why: 'the description is too long.', next: 'Please send a shorter one.', retry: false },
  VIDBOT_CAPABILITY_UNSUPPORTED: {
    why: "this bot's video model can't do that (for example, it may not animate photos).",
    next: 'Try describing the video in words instead.',
    retry: false,
  },
  VIDBOT_GENERATION_FAILED: {
    why: "the video model couldn't make a video from that description.",
    next: 'Try describing it a little differently.',
  },
  VIDBOT_CONTENT_REFUSED: {
    why: 'the video model turned that description down (it may have looked unsafe to it).',
    next: 'Try describing it differently.',
    retry: false,
  },
  VIDBOT_SIZE_LIMIT_UNREACHABLE: { why: 'the video came out too big to send on WhatsApp.', next: 'Try asking for something simpler.', retry: false },
  VIDBOT_CANCELED: { why: 'it was canceled.', next: 'Send the description again whenever you like.' },
  VIDBOT_DELIVERY_REFUSED: { why: "WhatsApp wouldn't take the video.", next: 'Please try again later.' },
  // Voice notes are transcribed before a task exists (bot/voice.ts has those replies); for completeness.
  VIDBOT_TRANSCRIPTION_FAILED: { why: "I couldn't listen to the voice note.", next: 'Please try again, or type your description.' },
  VIDBOT_RATE_LIMITED: BUSY,
  VIDBOT_BUDGET_REACHED: {
    why: "I've made all the new videos I can for today.",
    next: 'Please try again tomorrow.',
    retry: false,
  },
  VIDBOT_PROVIDER_FAILED: BUSY,
  VIDBOT_TIMEOUT: BUSY,
  VIDBOT_MESSENGER_FAILED: BUSY,
  VIDBOT_STORE_FAILED: OUR_SIDE,
  VIDBOT_PROVIDER_AUTH: NOT_SET_UP,
  VIDBOT_MODEL_UNKNOWN: NOT_SET_UP,
  VIDBOT_PROVIDER_UNKNOWN: NOT_SET_UP,
  VIDBOT_CONFIG_INVALID: NOT_SET_UP,
  VIDBOT_FFMPEG_NOT_FOUND: NOT_SET_UP,
  VIDBOT_MESSENGER_AUTH: NOT_SET_UP,
  VIDBOT_FFMPEG_FAILED: OUR_SIDE,
  VIDBOT_JOB_ABANDONED: OUR_SIDE,
  VIDBOT_MEDIA_INVALID: OUR_SIDE,
  VIDBOT_FILE_NOT_FOUND: OUR_SIDE,
  VIDBOT_OUTPUT_UNWRITABLE: OUR_SIDE,
  VIDBOT_INPUT_INVALID: OUR_SIDE,
  VIDBOT_TASK_NOT_FOUND: OUR_SIDE,
  VIDBOT_CONFLICT: OUR_SIDE,
  VIDBOT_SIGNATURE_INVALID: OUR_SIDE,
  VIDBOT_UNAUTHORIZED: OUR_SIDE,
  VIDBOT_NOT_FOUND: OUR_SIDE,
  VIDBOT_UNSUPPORTED_MEDIA_TYPE: OUR_SIDE,
  VIDBOT_BODY_TOO_LARGE: OUR_SIDE,
  VIDBOT_PORT_IN_USE: OUR_SIDE,
  VIDBOT_TUNNEL_FAILED: OUR_SIDE,
  VIDBOT_SERVER_UNREACHABLE: OUR_SIDE,
  VIDBOT_DOCTOR_FAILED: OUR_SIDE,
  VIDBOT_INVALID_ARGUMENT: OUR_SIDE,
  VIDBOT_INTERNAL: OUR_SIDE,
};

/** A model that refused the content itself (a safety filter) says so in its own words; the user gets this. */
const CONTENT_REFUSED: UserReason = {
  why: 'the video model turned that description down (it may have looked unsafe to it).',
  next: 'Try describing it differently.',
  retry: false,
};

/**
 * Why, for an error with this code. `details.refusal === 'content'` (set by providers whose model
 * refused the prompt) gets its own words; nothing from the error's message ever reaches the user.
 */
export const userReasonFor = (code: string | undefined, details: Readonly<Record<string, unknown>> = {}): UserReason => {
  if (details.refusal === 'content') return CONTENT_REFUSED;
  return (code !== undefined && Object.hasOwn(REASONS, code) ? REASONS[code as ErrorCode] : undefined) ?? OUR_SIDE;
};
