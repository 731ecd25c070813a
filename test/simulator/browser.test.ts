/**
 * The simulator end to end in headless Chromium: a real vidbot server with workers on a loopback
 * port; the page sends a prompt, shows the TwiML ack, plays the result video, replays the message
 * (deduplicated), attaches a photo, and simulates delivery receipts. Chromium is required (CI
 * installs it): without it this test fails with a clear message rather than skipping. The videos
 * are one clip of each orientation, rendered and compressed once and copied for each task: what is
 * tested is the page.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueWorker } from '../../src/lib/queue/port.ts';
import { FAKE_TRANSCRIPT, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai-api.ts';
import { oneClipCompressor, oneClipProvider } from '../helpers/clip-provider.ts';
import { makeTempDir, removeDir } from '../helpers/media.ts';
import { freePort } from '../helpers/ports.ts';
import { makeVoiceNote } from '../helpers/speech.ts';
import { type SimulatorServer, makeSimulatorServer, testImage } from './helpers.ts';
import { decodePng } from './png.ts';

const CHROMIUM = '/usr/bin/chromium';
const USER = 'whatsapp:+15550001234';
const VIEWPORT = { width: 1000, height: 760 };

describe('the simulator in a browser', () => {
  let browser: Browser | undefined;
  let server: SimulatorServer | undefined;
  let worker: QueueWorker | undefined;
  let openai: FakeOpenAI | undefined;
  let clips: string | undefined;
  let base = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium; .ci/run does).`);
    }
    base = `http://127.0.0.1:${await freePort()}`;
    openai = await startFakeOpenAI();
    // Voice notes are transcribed by the OpenAI fake; prompts are used as typed.
    clips = await makeTempDir('vidbot-browser-clip-');
    const provider = oneClipProvider({ ffmpeg: '/usr/bin/ffmpeg', dir: clips });
    const compressor = oneClipCompressor({ ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe', dir: clips });
    server = await makeSimulatorServer(
      { PUBLIC_BASE_URL: base, OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.url, VIDBOT_POLISH: 'false' },
      { vidbot: { overrides: { provider, compressor } } },
    );
    await server.app.listen({ port: Number(new URL(base).port), host: '127.0.0.1' });
    worker = server.vidbot.startWorkers({ concurrency: 1 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--mute-audio',
        // A fake microphone (a tone) that needs no permission prompt, for recording a voice note in the page.
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.close({ release: true });
    await server?.cleanup();
    await openai?.close();
    if (clips) await removeDir(clips);
  });

  /** The n-th result <video> on the page has decoded a frame (the test's tsconfig has no DOM types). */
  const videoLoaded = (page: Page, index: number) =>
    page.waitForFunction(
      (n) => {
        type Video = { readyState: number; videoWidth: number };
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Video> } }).document;
        const video = doc.querySelectorAll('.msg.bot video')[n];
        return video !== undefined && (video.readyState >= 2 || video.videoWidth > 0) ? { readyState: video.readyState, width: video.videoWidth } : false;
      },
      index,
      { timeout: 60_000 },
    );

  it('chats with the bot: ack, progress, video, replay dedupe, photo, receipts and a screenshot', async () => {
    if (!browser || !server) throw new Error('setup failed');
    const { vidbot } = server;
    const page = await browser.newPage({ viewport: VIEWPORT });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('response', (response) => response.status() >= 400 && problems.push(`${response.status()} ${response.url()}`));
    await page.goto(`${base}/simulator`);
    await page.waitForSelector('body[data-live="1"]');
    expect(await page.inputValue('#number')).toBe(USER.replace('whatsapp:', ''));

    // A prompt: the TwiML acknowledgement at once, then progress, then the video.
    await page.fill('#text', 'a fox running through a neon city at night');
    await page.press('#text', 'Enter');
    const ack = page.locator('.msg.twiml').first();
    await expect.poll(() => ack.textContent(), { timeout: 20_000 }).toContain('Generating your video');
    const result = page.locator('.msg.bot').first();
    await result.waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toContain("Here's your video! (a quick preview, not AI)");
    expect(await result.locator('video').getAttribute('src')).toMatch(new RegExp(`^${base}/media/[A-Za-z0-9_-]{22}\\.mp4$`));
    const loaded = await videoLoaded(page, 0);
    expect(await loaded.jsonValue()).toMatchObject({ width: 720 });
    await expect.poll(() => ack.locator('.progress').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    // The phone is on: it confirms the video (✓✓) through the real status callback, as WhatsApp does.
    await expect.poll(() => result.locator('.ticks').getAttribute('title'), { timeout: 20_000 }).toBe('delivered');
    expect(await vidbot.store.findOutbound({ messageId: (await result.getAttribute('data-sid')) ?? '' })).toMatchObject({ status: 'delivered' });

    // Replay the sent message with the same MessageSid: the same answer, no second task.
    await page.locator('.msg.user').first().getByRole('button', { name: 'replay' }).click();
    const replayNote = page.locator('.note.replay-result');
    await replayNote.waitFor();
    expect(await replayNote.textContent()).toMatch(/same answer, no second task \(deduplicated\)/);
    expect(await replayNote.getAttribute('class')).toContain('ok');
    expect(await page.locator('.msg.twiml').nth(1).textContent()).toContain('Generating your video');
    expect(await vidbot.store.countTasks({ from: USER })).toBe(1);

    // Then read, from the message's menu.
    await result.getByRole('button', { name: 'simulate delivery status' }).click();
    await result.locator('.status-menu button[data-status="read"]').click();
    await expect.poll(() => result.locator('.ticks').getAttribute('class'), { timeout: 20_000 }).toBe('ticks read');

    // The phone off: a photo with a caption (image-to-video through the simulator's own media URL) stays at one tick.
    await page.getByRole('button', { name: 'phone on: messages are confirmed delivered' }).click();
    expect(await page.locator('#online').getAttribute('aria-pressed')).toBe('false');
    await page.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: testImage(160, 120).png });
    await page.waitForSelector('#preview:not([hidden])');
    await page.fill('#text', 'make it dance');
    await page.press('#text', 'Enter');
    await expect.poll(() => page.locator('.msg.twiml').nth(2).textContent(), { timeout: 20_000 }).toContain('Generating your video');
    const second = page.locator('.msg.bot:has(video)').nth(1);
    await second.waitFor({ timeout: 60_000 });
    await videoLoaded(page, 1);
    const [photoTask] = await vidbot.store.listTasks({ from: USER, limit: 1 });
    expect(photoTask?.options.firstFrameImage).toMatch(/\.png$/);
    expect(await second.locator('.ticks').getAttribute('title')).toBe('sent');
    expect(await second.getAttribute('data-confirmed')).toBeNull();

    // Outside the 24-hour window: Twilio's 63016 failure shows as a red badge, and is recorded.
    await second.getByRole('button', { name: 'simulate delivery status' }).click();
    await second.locator('button[data-code="63016"]').click();
    const badge = second.locator('.badge');
    await expect.poll(() => badge.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await badge.textContent()).toContain('63016 — outside the 24-hour window');
    const sid = await second.getAttribute('data-sid');
    expect(await vidbot.store.findOutbound({ messageId: sid ?? '' })).toMatchObject({ status: 'failed', errorCode: '63016' });
    expect(await result.locator('.badge').isVisible()).toBe(false);

    // The screenshot is the viewport, and shows a rendered chat rather than a blank page.
    const png = await page.screenshot();
    // To look at it: VIDBOT_SIMULATOR_SCREENSHOT=/tmp/simulator.png npx vitest run test/simulator/browser.test.ts
    if (process.env.VIDBOT_SIMULATOR_SCREENSHOT) await writeFile(process.env.VIDBOT_SIMULATOR_SCREENSHOT, png);
    const decoded = decodePng(png);
    expect(decoded).toMatchObject(VIEWPORT);
    expect(decoded.colours).toBeGreaterThan(50);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);

  /** Reads the page's layout (the test's tsconfig has no DOM types). */
  const layout = (page: Page) =>
    page.evaluate(() => {
      type Box = { scrollWidth: number; clientWidth: number; scrollTop: number; scrollHeight: number; clientHeight: number };
      const doc = (globalThis as unknown as { document: { documentElement: Box; getElementById(id: string): Box } }).document;
      const chat = doc.getElementById('chat');
      return {
        pageOverflow: doc.documentElement.scrollWidth - doc.documentElement.clientWidth,
        chatOverflow: chat.scrollWidth - chat.clientWidth,
        fromBottom: chat.scrollHeight - chat.scrollTop - chat.clientHeight,
      };
    });

  /** Adds 400 px below the chat's end, then delivers a scroll event: the page's own scroll's event arriving after content grew. */
  const growBeforeScrollEvent = (page: Page) =>
    page.evaluate(() => {
      type Chat = { appendChild(node: unknown): void; dispatchEvent(event: unknown): void };
      const scope = globalThis as unknown as { Event: new (type: string) => unknown; document: { getElementById(id: string): Chat; createElement(tag: string): { style: { minHeight: string } } } };
      const chat = scope.document.getElementById('chat');
      const tall = scope.document.createElement('div');
      tall.style.minHeight = '400px';
      chat.appendChild(tall);
      chat.dispatchEvent(new scope.Event('scroll'));
    });

  it('fits a phone, follows the newest message, and keeps the conversation across a reload', async () => {
    if (!browser || !server) throw new Error('setup failed');
    const phone = 'whatsapp:+15550009876';
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${base}/simulator`);
    await page.waitForSelector('body[data-live="1"]');
    await page.fill('#number', phone);
    await page.dispatchEvent('#number', 'change');
    await page.waitForSelector('body[data-live="1"][data-history="1"]');

    // Enough messages to scroll: commands answer at once.
    for (const command of ['/help', '/status', '/history']) {
      await page.fill('#text', command);
      await page.press('#text', 'Enter');
      await expect.poll(() => page.locator('.msg.twiml').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    }
    // Content that grows between the page's own scroll and that scroll's event (a video's size
    // known a frame later) leaves the chat following: the bot's next message, when it comes, shows.
    await growBeforeScrollEvent(page);
    await server.vidbot.sendMessage({ to: phone, body: '👋 A word from the bot.' }, { channel: server.simulator.channel.name, checkWindow: false });
    await page.locator('.msg.bot', { hasText: 'A word from the bot' }).waitFor({ timeout: 20_000 });
    await expect.poll(async () => (await layout(page)).fromBottom, { timeout: 10_000 }).toBeLessThan(5);

    const acks = await page.locator('.msg.twiml').count();
    await page.fill('#text', 'a paper boat sailing down a rainy street');
    await page.press('#text', 'Enter');
    await expect.poll(() => page.locator('.msg.twiml').count(), { timeout: 20_000 }).toBeGreaterThan(acks);
    const result = page.locator('.msg.bot').filter({ has: page.locator('video') }).first();
    await result.waitFor({ timeout: 60_000 });
    await videoLoaded(page, 0);
    await expect.poll(async () => (await layout(page)).fromBottom, { timeout: 10_000 }).toBeLessThan(5);
    expect(await layout(page)).toMatchObject({ pageOverflow: 0, chatOverflow: 0 });
    const before = await page.locator('#chat .msg .text').allTextContents();

    // A reload shows the same conversation, from the store, scrolled to the newest message.
    await page.reload();
    await page.waitForSelector('body[data-live="1"][data-history="1"]');
    expect(await page.inputValue('#number')).toBe(phone.replace('whatsapp:', ''));
    const after = page.locator('#chat .msg .text');
    await expect.poll(() => after.count(), { timeout: 20_000 }).toBe(before.length);
    expect(await after.allTextContents()).toEqual(before);
    expect(await page.locator('.msg.bot video').getAttribute('src')).toBe(await result.locator('video').getAttribute('src'));
    expect(await page.locator('.msg.twiml .progress').last().getAttribute('data-status')).toBe('done');
    await videoLoaded(page, 0);
    await expect.poll(async () => (await layout(page)).fromBottom, { timeout: 10_000 }).toBeLessThan(5);
    expect(await layout(page)).toMatchObject({ pageOverflow: 0, chatOverflow: 0 });

    const png = await page.screenshot();
    // To look at it: VIDBOT_SIMULATOR_SCREENSHOT=/tmp/simulator.png npx vitest run test/simulator/browser.test.ts
    if (process.env.VIDBOT_SIMULATOR_SCREENSHOT) await writeFile(process.env.VIDBOT_SIMULATOR_SCREENSHOT.replace(/\.png$/, '-phone.png'), png);
    const decoded = decodePng(png);
    expect(decoded.width).toBe(390);
    expect(decoded.colours).toBeGreaterThan(50);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);

  it('offers reply buttons after a video, and a tap acts on that video\'s task', async () => {
    if (!browser || !server) throw new Error('setup failed');
    const { vidbot } = server;
    const phone = 'whatsapp:+15550002468';
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${base}/simulator`);
    await page.fill('#number', phone);
    await page.dispatchEvent('#number', 'change');
    await page.waitForSelector('body[data-live="1"][data-history="1"]');

    await page.fill('#text', 'a lighthouse in a storm');
    await page.press('#text', 'Enter');
    await videoLoaded(page, 0);
    // The follow-up after the video: another take, or the other orientation, as buttons under a message.
    const offer = page.locator('.msg.bot[data-kind="choices"]');
    await offer.waitFor({ timeout: 30_000 });
    expect(await offer.locator('.choices button').allTextContents()).toEqual(['🔁 Another take', '↔️ Landscape']);
    const [first] = await vidbot.store.listTasks({ from: phone, limit: 1 });
    expect(first?.options.orientation ?? 'portrait').toBe('portrait');

    // A tap goes back as Twilio posts one (ButtonPayload, ButtonText, the replied-to message) and makes the landscape version.
    await offer.locator('.choices button[data-choice="landscape"]').click();
    await expect.poll(() => page.locator('.msg.user').last().textContent(), { timeout: 20_000 }).toContain('↔️ Landscape');
    const loaded = await videoLoaded(page, 1);
    const { width, readyState } = (await loaded.jsonValue()) as { width: number; readyState: number };
    expect(readyState).toBeGreaterThan(0);
    const tasks = await vidbot.store.listTasks({ from: phone, limit: 5 });
    expect(tasks).toHaveLength(2);
    const [latest] = tasks;
    expect(latest).toMatchObject({ prompt: first?.prompt, options: expect.objectContaining({ orientation: 'landscape' }) });
    expect(width).toBeGreaterThan(720);

    const png = await page.screenshot();
    // To look at it: VIDBOT_SIMULATOR_SCREENSHOT=/tmp/simulator.png npx vitest run test/simulator/browser.test.ts
    if (process.env.VIDBOT_SIMULATOR_SCREENSHOT) await writeFile(process.env.VIDBOT_SIMULATOR_SCREENSHOT.replace(/\.png$/, '-buttons.png'), png);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("switches to Meta's Cloud API: the webhook answers 200 and the reply arrives as a message, then the video", async () => {
    if (!browser || !server) throw new Error('setup failed');
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(`${base}/simulator`);
    await page.fill('#number', '+15550001357');
    await page.dispatchEvent('#number', 'change');
    await page.waitForSelector('body[data-live="1"][data-history="1"]');
    await page.selectOption('#format', 'cloud-api');
    expect(await page.textContent('#subtitle')).toContain("Meta's Cloud API");

    await page.fill('#text', 'a hot air balloon at dawn');
    await page.press('#text', 'Enter');
    const answer = page.locator('.msg.twiml').first();
    await expect.poll(() => answer.textContent(), { timeout: 20_000 }).toContain('200 EVENT_RECEIVED');
    const reply = page.locator('.msg.bot[data-kind="reply"]');
    await reply.waitFor({ timeout: 20_000 });
    expect(await reply.textContent()).toContain('Generating your video');
    await videoLoaded(page, 0);
    expect(await page.locator('.msg.user').first().getAttribute('data-sid')).toMatch(/^wamid\./);
    // The choice survives a reload.
    await page.reload();
    await page.waitForSelector('body[data-live="1"][data-history="1"]');
    expect(await page.inputValue('#format')).toBe('cloud-api');
    expect(await page.locator('.msg.bot[data-kind="reply"]').count()).toBe(1);
    await page.selectOption('#format', 'twilio');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('sends voice notes, attached or recorded in the page, and shows what the bot heard', async () => {
    if (!browser || !server || !openai) throw new Error('setup failed');
    const dir = await makeTempDir('vidbot-browser-voice-');
    try {
      const note = await makeVoiceNote(dir, FAKE_TRANSCRIPT, 'ogg');
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${base}/simulator`);
      await page.fill('#number', '+15550004321');
      await page.dispatchEvent('#number', 'change');
      await page.waitForSelector('body[data-live="1"][data-history="1"]');

      // An Ogg Opus file, as WhatsApp sends: previewed, then sent without a caption.
      await page.setInputFiles('#file', { name: 'note.ogg', mimeType: 'audio/ogg', buffer: note.bytes });
      await page.waitForSelector('#preview:not([hidden]) #preview-audio:not([hidden])');
      await page.press('#text', 'Enter');
      const heard = page.locator('.msg.twiml').first();
      await expect.poll(() => heard.textContent(), { timeout: 20_000 }).toContain(`🎙️ I heard: "${FAKE_TRANSCRIPT}"`);
      expect(await page.locator('.msg.user audio').count()).toBe(1);
      expect(openai.transcriptions.at(-1)?.bytes.subarray(0, 4).toString('latin1')).toBe('OggS');

      // Recorded with the page's microphone button (a fake device here): WebM or Ogg Opus from Chromium's recorder.
      await page.click('#mic');
      await page.waitForSelector('#mic.recording');
      await page.waitForTimeout(800); // the recording's length, not a wait for an event
      await page.click('#mic');
      await page.waitForSelector('#preview:not([hidden]) #preview-audio:not([hidden])');
      await page.press('#text', 'Enter');
      await expect.poll(() => page.locator('.msg.twiml').nth(1).textContent(), { timeout: 20_000 }).toContain('🎙️ I heard');
      expect(['OggS', '\x1aE\xdf\xa3']).toContain(openai.transcriptions.at(-1)?.bytes.subarray(0, 4).toString('latin1'));
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await removeDir(dir);
    }
  }, 120_000);
});
