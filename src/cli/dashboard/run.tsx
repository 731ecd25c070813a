import { render } from 'ink';
import { useEffect, useReducer, useState } from 'react';
import type { ActivityEvent, ActivityListener } from '../../lib/activity/feed.ts';
import { Dashboard, type DashboardProps } from './Dashboard.tsx';
import { type DashboardState, initialState, reduce, select } from './state.ts';

export interface ActivitySource {
  recent(): readonly ActivityEvent[];
  subscribe(listener: ActivityListener): () => void;
}

export interface DashboardOptions extends Pick<DashboardProps, 'urls' | 'keys' | 'onQuit' | 'onTogglePause'> {
  readonly source: ActivitySource;
  /** Retries a failed job; its message (or error) is shown under the log. */
  readonly onRetry: (jobId: string) => Promise<string>;
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
}

type Action = { type: 'event'; event: ActivityEvent } | { type: 'select'; delta: number };

const update = (state: DashboardState, action: Action): DashboardState =>
  action.type === 'event' ? reduce(state, action.event) : select(state, action.delta);

const App = ({ options }: { options: DashboardOptions }) => {
  const [state, dispatch] = useReducer(update, undefined, () => options.source.recent().reduce(reduce, initialState));
  const [now, setNow] = useState(Date.now());
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => options.source.subscribe((event) => dispatch({ type: 'event', event })), [options.source]);
  useEffect(() => {
    // Elapsed times and the per-minute figure move even when no event arrives.
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <Dashboard
      state={state}
      urls={options.urls}
      now={now}
      keys={options.keys}
      onQuit={options.onQuit}
      onTogglePause={options.onTogglePause}
      onSelect={(delta) => dispatch({ type: 'select', delta })}
      onRetry={(jobId) => void options.onRetry(jobId).then(setNotice, (error: unknown) => setNotice(`Retry failed: ${(error as Error).message}`))}
      {...(notice ? { notice } : {})}
    />
  );
};

/** Draws the dashboard until unmounted. Ctrl-C (raw mode swallows SIGINT) quits like `q`. */
export const runDashboard = (options: DashboardOptions): { unmount(): void } => {
  const instance = render(<App options={options} />, {
    stdout: options.stdout,
    stdin: options.stdin,
    exitOnCtrlC: false,
  });
  const onCtrlC = (data: Buffer | string) => {
    if (data.toString() === '\u0003') options.onQuit();
  };
  options.stdin.on('data', onCtrlC);
  return {
    unmount() {
      options.stdin.off('data', onCtrlC);
      instance.unmount();
    },
  };
};
