/**
 * Voice-note prompts: a message whose media is audio is fetched under its channel's rules,
 * transcribed, and its transcript queued as if the user had typed it; the acknowledgement starts
 * with what was heard. All of it happens while the webhook waits, so it has a time budget well
 * inside Twilio's 15 s; past it, the user is asked to try again or type.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Vidbot } from '../create-vidbot.ts';
import { isVidbotError, throwIfAborted } from '../errors.ts';
import { type InboundFile, MediaDownloadError, downloadInboundMedia } from '../channel/media.ts';
import type { InboundMedia, InboundMessage } from '../channel/port.ts';
import { declaredKind } from '../media-type.ts';
import { convertToOggOpus } from '../transcriber/convert.ts';
import type { Transcriber, Transcript } from '../transcriber/port.ts';
import { voiceTexts } from './replies-media.ts';
import type { BotReply } from './types.ts';

export interface VoiceNotesOptions {
  readonly vidbot: Pick<Vidbot, 'config' | 'paths' | 'channels' | 'conversation' | 'ffmpeg'>;
  /** Absent when voice notes are off (no OPENAI_API_KEY, or VIDBOT_VOICE_NOTES=false). */
  readonly transcriber: Transcriber | undefined;
  /** Told what the user is not: why a voice note was refused or failed, in operator words. */
  readonly onWarning?: (message: string) => void;
}

export interface VoiceNotes {
  /** Whether the message is a voice note: its first media says it is audio. */
  handles(message: InboundMessage): boolean;
  /** Transcribes it and hands the transcript to `queue` as a typed prompt; or a kind reply saying why not. */
  answer(message: InboundMessage, queue: (typed: InboundMessage) => Promise<BotReply>, signal?: AbortSignal): Promise<BotReply>;
}

type Heard = { readonly transcript: Transcript; readonly contentType: string } | { readonly reply: string };

const reject = (text: string): BotReply => ({ text, kind: 'rejected', duplicate: false });

/** Transcripts of silence or noise come back as "", "." or "…": no letter or digit, no words. */
const hasWords = (text: string): boolean => /[\p{L}\p{N}]/u.test(text);

export const createVoiceNotes = ({ vidbot, transcriber, onWarning }: VoiceNotesOptions): VoiceNotes => {
  const { config } = vidbot;
  const budgetMs = config.voiceNoteTimeoutSec * 1000;

  const hear = async (message: InboundMessage, media: InboundMedia, using: Transcriber, signal?: AbortSignal): Promise<Heard> => {
    const budget = AbortSignal.timeout(budgetMs);
    const within = signal ? AbortSignal.any([signal, budget]) : budget;
    let saved: InboundFile | undefined;
    let converted: string | undefined;
    try {
      // Fetched under the rules of the channel the message came through: its hosts, its credentials.
      saved = await downloadInboundMedia(media.url, vidbot.channels.get(message.channel).media, 'audio', {
        dir: join(vidbot.paths.dataDir, 'inbound'),
        maxBytes: config.voiceNoteMaxBytes,
        name: message.messageId,
        signal: within,
        timeoutMs: budgetMs,
      });
      if (using.formats !== undefined && !using.formats.includes(saved.contentType)) {
        converted = await convertToOggOpus(saved.file, { ffmpeg: vidbot.ffmpeg.ffmpeg, signal: within });
      }
      return { transcript: await using.transcribe(converted ?? saved.file, { signal: within }), contentType: saved.contentType };
    } catch (error) {
      throwIfAborted(signal);
      if (budget.aborted) {
        onWarning?.(`Voice note ${message.messageId} was not fetched and transcribed within ${config.voiceNoteTimeoutSec} s (VIDBOT_VOICE_NOTE_TIMEOUT_SEC); the user was asked to try again.`);
        return { reply: voiceTexts.tooSlow };
      }
      if (error instanceof MediaDownloadError) {
        onWarning?.(`Voice note ${message.messageId} refused: ${error.message}`);
        if (error.reason === 'too-large') return { reply: voiceTexts.tooLarge(config.voiceNoteMaxBytes) };
        return { reply: error.reason === 'not-audio' ? voiceTexts.format : voiceTexts.failed };
      }
      // A message that cannot be stored is not acknowledged: the webhook fails and Twilio may retry.
      if (!isVidbotError(error) || error.code === 'VIDBOT_STORE_FAILED') throw error;
      onWarning?.(`Voice note ${message.messageId} could not be transcribed: ${error.message} ${error.hint}`);
      return { reply: voiceTexts.failed };
    } finally {
      // The words are kept in the session log; the recording itself is not needed any more.
      for (const file of [saved?.file, converted]) if (file !== undefined) await rm(file, { force: true });
    }
  };

  return {
    handles: (message) => {
      const media = message.media[0];
      return media !== undefined && declaredKind(media.contentType) === 'audio';
    },
    async answer(message, queue, signal) {
      const media = message.media[0];
      if (media === undefined) return queue(message);
      if (transcriber === undefined) {
        onWarning?.(
          `Voice note ${message.messageId} refused: voice notes need OPENAI_API_KEY${config.voiceNotes ? '' : ' and VIDBOT_VOICE_NOTES not false'}.`,
        );
        return reject(voiceTexts.off);
      }
      const heard = await hear(message, media, transcriber, signal);
      if ('reply' in heard) return reject(heard.reply);
      const text = heard.transcript.text.replace(/\s+/g, ' ').trim();
      if (!hasWords(text)) return reject(voiceTexts.noWords);
      const { durationSec, language } = heard.transcript;
      await vidbot.conversation.userSaid(message.from, text, {
        messageSid: message.messageId,
        voiceNote: {
          contentType: heard.contentType,
          transcriber: transcriber.name,
          ...(transcriber.model ? { model: transcriber.model } : {}),
          ...(durationSec === undefined ? {} : { durationSec }),
          ...(language === undefined ? {} : { language }),
        },
      });
      // From here on it is a typed prompt: the same length cap, rate limit and queue.
      const reply = await queue({ ...message, body: text, media: [] });
      // What was heard, when it asked for a video (queued, or already on its way): a misheard prompt can be told apart.
      return reply.kind === 'ack' || reply.kind === 'repeat' ? { ...reply, text: `${voiceTexts.heard(text)}\n${reply.text}` } : reply;
    },
  };
};
