/**
 * A prompt that needs more than the typed path's one unit: a photo (fetched and checked first) or a
 * voice note's words, gated as a typed prompt is (the budget, the sender's limits) and queued
 * through Vidbot.submitTask. A request repeated while its video is on its way queues nothing
 * (bot/repeats.ts): the same words, or the same photo (its bytes) with the same caption.
 */
import { rm } from 'node:fs/promises';
import type { Vidbot } from '../create-vidbot.ts';
import type { InboundMessage } from '../channel/port.ts';
import type { Task } from '../store/port.ts';
import { IMAGE_TYPES } from '../media-type.ts';
import { hasWords } from '../pipeline/prompt.ts';
import { type Admission, budgetSpentReply } from './admission.ts';
import type { BudgetGate } from './budget-gate.ts';
import { type ModelContext, modelForPrompt } from './models.ts';
import { damagedPhoto, fetchPhoto } from './photo.ts';
import { type RepeatGuard, samePhotoKey, sameWordsKey } from '../limits/repeats.ts';
import { type StandingOf, sameVideoArrived, unlessRepeated } from './repeats.ts';
import { DEFAULT_IMAGE_PROMPT } from './replies.ts';
import { mediaTexts } from './replies-media.ts';
import type { Turns } from './turns.ts';
import { isLinkOnly, readPrompt } from './typed-prompt.ts';
import type { BotReply } from './types.ts';

export interface PromptQueueOptions {
  readonly vidbot: Pick<Vidbot, 'submitTask' | 'provider' | 'channels' | 'paths' | 'config' | 'ffmpeg' | 'isCached' | 'store'>;
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

  /**
   * The budget, then the sender's allowance, then the task. `photo`: its file, fetched, and decoded
   * only once admitted (a flood of photos is turned away before any decoding); `handedOver` is set
   * once a task may hold the file (from the call that stores it on, whatever that call's outcome).
   */
  const queue = async (message: InboundMessage, prompt: string, model: string | undefined, photo?: { file: string; handedOver: boolean }, signal?: AbortSignal): Promise<BotReply> => {
    const firstFrameImage = photo?.file;
    const spent = await budgetSpent({ prompt, model, uncached: firstFrameImage !== undefined });
    if (spent !== undefined) return budgetSpentReply(spent, now());

    const admission = await admit(message);
    if (admission.denied !== undefined) return admission.denied;
    const damaged = firstFrameImage === undefined ? undefined : await damagedPhoto(vidbot, firstFrameImage, signal);
    if (damaged !== undefined) return reject(damaged);

    if (photo !== undefined) photo.handedOver = true;
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
    if (image === undefined) {
      const request = { key: sameWordsKey({ from: message.from, prompt, model }), messageId: message.messageId };
      const hadAlready = (earlier: Task) => sameVideoArrived(vidbot, earlier, prompt, model);
      return unlessRepeated(options.repeats, request, { asked: 'words', standingOf: options.standingOf, hadAlready }, () => queue(message, prompt, model));
    }
    // The photo is fetched first: what it is tells a repeat (the same photo sent twice) from a new one.
    const photo = await fetchPhoto(vidbot, message, image, signal);
    if ('refused' in photo) return reject(photo.refused);
    const request = { key: samePhotoKey({ from: message.from, photo: photo.digest, prompt, model }), messageId: message.messageId };
    const held = { file: photo.file, handedOver: false };
    try {
      return await unlessRepeated(options.repeats, request, { asked: 'words', standingOf: options.standingOf }, () => queue(message, prompt, model, held, signal));
    } finally {
      // A task keeps the file once it may hold it; a repeat, a refusal or a failure before that has no use for it.
      if (!held.handedOver) await rm(photo.file, { force: true });
    }
  };
};
