/** A session's events, shared by the dashboard's tests: three jobs running, one waiting to retry, two queued, one done, one failed. */
import type { ActivityEvent } from '../../src/lib/activity/feed.ts';
import { type DashboardEvent, type DashboardState, type OpenTask, initialState, reduce } from '../../src/cli/dashboard/state.ts';

export const T0 = Date.parse('2026-11-25T12:00:00Z');

export const apply = (events: readonly DashboardEvent[], from: DashboardState = initialState): DashboardState => events.reduce(reduce, from);

export const JOB = {
  // Time-ordered like real task ids (UUIDv7): they begin alike, and their last 8 characters name them.
  fox: '019a0000-aaaa-7aaa-8aaa-00000f0f0f0f',
  storm: '019a0000-bbbb-7bbb-8bbb-00005757e757',
  neon: '019a0000-cccc-7ccc-8ccc-00004e4e4e4e',
  sunset: '019a0000-dddd-7ddd-8ddd-00005a5a5a5a',
  forest: '019a0000-eeee-7eee-8eee-0000f0f0f0f0',
  pines: '019a0000-ffff-7fff-8fff-00009191e591',
  beach: '019a0000-1111-7111-8111-0000bea0bea0',
  moon: '019a0000-2222-7222-8222-00003003d00d',
} as const;

export const task = (jobId: string, prompt: string, sender: string, status: OpenTask['status'], createdAt: number): OpenTask => ({
  jobId,
  taskId: jobId,
  prompt,
  sender,
  status,
  createdAt,
  ...(status === 'queued' ? {} : { startedAt: createdAt }),
});

const job = (kind: Extract<ActivityEvent, { type: 'job' }>['kind'], jobId: string, ts: number, extra: Partial<Extract<ActivityEvent, { type: 'job' }>> = {}): ActivityEvent => ({
  type: 'job',
  kind,
  jobId,
  ts,
  ...extra,
});

export const busyEvents: DashboardEvent[] = [
  { type: 'workers', running: 3, concurrency: 3, paused: false, ts: T0 },
  {
    type: 'tasks',
    ts: T0,
    runSeconds: 90,
    tasks: [
      task(JOB.fox, 'a fox running through the snow at night', 'whatsapp:+15550001111', 'queued', T0 - 9000),
      task(JOB.storm, 'a lighthouse in a storm, waves crashing over the rocks', 'whatsapp:+447700900123', 'queued', T0 - 8000),
      task(JOB.neon, 'neon city at night', 'whatsapp:+15550002222', 'queued', T0 - 7000),
      task(JOB.sunset, 'an ocean sunset with a sailing boat', 'whatsapp:+15550003333', 'queued', T0 - 6000),
      task(JOB.forest, 'a forest of tall pines in the fog', 'whatsapp:+15550004444', 'queued', T0 - 5000),
      task(JOB.pines, 'snow falling on a quiet village', 'whatsapp:+15550005555', 'queued', T0 - 4000),
      task(JOB.beach, 'waves on a beach', 'whatsapp:+15550006666', 'queued', T0 - 3000),
      task(JOB.moon, 'the moon over a desert', 'whatsapp:+15550007777', 'queued', T0 - 2000),
    ],
  },
  job('active', JOB.beach, T0 + 1000, { attempt: 1, workerId: 'w' }),
  { type: 'made', jobId: JOB.beach, provider: 'fal', model: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video', cost: 0.35, ts: T0 + 40_000 },
  job('completed', JOB.beach, T0 + 43_000, { durationMs: 42_000 }),
  job('active', JOB.moon, T0 + 1000, { attempt: 1, workerId: 'w' }),
  job('failed', JOB.moon, T0 + 5000, { error: 'The model refused this prompt.\nmore detail' }),
  job('active', JOB.fox, T0 + 43_000, { attempt: 1, workerId: 'w' }),
  { type: 'stage', jobId: JOB.fox, stage: 'generate', state: 'start', ts: T0 + 44_000 },
  { type: 'stage', jobId: JOB.fox, stage: 'generate', state: 'progress', percent: 40, ts: T0 + 50_000 },
  job('retrying', JOB.fox, T0 + 55_000, { attempt: 1, delayMs: 8000, error: 'ffmpeg failed rendering the local preview: exit code 1\nstderr...' }),
  job('active', JOB.storm, T0 + 44_000, { attempt: 1, workerId: 'w' }),
  { type: 'stage', jobId: JOB.storm, stage: 'generate', state: 'progress', percent: 62, ts: T0 + 56_000 },
  job('active', JOB.neon, T0 + 45_000, { attempt: 1, workerId: 'w' }),
  { type: 'stage', jobId: JOB.neon, stage: 'compress', state: 'progress', percent: 25, ts: T0 + 56_000 },
  job('active', JOB.sunset, T0 + 55_000, { attempt: 1, workerId: 'w' }),
  { type: 'stage', jobId: JOB.sunset, stage: 'polish', state: 'start', ts: T0 + 55_500 },
];

/** 56 s into the session: fox waits 7 s more to retry; storm, neon and sunset run; forest and pines are queued. */
export const NOW = T0 + 57_000;
export const busy = apply(busyEvents);

/** Two worker machines (a host name, and a container's id as Docker compose names it) seen by a viewer with no task lists. */
export const MACHINE = { a: { host: 'worker-a', pid: 41 }, b: { host: '3f2a9c1b0d7e', pid: 1 } } as const;

export const acrossEvents: DashboardEvent[] = [
  { type: 'workers', running: 2, concurrency: 4, paused: false, processes: 2, machines: 2, ts: T0 },
  job('active', JOB.fox, T0 + 1000, { attempt: 1, origin: MACHINE.a, prompt: 'a fox running through the snow at night', sender: 'whatsapp:+15550001111' }),
  { type: 'stage', jobId: JOB.fox, stage: 'generate', state: 'progress', percent: 40, ts: T0 + 5000, origin: MACHINE.a },
  job('active', JOB.storm, T0 + 2000, { attempt: 1, origin: MACHINE.b, prompt: 'a lighthouse in a storm, waves crashing over the rocks', sender: 'whatsapp:+447700900123' }),
  { type: 'stage', jobId: JOB.storm, stage: 'compress', state: 'start', ts: T0 + 6000, origin: MACHINE.b },
  job('active', JOB.neon, T0 + 1500, { attempt: 1, origin: MACHINE.b, prompt: 'neon city at night', sender: 'whatsapp:+15550002222' }),
  { type: 'made', jobId: JOB.neon, provider: 'replicate', model: 'minimax/video-01', cost: 0.5, ts: T0 + 30_000, origin: MACHINE.b },
  job('completed', JOB.neon, T0 + 32_000, { durationMs: 30_500, origin: MACHINE.b }),
];
export const across = apply(acrossEvents);
