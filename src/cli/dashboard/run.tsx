import { render, useWindowSize } from 'ink';
import { useEffect, useReducer, useState } from 'react';
import type { ActivityEvent, ActivityListener } from '../../lib/activity/feed.ts';
import { Dashboard, type DashboardProps } from './Dashboard.tsx';
import { type DashboardEvent, type DashboardState, initialState, moveSelection, reduce } from './state.ts';
import { failedRows } from './view.ts';

export interface ActivitySource {
  recent(): readonly ActivityEvent[];
  subscribe(listener: ActivityListener): () => void;
}

export interface DashboardOptions extends Pick<DashboardProps, 'urls' | 'keys' | 'onQuit' | 'onTogglePause'> {
  /** Ctrl-C, which raw mode takes as a key: what a Ctrl-C does at the process's edge (a second one stops at once). */
  readonly onInterrupt: () => void;
  readonly source: ActivitySource;
  /** Retries a failed job; its message (or error) is shown above the keys. */
  readonly onRetry: (jobId: string) => Promise<string>;
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
}

export interface DashboardHandle {
  /** Feeds what the activity feed does not carry: open tasks, stopping, stopped. */
  send(event: DashboardEvent): void;
  /** Stops drawing at once (Ink draws the frame it has and leaves it on the terminal). */
  unmount(): void;
  /** Draws the events sent so far, then unmounts: the last frame on the terminal says how it ended. */
  finish(): Promise<void>;
}

type Action = { type: 'event'; event: DashboardEvent } | { type: 'select'; delta: number };

const update = (state: DashboardState, action: Action): DashboardState =>
  action.type === 'event' ? reduce(state, action.event) : moveSelection(state, action.delta, failedRows(state).length);

/** Events sent before the app subscribed are kept for it, so none is lost to the first render. */
const createChannel = () => {
  const held: DashboardEvent[] = [];
  let listener: ((event: DashboardEvent) => void) | undefined;
  return {
    send(event: DashboardEvent) {
      if (listener) listener(event);
      else held.push(event);
    },
    subscribe(next: (event: DashboardEvent) => void) {
      listener = next;
      for (const event of held.splice(0)) next(event);
      return () => {
        listener = undefined;
      };
    },
  };
};

type Channel = ReturnType<typeof createChannel>;

/** How long a notice above the keys (a retry's word) stays. */
const NOTICE_MS = 10_000;

const App = ({ options, channel }: { options: DashboardOptions; channel: Channel }) => {
  const [state, dispatch] = useReducer(update, undefined, () => options.source.recent().reduce<DashboardState>(reduce, initialState));
  const [now, setNow] = useState(Date.now());
  const [notice, setNotice] = useState<string | undefined>();
  const { columns, rows } = useWindowSize();
  useEffect(() => options.source.subscribe((event) => dispatch({ type: 'event', event })), [options.source]);
  useEffect(() => channel.subscribe((event) => dispatch({ type: 'event', event })), [channel]);
  useEffect(() => {
    // A retry's word is news for a moment, not a line kept for the rest of the session.
    if (notice === undefined) return;
    const timer = setTimeout(() => setNotice(undefined), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);
  useEffect(() => {
    // Elapsed times, countdowns and the per-minute figure move even when no event arrives.
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <Dashboard
      state={state}
      urls={options.urls}
      now={now}
      width={columns}
      height={rows}
      keys={options.keys}
      onQuit={options.onQuit}
      onTogglePause={options.onTogglePause}
      onSelect={(delta) => dispatch({ type: 'select', delta })}
      onRetry={(jobId) => void options.onRetry(jobId).then(setNotice, (error: unknown) => setNotice(`Retry failed: ${(error as Error).message}`))}
      {...(notice ? { notice } : {})}
    />
  );
};

/** Draws the dashboard until unmounted. Ctrl-C (raw mode swallows SIGINT) is handed to onInterrupt. */
export const runDashboard = (options: DashboardOptions): DashboardHandle => {
  const channel = createChannel();
  const instance = render(<App options={options} channel={channel} />, {
    stdout: options.stdout,
    stdin: options.stdin,
    exitOnCtrlC: false,
  });
  const onCtrlC = (data: Buffer | string) => {
    if (data.toString() === '\u0003') options.onInterrupt();
  };
  options.stdin.on('data', onCtrlC);
  const unmount = () => {
    options.stdin.off('data', onCtrlC);
    instance.unmount();
  };
  return {
    send: (event) => channel.send(event),
    unmount,
    async finish() {
      // React applies the last events' state on its own schedule; Ink then draws it.
      await new Promise((resolve) => setImmediate(resolve));
      await instance.waitUntilRenderFlush();
      unmount();
    },
  };
};
