import { once } from 'node:events';
import { hostname } from 'node:os';
import { createVidbot } from '../../lib/create-vidbot.ts';
import { oneLine } from '../../lib/text.ts';
import { type CliContext, flag, loadCliConfig, warnOn } from '../context.ts';
import { assertSharedMedia } from '../../lib/deployment.ts';
import { drainWorkers } from '../../lib/queue/drain.ts';
import { redisWait, stoppedWaiting } from './redis-wait.ts';
import { plural } from '../dashboard/format.ts';
import { endedInTime } from '../format.ts';

export interface WorkerFlags {
  concurrency?: string;
  queue?: string;
}

/** `vidbot worker`: only runs jobs, beside a `vidbot serve --no-workers` (or several). */
export const workerCommand = async (context: CliContext, flags: WorkerFlags): Promise<void> => {
  const { config } = await loadCliConfig(context, { workerCount: flag('--concurrency', flags.concurrency), redisUrl: flag('--queue', flags.queue) });
  let vidbot;
  try {
    vidbot = await createVidbot(config, { env: { ...context.env }, onWarning: warnOn(context), waitForRedis: redisWait(context) });
  } catch (error) {
    if (stoppedWaiting(context, error)) return;
    throw error;
  }
  try {
    assertSharedMedia(vidbot);
  } catch (error) {
    await vidbot.close();
    throw error;
  }
  const workerId = `${hostname()}:${process.pid}`;
  const worker = vidbot.startWorkers({ concurrency: config.workerCount, workerId });
  const offs = [
    vidbot.queue.on('active', (e) => context.stderr.write(`${e.jobId}: started (attempt ${e.attempt})\n`)),
    vidbot.queue.on('completed', (e) => context.stderr.write(`${e.jobId}: done in ${Math.round(e.durationMs / 100) / 10} s\n`)),
    // One line each: an error's own text may carry line breaks (ffmpeg's last words).
    vidbot.queue.on('retrying', (e) => context.stderr.write(`${e.jobId}: will retry in ${e.delayMs} ms (${oneLine(e.error)})\n`)),
    vidbot.queue.on('failed', (e) => context.stderr.write(`${e.jobId}: failed: ${e.error}\n`)),
    vidbot.queue.on('canceled', (e) => context.stderr.write(`${e.jobId}: canceled\n`)),
  ];
  context.stderr.write(
    `vidbot worker ${workerId}: ${config.workerCount} at once · queue ${vidbot.queue.name} · store ${vidbot.store.name} · provider ${vidbot.provider.name} · media ${vidbot.mediaHost.name}\n` +
      `  Ctrl-C stops (running jobs get ${config.shutdownGraceSec} s to finish, then go back to the queue).\n`,
  );
  if (!context.signal.aborted) await once(context.signal, 'abort');
  const runningAtStop = worker.running;
  context.stderr.write(
    runningAtStop > 0
      ? `\nShutting down: taking no new jobs; ${plural(runningAtStop, 'running job')} ${runningAtStop === 1 ? 'gets' : 'get'} up to ${config.shutdownGraceSec} s to finish...\n`
      : '\nShutting down: no job was running.\n',
  );
  let handedBack = 0;
  await drainWorkers(worker, config.shutdownGraceSec, (running) => {
    handedBack = running;
    context.stderr.write(`Handing ${plural(running, 'running job')} back to the queue.\n`);
  });
  for (const off of offs) off();
  await vidbot.close();
  // As serve's last line: what became of the jobs that were running.
  const finished = Math.max(0, runningAtStop - handedBack);
  const ended = finished > 0 ? ` ${endedInTime(finished, handedBack)}` : '';
  const back = handedBack > 0 ? ` ${plural(handedBack, 'running job')} went back to the queue: ${handedBack === 1 ? 'it runs' : 'they run'} when a worker sharing the queue takes ${handedBack === 1 ? 'it' : 'them'}.` : '';
  context.stderr.write(`Stopped.${ended}${back}\n`);
};
