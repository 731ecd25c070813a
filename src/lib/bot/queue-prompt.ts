/**
 * A prompt that needs more than the typed path's one unit: a photo (fetched and checked first) or a
 * voice note's words, gated as a typed prompt is (the budget, the sender's limits) and queued
 * through Vidbot.submitTask. Words alone repeated while their video is on its way queue nothing
 * (bot/repeats.ts); a photo is a video of its own.
 */
import type { Vidbot } from '../create-vidbot.ts';
import type { InboundMessage } from '../channel/port.ts';
import type { Task } from '../store/port.ts';
import { IMAGE_TYPES } from '../media-type.ts';
import { hasWords } from '../pipeline/prompt.ts';
import { type Admission, budgetSpentReply } from './admission.ts';
import type { BudgetGate } from './budget-gate.ts';
import { type ModelContext, modelForPrompt } from './models.ts';
import { fetchPhoto } from './photo.ts';
import { type RepeatGuard, sameWordsKey } from '../limits/repeats.ts';
import { type StandingOf, sameVideoArrived, unlessRepeated } from './repeats.ts';
import { DEFAULT_IMAGE_PROMPT } from './replies.ts';
import { mediaTexts } from './replies-media.ts';
import type { Turns } from './turns.ts';
import { isLinkOnly, readPrompt } from './typed-prompt.ts';
import type { BotReply } from './types.ts';

export interface PromptQueueOptions {
  readonly vidbot: Pick<Vidbot, 'submitTask' | 'provider' | 'channels' | 'paths' | 'config' | 'ffmpeg' | 'isCached'>;
  readonly models: ModelContext;
  readonly budgetSpent: BudgetGate;
  readonly admit: Turns['admit'];
  /** The answer for a task just queued (its place in line, an ETA, the allowance left). */
  acknowledge(task: Pick<Task, 'taskId' | 'from' | 'jobId'>, admission: Admission): Promise<BotReply>;
  readonly repeats: RepeatGuard;
  /** Where a task on its way stands, told to a request repeated while it waits. */
  readonly standingOf: StandingOf;
  readonly now: () => number;
}

const reject = (text: string): BotReply => ({ text, kind: 'rejected', duplicate: false });

export const createPromptQueue = (options: PromptQueueOptions): ((message: InboundMessage, signal?: AbortSignal) => Promise<BotReply>) => {
  const { vidbot, budgetSpent, admit, acknowledge, now } = options;
  const { config } = vidbot;

  const queue = async (message: InboundMessage, prompt: string, model: string | undefined, signal?: AbortSignal): Promise<BotReply> => {
    const image = message.media[0];
    const spent = await budgetSpent({ prompt, model, uncached: image !== undefined });
    if (spent !== undefined) return budgetSpentReply(spent, now());

    const admission = await admit(message);
    if (admission.denied !== undefined) return admission.denied;

    let firstFrameImage: string | undefined;
    if (image !== undefined) {
      const photo = await fetchPhoto(vidbot, message, image, signal);
      if ('refused' in photo) return reject(photo.refused);
      firstFrameImage = photo.file;
    }

    const { task } = await vidbot.submitTask({
      prompt,
      from: message.from,
      sessionId: message.from,
      messageId: message.messageId,
      channel: message.channel,
      options: { ...(firstFrameImage ? { firstFrameImage } : {}), ...(model ? { model } : {}) },
    });
    return acknowledge(task, admission);
  };

  return async (message, signal) => {
    const image = message.media[0];
    // The sender's pick with /model, when they made one.
    const model = await modelForPrompt(options.models, message.from);
    if (image !== undefined) {
      if (IMAGE_TYPES[image.contentType.toLowerCase()] === undefined) return reject(mediaTexts.notImage);
      if (!vidbot.provider.capabilities(model).imageToVideo) return reject(mediaTexts.imageToVideoUnsupported);
    }
    // A photo's caption of no words (a dot, zero-width spaces) is no caption: the photo is animated as
    // one without. Nor is a link (the photo is what to animate; a page is fetched by no one).
    const caption = message.body.trim();
    const read = readPrompt(image !== undefined && (!hasWords(caption) || isLinkOnly(caption)) ? DEFAULT_IMAGE_PROMPT : caption, config.promptMaxChars);
    if ('refused' in read) return read.refused;
    const { prompt } = read;
    if (image !== undefined) return queue(message, prompt, model, signal);
    const request = { key: sameWordsKey({ from: message.from, prompt, model }), messageId: message.messageId };
    const hadAlready = (earlier: Task) => sameVideoArrived(vidbot, earlier, prompt, model);
    return unlessRepeated(options.repeats, request, { asked: 'words', standingOf: options.standingOf, hadAlready }, () => queue(message, prompt, model, signal));
  };
};
