/**
 * Words for the person on the phone: every failure code has its own, and no text the bot sends
 * carries operator wording (variables, paths, tools, hosts, services' names, error messages).
 */
import { describe, expect, it } from 'vitest';
import type { Quota } from '../../src/lib/limits/index.ts';
import {
  ackText,
  cancelTexts,
  emptyPromptText,
  helpText,
  alreadyOnItsWayText,
  historyText,
  promptTooLongText,
  quotaLeftText,
  quotaUsedUpText,
  modelTexts,
  rateLimitedText,
  statusText,
  unknownCommandText,
  welcomeBackText,
  DEFAULT_IMAGE_PROMPT,
} from '../../src/lib/bot/replies.ts';
import { mediaTexts, voiceTexts } from '../../src/lib/bot/replies-media.ts';
import { type ErrorCode, errorCatalogue, vidbotError } from '../../src/lib/errors.ts';
import type { Task, Video } from '../../src/lib/store/port.ts';
import { FINAL_TASK_STATUSES, OPEN_TASK_STATUSES } from '../../src/lib/domain.ts';
import { choicesText } from '../../src/lib/channel/choices.ts';
import { choicesFor } from '../../src/lib/tasks/choices.ts';
import {
  CHOICE_TITLES,
  CHOICES_MESSAGE,
  choiceTexts,
  failureMessage,
  linkMessage,
  resultMessage,
  taskFailureReason,
  canceledMessage,
  undeliveredMessage,
  userReason,
} from '../../src/lib/tasks/messages.ts';
import { progressMessage } from '../../src/lib/tasks/progress-notice.ts';
import { modelChoices } from '../../src/lib/bot/models.ts';
import { modelLabel } from '../../src/lib/video-provider/allowed.ts';

const modelOptions = ['minimax/hailuo-2.3', 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video', 'acme/custom-model:abc123', 'cog', 'local-preview'].map((id) => ({
  id,
  label: modelLabel(id),
  provider: 'replicate',
}));

/** What an operator reads and a WhatsApp user must not: a message like this must never leak through. */
const OPERATOR_MESSAGE =
  'ffmpeg exited with 1: /usr/bin/ffmpeg -i /tmp/run-1/x.mp4; set PUBLIC_BASE_URL or REPLICATE_API_TOKEN in .env (see `vidbot doctor`), Replicate answered 502 at https://api.example.com';

const OPERATOR_WORDS = [
  /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/, // environment variables and error codes
  /\b(ffmpeg|ffprobe|vidbot |doctor|\.env|config|token|api key|stack|redis|sqlite|mongo|webhook|localhost|PUBLIC)\b/i,
  /\b(Replicate|Twilio|Cloudinary|OpenAI|ngrok)\b/,
  /\/(usr|tmp|var|home|bin)\//,
  /https?:\/\/(?!cdn\.example\.com)/,
  /\bset [A-Z]/,
];

const expectForThePhone = (text: string) => {
  for (const pattern of OPERATOR_WORDS) expect(text, `${pattern} in: ${text}`).not.toMatch(pattern);
};

const task = (over: Partial<Task> = {}): Task => ({
  taskId: 't1',
  prompt: 'a fox running through a neon city at night',
  sessionId: 'whatsapp:+15550001111',
  from: 'whatsapp:+15550001111',
  options: { provider: 'replicate', orientation: 'portrait', durationSec: 6, polish: true, useCache: true },
  status: 'queued',
  attempts: 1,
  createdAt: 1,
  updatedAt: 1,
  ...over,
});

describe('words for a failed task', () => {
  const codes = Object.keys(errorCatalogue) as ErrorCode[];

  it.each(codes)('%s has words for the user, with no operator wording and what to do', (code) => {
    const reason = userReason(vidbotError(code, OPERATOR_MESSAGE));
    const text = failureMessage(reason);
    expectForThePhone(text);
    expect(text).not.toContain('exited');
    expect(reason.why.length).toBeGreaterThan(10);
    expect(reason.next).toMatch(/^[A-Z].*\.$/);
    expectForThePhone(taskFailureReason(task({ status: 'failed', errorCode: code, error: OPERATOR_MESSAGE })));
  });

  it('tells an outage, a refusal by the model, and a crash on our side apart', () => {
    expect(userReason(vidbotError('VIDBOT_PROVIDER_FAILED', 'x')).why).toContain('busy or having trouble');
    expect(userReason(vidbotError('VIDBOT_GENERATION_FAILED', 'x', { details: { refusal: 'content' } })).why).toContain('turned that description down');
    // A crash of the encoder is ours, not a setup problem the user could be told about.
    expect(userReason(vidbotError('VIDBOT_FFMPEG_FAILED', 'x')).why).toBe('something went wrong on my side while making it.');
    expect(userReason(vidbotError('VIDBOT_PROVIDER_AUTH', 'x')).why).toContain("isn't set up correctly");
  });

  it('offers "Try again" on a failure notice only where the same request again can help', () => {
    const failedWith = (errorCode: string) => choicesFor('failure', task({ status: 'failed', errorCode }));
    expect(failedWith('VIDBOT_PROVIDER_FAILED')).toEqual([{ id: 'retry', title: '🔄 Try again' }]);
    // A model that failed by itself may well succeed the next time.
    expect(failedWith('VIDBOT_GENERATION_FAILED')).toHaveLength(1);
    // Kept on the task, so a notice sent again after a crash, the simulator and a typed "1" agree.
    expect(userReason(vidbotError('VIDBOT_CONTENT_REFUSED', 'x')).why).toContain('turned that description down');
    for (const code of ['VIDBOT_CONTENT_REFUSED', 'VIDBOT_BUDGET_REACHED', 'VIDBOT_SIZE_LIMIT_UNREACHABLE']) expect(failedWith(code)).toEqual([]);
  });

  it('gives unknown codes of stored tasks the words for a problem on our side', () => {
    expect(taskFailureReason(task({ status: 'failed', errorCode: 'SOMETHING_NEW' }))).toBe('something went wrong on my side while making it.');
    expect(taskFailureReason(task({ status: 'failed' }))).toBe('something went wrong on my side while making it.');
  });
});

describe('every text the bot sends', () => {
  const quota: Quota = { limit: 5, used: 5, left: 0, freesInMs: 3 * 3600_000 + 20 * 60_000 };
  const video = (over: Partial<Video> = {}): Video => ({
    videoId: 'v1',
    taskId: 't1',
    filename: 'v.mp4',
    path: '/var/lib/vidbot/media/v.mp4',
    prompt: 'a fox',
    sessionId: 'whatsapp:+15550001111',
    from: 'whatsapp:+15550001111',
    sizeBytes: 1,
    durationSec: 1,
    createdAt: Date.now() - 3 * 3600_000,
    ...over,
  });

  it('has no operator wording, whatever state the tasks are in', () => {
    const texts = [
      helpText({ imageToVideo: true, voiceNotes: true }),
      unknownCommandText('/frob', { imageToVideo: false }),
      statusText([...OPEN_TASK_STATUSES, ...FINAL_TASK_STATUSES].map((status) => ({ task: task({ status, errorCode: 'VIDBOT_FFMPEG_FAILED', error: OPERATOR_MESSAGE }), position: 2 })), quota),
      statusText([], { limit: 5, used: 1, left: 4 }),
      historyText([video(), video({ videoUrl: 'https://cdn.example.com/v.mp4' })]),
      historyText([]),
      ...[cancelTexts.canceled, cancelTexts.stopping, cancelTexts.finished, cancelTexts.sending].map((text) => text(task())),
      cancelTexts.nothing,
      cancelTexts.more(2),
      cancelTexts.all([2, 1, 1]),
      unknownCommandText('/stauts', { imageToVideo: false, meant: '/status' }),
      rateLimitedText(10, 30_000),
      emptyPromptText,
      promptTooLongText(2000, 1000),
      ...Object.values(mediaTexts).map((text) => (typeof text === 'string' ? text : text(5_000_000))),
      ...[voiceTexts.off, voiceTexts.noWords, voiceTexts.tooSlow, voiceTexts.failed, voiceTexts.format],
      voiceTexts.tooLarge(5_000_000),
      voiceTexts.heard('a red balloon over the sea'),
      ackText(3, 200, { limit: 5, used: 2, left: 3 }),
      quotaLeftText({ limit: 1, used: 1, left: 0 }),
      quotaUsedUpText(quota),
      resultMessage(task({ videoUrl: 'https://cdn.example.com/v.mp4' })).body,
      resultMessage(task()).body,
      resultMessage(task({ options: { ...task().options, provider: 'local' } }), { afterAll: true }).body,
      linkMessage(task({ videoUrl: 'https://cdn.example.com/v.mp4' })).body,
      undeliveredMessage(task()),
      canceledMessage(task()),
      progressMessage(task(), { seconds: 150 }),
      progressMessage(task(), { beyond: 'usual' }),
      progressMessage(task(), { beyond: 'nothing-to-go-by' }),
      statusText([{ task: task({ status: 'processing', stage: 'generate', progress: 40 }), position: null }]),
      // Reply buttons: the offer with its numbered fallback, the words on the buttons, the answers to a tap.
      choicesText(CHOICES_MESSAGE, choicesFor('choices', task())),
      choicesText(failureMessage(userReason(vidbotError('VIDBOT_PROVIDER_FAILED', OPERATOR_MESSAGE))), choicesFor('failure', task())),
      ...Object.values(CHOICE_TITLES),
      choiceTexts.again(task()),
      choiceTexts.orientation(task(), 'landscape'),
      choiceTexts.retry(task()),
      choiceTexts.resend(task()),
      choiceTexts.notFailed(task({ status: 'done' })),
      choiceTexts.notFailed(task({ status: 'processing' })),
      choiceTexts.alreadyAsked(task({ status: 'done' }), 'portrait'),
      choiceTexts.alreadyAsked(task({ status: 'queued' }), 'landscape'),
      choiceTexts.unknown,
      choiceTexts.bareNumber('2'),
      ackText(1, 60, undefined, choiceTexts.again(task())),
      // /model: the models by their names (catalogue ones, an operator's own id, the self-hosted one), and the answers.
      helpText({ imageToVideo: true, models: 3 }),
      ...modelOptions.map((model) => model.label),
      ...modelChoices(modelOptions).map((choice) => choice.title),
      choicesText(modelTexts.ask(modelOptions[0]?.label ?? ''), modelChoices(modelOptions)),
      modelTexts.list(modelOptions.map((model) => model.label), modelOptions[1]?.label ?? ''),
      modelTexts.only(modelLabel('cog')),
      modelTexts.picked(modelLabel('fal-ai/veo3.1')),
      modelTexts.unknown('sora-2'),
      modelTexts.unknownOnly('sora-2', modelLabel('minimax/video-01')),
      welcomeBackText({ imageToVideo: true, voiceNotes: true }),
      welcomeBackText({ imageToVideo: false, onItsWay: 2 }),
    ];
    for (const text of texts) expectForThePhone(text);
  });

  it('keeps model buttons within 20 characters and the failure of a spent budget polite', () => {
    for (const choice of modelChoices(modelOptions)) expect([...choice.title].length).toBeLessThanOrEqual(20);
    expect(failureMessage(userReason(vidbotError('VIDBOT_BUDGET_REACHED', OPERATOR_MESSAGE)))).toBe(
      "❌ Sorry, I couldn't make that video: I've made all the new videos I can for today. Please try again tomorrow.",
    );
  });

  it("tells a long job's progress: once with the time left, and in /status as a percent once there is one", () => {
    expect(progressMessage(task({ prompt: 'a fox  in\nthe snow' }), { seconds: 150 })).toBe('🎬 Still working on "a fox in the snow", about 3 min left.');
    expect(progressMessage(task({ prompt: 'x'.repeat(100) }), { seconds: 20 })).toMatch(/^🎬 Still working on "x{39}…", under a minute left\.$/);
    const processing = (over: Partial<Task>) => statusText([{ task: task({ status: 'processing', ...over }), position: null }]);
    expect(processing({ stage: 'generate', progress: 40 })).toContain('⚙️ in progress (generating the video, 40%)');
    expect(processing({ stage: 'generate', progress: 0 })).toContain('⚙️ in progress (generating the video)');
  });

  it('tells a prompt sent again where its first stands, and that it will come once', () => {
    const once = "\nYou'll get it once, no need to send it again.";
    expect(alreadyOnItsWayText(task(), { place: 2, etaSec: 150 })).toBe(`⏳ Already on it: "a fox running through a neon city at night" is #2 in line. ⏱️ Ready in about 3 min.${once}`);
    expect(alreadyOnItsWayText(task(), { place: 1, startsNow: true })).toBe(`⏳ Already on it: "a fox running through a neon city at night" is starting now.${once}`);
    expect(alreadyOnItsWayText(task())).toBe(`⏳ Already on it: "a fox running through a neon city at night" is in line.${once}`);
    // Past the line, no place nor ETA to tell.
    expect(alreadyOnItsWayText(task({ status: 'processing' }), { place: 2, etaSec: 150 })).toBe(`⏳ Already on it: "a fox running through a neon city at night" is being made right now.${once}`);
    expect(alreadyOnItsWayText(task({ status: 'delivering' }))).toBe(`⏳ Already on it: "a fox running through a neon city at night" is made and on its way to you.${once}`);
  });

  it('lists videos without a public link by when they were made, and /help promises no links', () => {
    expect(historyText([video()])).toContain('"a fox" — made 3 h ago');
    // Versions of one prompt: the landscape one says so, in the list and in /status.
    expect(historyText([video({ width: 1280, height: 720 }), video({ width: 720, height: 1280 })])).toMatch(/1\. "a fox" ↔️ — made 3 h ago\n2\. "a fox" — made/);
    expect(statusText([{ task: task({ options: { ...task().options, orientation: 'landscape' } }), position: 1 }])).toMatch(/…" ↔️ — /);
    // And a later take says which: two entries of the same words are two videos asked for, not one made twice.
    const takes = new Map([['t2', 2]]);
    expect(historyText([video({ taskId: 't2', width: 1280, height: 720 }), video({ taskId: 't1' })], Date.now(), (v) => takes.get(v.taskId))).toMatch(
      /1\. "a fox" ↔️ \(take 2\) — made 3 h ago\n2\. "a fox" — made/,
    );
    expect(statusText([{ task: task({ options: { ...task().options, take: 3 } }), position: 1 }])).toMatch(/…" \(take 3\) — /);
    expect(helpText({ imageToVideo: false })).toContain('/history — your recent videos');
    expect(helpText({ imageToVideo: false })).not.toContain('link');
  });

  it('calls a photo sent without words "your photo", not the words the bot chose for it, and marks versions under a video', () => {
    const photo = task({ prompt: DEFAULT_IMAGE_PROMPT, options: { ...task().options, firstFrameImage: '/data/inbound/SM1.png' } });
    expect(resultMessage(photo).body.split('\n')[1]).toBe('🎬 your photo');
    expect(canceledMessage(photo)).toBe('🛑 Canceled your photo. Send a new description whenever you like.');
    expect(choiceTexts.resend(photo)).toBe('📤 Sending the video of your photo to you again!');
    // In a list, two photos sent without words are told apart by when each was sent.
    expect(statusText([{ task: photo, position: 1 }], undefined, 1 + 5 * 60_000)).toContain('1. your photo (sent 5 min ago) — ⏳ queued, next in line');
    expect(historyText([video({ prompt: DEFAULT_IMAGE_PROMPT })])).toContain('1. your photo — made 3 h ago');
    expect(historyText([video({ prompt: DEFAULT_IMAGE_PROMPT, videoUrl: 'https://media.example/v.mp4' })])).toMatch(/1\. your photo \(sent 3 h ago\) — https:/);
    expect(alreadyOnItsWayText(photo)).toBe(`⏳ Already on it: your photo is in line.\nYou'll get it once, no need to send it again.`);
    // With a caption, the caption is what the user wrote, as the ack, the video and /status call it.
    expect(alreadyOnItsWayText({ ...photo, prompt: 'make it dance' })).toMatch(/^⏳ Already on it: "make it dance" is in line\./);
    // Takes and orientations of one prompt arrive told apart, as /status and /history tell them.
    expect(resultMessage(task({ options: { ...task().options, orientation: 'landscape', take: 2 } })).body).toMatch(/\n🎬 "a fox running through a neon city at night" ↔️ \(take 2\)$/);
  });

  it('labels a video by the provider that made it, not the one the task asked for', () => {
    const made = (provider: string) => ({ provider, model: provider === 'local' ? 'local-preview' : 'some/model', at: 1 });
    expect(resultMessage(task({ options: { ...task().options, provider: 'replicate' }, generation: made('local') })).body).toMatch(
      /^✅ Here's your video! \(a quick preview, not AI\)/,
    );
    expect(resultMessage(task({ options: { ...task().options, provider: 'local' }, generation: made('replicate') })).body).toMatch(/^✅ Here's your AI-generated video!\n/);
    // A cached video has no generation of its own: the task's provider says.
    expect(resultMessage(task({ options: { ...task().options, provider: 'local' } })).body).toContain('(a quick preview, not AI)');
  });

  it('says so when a video arrives after its user was told it failed', () => {
    expect(resultMessage(task(), { afterAll: true }).body).toMatch(/^✅ It worked this time: here is your video!/);
    expect(resultMessage(task()).body).toMatch(/^✅ Here's your AI-generated video!/);
  });

  it('says how long a voice note may be in time, as people know their notes, not in bytes', () => {
    expect(voiceTexts.tooLarge(5_000_000)).toContain('under about 20 minutes');
    expect(voiceTexts.tooLarge(100_000)).toContain('under about 25 seconds');
    expect(voiceTexts.tooLarge(5_000_000)).not.toMatch(/MB|bytes/);
  });

  it('keeps every button title within the 20 characters WhatsApp shows', () => {
    for (const title of Object.values(CHOICE_TITLES)) expect([...title].length, title).toBeLessThanOrEqual(20);
  });

  it('says how many videos are left and when the next frees up', () => {
    expect(quotaUsedUpText(quota)).toBe("🎟️ You've had all 5 of today's videos. The next one frees up in about 3 h 20 min; see you then!");
    expect(ackText(null, undefined, { limit: 5, used: 3, left: 2 })).toContain('\n🎟️ 2 of 5 videos left today.');
  });
});
