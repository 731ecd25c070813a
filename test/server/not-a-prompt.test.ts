/**
 * What is not a request for a video gets a word back, not a video of the word, through the Twilio
 * webhook: a greeting gets the welcome, a command's bare name runs it, thanks get thanks, a sticker,
 * a pin or a contact card are answered for what they are; and a photo's slash command is a command.
 * None of them queues a task or costs the sender a video.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_PROMPT, cancelTexts, helpText, linkOnlyText, welcomeBackText } from '../../src/lib/bot/replies.ts';
import { notAPromptTexts } from '../../src/lib/bot/replies-media.ts';
import { useBots } from '../helpers/bot.ts';
import { type FormParams, newMessageSid, whatsappText } from '../helpers/server.ts';
import { testImage } from '../simulator/helpers.ts';

const USER = 'whatsapp:+15550005555';
const WELCOME = helpText({ imageToVideo: true }).split('\n')[0] ?? '';

describe('messages that ask for no video', () => {
  const startBot = useBots();
  const quiet = () => startBot({ VIDBOT_DAILY_LIMIT: '3' }, { workers: false });

  it('a greeting gets the welcome and the help; thanks, an ok and a goodbye each their own word; a description is still a prompt', async () => {
    const bot = await quiet();
    expect(WELCOME).toContain('Hi!');
    // Each a greeting from someone new (a sender of their own each): the welcome.
    for (const [i, greeting] of ['Hi', 'hello!', 'Hey 👋', 'hey there', '/start', '?'].entries()) {
      expect({ greeting, answer: await bot.say(`whatsapp:+1555000600${i}`, greeting) }).toMatchObject({ answer: expect.stringContaining(WELCOME) });
    }
    // Greeted again before any video: a word back, not the twelve lines once more; /start and "?" ask for the help.
    expect(await bot.say('whatsapp:+15550006000', 'hi')).toBe("👋 Hi again! Send a description or a photo and I'll make you a video. /help lists everything I can do.");
    expect(await bot.say('whatsapp:+15550006000', '?')).toContain(WELCOME);
    for (const thanks of ['thanks!', 'Thank you', '🙏🏽']) {
      expect({ thanks, answer: await bot.say(USER, thanks) }).toEqual({ thanks, answer: notAPromptTexts.thanks });
    }
    // Agreement is not thanks: "Anytime!" would answer words not said.
    for (const agree of ['ok', '👍']) expect({ agree, answer: await bot.say(USER, agree) }).toEqual({ agree, answer: notAPromptTexts.agree });
    expect(await bot.say(USER, 'bye!')).toBe(notAPromptTexts.bye);
    expect(await bot.say(USER, 'status')).toContain("haven't asked for any videos yet");
    expect(await bot.say(USER, 'cancel')).toBe(cancelTexts.nothing);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);

    // More than the word: a description, made into a video.
    expect(await bot.say(USER, 'hello world in neon letters')).toContain('Generating your video');
    expect(await bot.say(USER, 'STOP')).toContain('Canceled');
    // A good-morning video is a common wish on WhatsApp: those words are a prompt, not a greeting to the bot.
    expect(await bot.say(USER, 'Good morning')).toContain('Generating your video');
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(2);

    // Back while a video is on its way: said, with where to look.
    expect(await bot.say(USER, 'Hi!')).toBe('👋 Hi again! Your video is on the way: /status says where. Send a description or a photo for another.');
    // /help and a question about the bot still get all of it.
    expect(welcomeBackText({ imageToVideo: true, voiceNotes: true })).toContain('Send a description, a photo or a voice note and');
    for (const asking of ['/help', 'help', 'hi, what can you do?']) expect({ asking, answer: await bot.say(USER, asking) }).toMatchObject({ answer: expect.stringContaining(WELCOME) });
  });

  it('a link alone is asked for words, costing nothing; words around a link are a prompt', async () => {
    const bot = await quiet();
    for (const link of ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', ' www.example.com/cats ', 'HTTP://EXAMPLE.COM'])
      expect({ link, answer: await bot.say(USER, link) }).toEqual({ link, answer: linkOnlyText });
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);
    expect(await bot.say(USER, 'cats dancing like in https://example.com/video')).toContain('2 of 3 videos left today');
  });

  it('a sticker, a pin and a contact card are answered for what they are, queueing nothing', async () => {
    const bot = await quiet();
    const media = (url: string, contentType: string, kind: string): FormParams => ({
      ...whatsappText(USER, '', newMessageSid()),
      NumMedia: '1',
      MediaUrl0: url,
      MediaContentType0: contentType,
      MessageType: kind,
    });
    const sticker = bot.fake.addMedia(testImage(512, 512).png, 'image/webp');
    expect((await bot.post(media(sticker, 'image/webp', 'sticker'))).text).toBe(notAPromptTexts.sticker);
    const card = bot.fake.addMedia(Buffer.from('BEGIN:VCARD\nFN:Ann\nEND:VCARD\n'), 'text/vcard');
    expect((await bot.post(media(card, 'text/vcard', 'document'))).text).toBe(notAPromptTexts.contact);
    const pin = { ...whatsappText(USER, '', newMessageSid()), Latitude: '48.8584', Longitude: '2.2945', Address: 'Paris', MessageType: 'location' };
    expect((await bot.post(pin)).text).toBe(notAPromptTexts.location);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);
    expect(await bot.say(USER, 'a fox in the snow')).toContain('2 of 3 videos left today');
  });

  it("a photo's caption is a command with its slash, and a prompt without it", async () => {
    const bot = await quiet();
    const photo = bot.fake.addMedia(testImage().png, 'image/png');
    const captioned = (caption: string): FormParams => ({ ...whatsappText(USER, caption, newMessageSid()), NumMedia: '1', MediaUrl0: photo, MediaContentType0: 'image/png', MessageType: 'image' });
    expect((await bot.post(captioned('/help'))).text).toContain(WELCOME);
    expect(await bot.vidbot.store.countTasks({ from: USER })).toBe(0);
    expect((await bot.post(captioned('hello'))).text).toContain('Generating your video');
    const [task] = await bot.vidbot.store.listTasks({ from: USER, limit: 1 });
    expect(task).toMatchObject({ prompt: 'hello', options: { firstFrameImage: expect.any(String) } });
    // A link alone as the caption is no description: the photo is animated as one without a caption.
    expect((await bot.post(captioned('https://example.com/my-photo'))).text).toContain('Generating your video');
    const [linked] = await bot.vidbot.store.listTasks({ from: USER, limit: 1 });
    expect(linked).toMatchObject({ prompt: DEFAULT_IMAGE_PROMPT, options: { firstFrameImage: expect.any(String) } });
  });
});
