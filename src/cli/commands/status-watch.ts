/**
 * `vidbot status --watch`: the serve dashboard, attached to a running server through its event
 * stream (GET /api/events). Plain lines when not on a terminal.
 */
import type { ActivityEvent, ActivityListener, Origin } from '../../lib/activity/feed.ts';
import { vidbotError } from '../../lib/errors.ts';
import type { CliContext } from '../context.ts';
import { maskSender, oneLine, shortId } from '../dashboard/format.ts';
import { terminalSafe } from '../../lib/text.ts';
import { madeByText } from '../format.ts';
import { serverUnreachable } from '../server-unreachable.ts';

interface RemoteFeed {
  recent(): readonly ActivityEvent[];
  subscribe(listener: ActivityListener): () => void;
  /** Settles when the stream ends: the server stopped, or we stopped reading. */
  readonly ended: Promise<void>;
}

const openStream = async (base: URL, apiKey: string | undefined, signal: AbortSignal): Promise<RemoteFeed> => {
  let response: Response;
  try {
    response = await fetch(new URL('/api/events', base), { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal });
  } catch (error) {
    throw serverUnreachable(base, error);
  }
  if (response.status === 401 || response.status === 403) {
    throw vidbotError('VIDBOT_UNAUTHORIZED', `${base.origin} refused the event stream (${response.status}).`, { hint: "Set VIDBOT_API_KEY to the server's key." });
  }
  if (!response.ok || !response.body) throw vidbotError('VIDBOT_SERVER_UNREACHABLE', `${base.origin}/api/events answered ${response.status}.`);
  const kept: ActivityEvent[] = [];
  const listeners = new Set<ActivityListener>();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop() ?? '';
      for (const line of blocks.flatMap((block) => block.split('\n'))) {
        if (!line.startsWith('data: ')) continue;
        let event: ActivityEvent;
        try {
          event = JSON.parse(line.slice(6)) as ActivityEvent;
        } catch {
          continue;
        }
        kept.push(event);
        if (kept.length > 200) kept.shift();
        for (const listener of [...listeners]) listener(event);
      }
    }
  })();
  return {
    recent: () => [...kept],
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    ended,
  };
};

/**
 * Where a job runs, for plain lines: its machine, with the pid once two processes of one machine
 * have been seen (a label may change then; a person reading the log sees why).
 */
const createOriginLabels = () => {
  const pids = new Map<string, Set<number>>();
  return (origin: Origin | undefined): string => {
    if (!origin) return '';
    const seen = pids.get(origin.host) ?? new Set<number>();
    seen.add(origin.pid);
    pids.set(origin.host, seen);
    return ` on ${seen.size > 1 ? `${origin.host}:${origin.pid}` : origin.host}`;
  };
};

/** An event as one plain line; jobs by the short id `vidbot status` lists (exported for its test). */
export const describeWith = (on: (origin: Origin | undefined) => string) => (event: ActivityEvent): string | undefined => {
  const time = new Date(event.ts).toISOString().slice(11, 19);
  switch (event.type) {
    case 'job': {
      const subject = `${event.prompt ? ` "${oneLine(event.prompt)}"` : ''}${event.sender ? ` from ${maskSender(event.sender, false)}` : ''}`;
      return `${time} ${shortId(event.jobId)} ${event.kind}${on(event.origin)}${subject}${event.error ? `: ${oneLine(event.error)}` : ''}${event.durationMs ? ` (${(event.durationMs / 1000).toFixed(1)} s)` : ''}`;
    }
    case 'stage':
      return event.state === 'progress' ? undefined : `${time} ${shortId(event.jobId)} ${event.stage} ${event.state}${event.message ? ` (${oneLine(event.message)})` : ''}${on(event.origin)}`;
    case 'counts': {
      const c = event.counts;
      return `${time} queue: ${c.waiting} waiting, ${c.active} active, ${c.completed} done, ${c.failed} failed`;
    }
    case 'log':
      return `${time} ${event.level}: ${terminalSafe(event.message)}`;
    case 'made':
      return `${time} ${shortId(event.jobId)} made by ${madeByText(event)}${on(event.origin)}`;
    case 'workers':
      return undefined;
  }
};

export const watchCommand = async (context: CliContext, input: { server: string; apiKey?: string; json?: boolean }): Promise<void> => {
  let base: URL;
  try {
    base = new URL(input.server);
  } catch {
    throw vidbotError('VIDBOT_INPUT_INVALID', `--server must be a URL such as http://127.0.0.1:3000, got "${input.server}".`);
  }
  const quit = new AbortController();
  const stop = AbortSignal.any([context.signal, quit.signal]);
  const feed = await openStream(base, input.apiKey, stop);
  const call = async (path: string): Promise<void> => {
    const response = await fetch(new URL(path, base), {
      method: 'POST',
      headers: input.apiKey ? { authorization: `Bearer ${input.apiKey}` } : {},
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new Error(body.error?.message ?? `${path} answered ${response.status}`);
    }
  };
  const stdout = context.stdout as NodeJS.WriteStream;
  if (input.json) {
    // One event a line, as the server's /api/events sends them: for scripts (jq, a log shipper).
    const print = (event: unknown) => void context.stdout.write(`${JSON.stringify(event)}\n`);
    for (const event of feed.recent()) print(event);
    feed.subscribe(print);
    await feed.ended;
  } else if (stdout.isTTY && process.stdin.isTTY && !context.env.CI) {
    let paused = false;
    feed.subscribe((event) => void (event.type === 'workers' && (paused = event.paused)));
    const { runDashboard } = await import('../dashboard/run.tsx');
    const dashboard = runDashboard({
      source: feed,
      urls: { server: base.origin },
      keys: { pause: true, retry: true },
      stdout,
      stdin: process.stdin,
      onQuit: () => quit.abort(),
      onInterrupt: context.interrupt ?? (() => quit.abort()),
      onTogglePause: () => void call(paused ? '/api/workers/resume' : '/api/workers/pause').catch(() => {}),
      onRetry: async (jobId) => {
        await call(`/api/tasks/${encodeURIComponent(jobId)}/retry`);
        return `Retrying ${shortId(jobId)}.`;
      },
    });
    try {
      await Promise.race([feed.ended, new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }))]);
    } finally {
      // Always: Ink holds the terminal in raw mode until unmounted.
      dashboard.unmount();
    }
  } else {
    const describe = describeWith(createOriginLabels());
    // The queue's counts are said when they change: the stream's replay and its first live counts often agree.
    let lastCounts: string | undefined;
    const print = (event: ActivityEvent): void => {
      const line = describe(event);
      if (!line) return;
      if (event.type === 'counts') {
        const counts = line.slice(line.indexOf(' '));
        if (counts === lastCounts) return;
        lastCounts = counts;
      }
      context.stdout.write(`${line}\n`);
    };
    for (const event of feed.recent()) print(event);
    feed.subscribe(print);
    await feed.ended;
  }
  if (!stop.aborted) {
    throw vidbotError('VIDBOT_SERVER_UNREACHABLE', `${base.origin} closed the event stream (did the server stop?).`);
  }
};
