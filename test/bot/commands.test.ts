/** How a message's words are read (a command, a greeting, thanks, or a prompt), and what /cancel answers. */
import { cancelTexts } from '../../src/lib/bot/replies.ts';
import { describe, expect, it } from 'vitest';
import { meantCommand, parseCommand, runCommand, smallTalkOf } from '../../src/lib/bot/commands.ts';
import { makeVidbot } from '../helpers/vidbot.ts';

describe('parseCommand', () => {
  it('reads a slash command, its argument, and the names people use for it', () => {
    expect(parseCommand('/Status please')).toEqual({ name: 'status', word: '/status', argument: 'please' });
    expect(parseCommand('  /model 2 ')).toEqual({ name: 'model', word: '/model', argument: '2' });
    expect(parseCommand('/start')).toMatchObject({ name: 'help' });
    expect(parseCommand('/frobnicate')).toMatchObject({ name: undefined, word: '/frobnicate' });
  });

  it('takes a whole message that is a greeting or a bare command name, whatever surrounds it', () => {
    for (const text of ['Hi!', 'hello there 👋', '  HELLO THERE!!!  ', '¿hola?', '...hey there...', '?', 'status', 'Cancel.', 'olá']) {
      expect({ text, parsed: parseCommand(text) }).toMatchObject({ text, parsed: { argument: '' } });
    }
    expect(parseCommand('hello there 👋')?.name).toBe('help');
    expect(parseCommand('Cancel.')?.name).toBe('cancel');
    // Asked in a sentence rather than by name: not a video of the words.
    expect(['What can you do?', 'how does this work', 'Cancel it!', 'stop it'].map((text) => parseCommand(text)?.name)).toEqual(['help', 'help', 'cancel', 'cancel']);
    // A question about the bot, alone or after a greeting, whatever the punctuation between.
    expect(['Hi, what can you do?', 'what is this?', 'Hello! How does this work?', "what's this", 'hey there, who are you?'].map((text) => parseCommand(text)?.name)).toEqual(['help', 'help', 'help', 'help', 'help']);
  });

  it('reads anything longer as a prompt, and a caption never as a bare word', () => {
    for (const text of ['hello there friend', 'hi, a fox running through a neon city at night', 'good morning', 'status of the city at dawn']) {
      expect({ text, parsed: parseCommand(text) }).toEqual({ text, parsed: null });
    }
    expect(parseCommand('hello', { bareWords: false })).toBeNull();
  });

  it('reads "cancel all" as /cancel all, and offers the command a mistyped one was most likely meant to be', () => {
    expect(parseCommand('Cancel all!')).toEqual({ name: 'cancel', word: 'Cancel all!', argument: 'all' });
    expect(parseCommand('/cancel ALL')).toMatchObject({ name: 'cancel', argument: 'ALL' });
    expect(parseCommand('cancel all', { bareWords: false })).toBeNull();
    expect(['/stauts', '/hlep', '/histroy', '/cancle', '/modle', '/statuss'].map(meantCommand)).toEqual(['/status', '/help', '/history', '/cancel', '/model', '/status']);
    expect(['/frobnicate', '/xy', '/retry', '/dance', '/stat'].map(meantCommand)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('smallTalkOf', () => {
  it('hears thanks, agreement, goodbyes and reactions, with punctuation and emoji around them, each as what it is', () => {
    const heard = (texts: string[]) => texts.map((text) => ({ text, is: smallTalkOf(text) }));
    const as = (texts: string[], is: string) => texts.map((text) => ({ text, is }));
    const thanks = ['thanks!', 'Thank you so much!!! 🙏', 'merci.', '🙏🏽', '👍🙏'];
    const agree = ['   OK  ', 'love it ❤️', '👍👍', 'cool', '🔥'];
    const bye = ['Bye!', 'see you 👋', 'Goodbye.'];
    expect(heard([...thanks, ...agree, ...bye])).toEqual([...as(thanks, 'thanks'), ...as(agree, 'agree'), ...as(bye, 'bye')]);
  });

  it('does not take a description, or thanks with more words, for small talk', () => {
    for (const text of ['thanks, now a cat on a skateboard', 'thank you so much again', 'ok make it longer', 'a sunset 🌅', '', '🌅']) {
      expect({ text, is: smallTalkOf(text) }).toEqual({ text, is: undefined });
    }
  });
});

describe('/cancel', () => {
  it('says a video made while the cancel was on its way is coming, rather than "stopping"', async () => {
    const { vidbot, cleanup } = await makeVidbot();
    try {
      const from = 'whatsapp:+15550007777';
      const { task } = await vidbot.submitTask({ prompt: 'a heron taking off at dawn', from });
      // Running when /cancel read it; made, and on its way, by the time its job heard the cancel.
      const queue = vidbot.queue as { cancel: typeof vidbot.queue.cancel };
      queue.cancel = async () => {
        await vidbot.store.transitionTask(task.taskId, ['queued'], { status: 'delivering' });
        return 'cancel-requested';
      };
      const reply = await runCommand({ name: 'cancel', word: '/cancel' }, { vidbot, from, imageToVideo: false });
      expect(reply).toBe(`📬 Too late to cancel "a heron taking off at dawn": it's made and on its way to you.`);
    } finally {
      await cleanup();
    }
  });

  it('cancels the newest and says how many more are on the way; "/cancel all" cancels every one', async () => {
    const { vidbot, cleanup } = await makeVidbot();
    try {
      const from = 'whatsapp:+15550007778';
      const tasks = [];
      for (const prompt of ['a red kite', 'a blue kite', 'a green kite', 'a white kite']) tasks.push((await vidbot.submitTask({ prompt, from })).task);
      // The oldest is running and was told to stop a moment ago: it is neither canceled nor counted again.
      await vidbot.store.updateTask(tasks[0]?.taskId ?? '', { status: 'processing', cancelRequested: true });
      const cancel = (argument?: string) => runCommand({ name: 'cancel', word: '/cancel', ...(argument ? { argument } : {}) }, { vidbot, from, imageToVideo: false });
      // Before, only the newest went, and the reply did not say the others were still coming; nor
      // does it invite a new description while two are coming.
      expect(await cancel()).toBe('🛑 Canceled "a white kite".\n📋 You have 2 more on the way: send /cancel again for the next, or /cancel all.');
      expect(await cancel('all')).toBe('🛑 Canceled 2 videos. Send a new description whenever you like.');
      // One in progress is told to stop, not counted as canceled: its stop is confirmed in a message of its own.
      expect(cancelTexts.all([2, 1, 0])).toBe("🛑 Canceled 2 waiting videos. And stopping the one already in progress: I'll tell you when it has stopped. Send a new description whenever you like.");
      expect(cancelTexts.all([0, 2, 0])).toBe("🛑 Stopping the 2 videos already in progress: I'll tell you when they have stopped. Send a new description whenever you like.");
      expect(await vidbot.store.countTasks({ from, status: ['queued'] })).toBe(0);
      expect(await cancel('all')).toBe('🛑 Stopping "a red kite"... it\'s already in progress, so it may take a moment.');
      await vidbot.store.updateTask(tasks[0]?.taskId ?? '', { status: 'canceled' });
      expect(await cancel('all')).toBe("🤷 There's nothing to cancel: you have no videos queued or in progress.");
    } finally {
      await cleanup();
    }
  });
});

describe('/history', () => {
  it('marks a later take of the same words, read from its task', async () => {
    const { vidbot, cleanup } = await makeVidbot();
    try {
      const from = 'whatsapp:+15550007779';
      const add = async (take: number | undefined) => {
        const { task } = await vidbot.createTask({ prompt: 'a red kite over the sea', from, options: take === undefined ? {} : { take } });
        await vidbot.store.addVideo({ taskId: task.taskId, filename: `${task.taskId}.mp4`, path: `/tmp/${task.taskId}.mp4`, prompt: task.prompt, sessionId: from, from, sizeBytes: 1, durationSec: 1 });
      };
      await add(undefined);
      await add(2);
      expect(await runCommand({ name: 'history', word: '/history' }, { vidbot, from, imageToVideo: false })).toMatch(
        /^🎞️ Your recent videos:\n1\. "a red kite over the sea" \(take 2\) — made just now\n2\. "a red kite over the sea" — made just now$/,
      );
    } finally {
      await cleanup();
    }
  });
});
