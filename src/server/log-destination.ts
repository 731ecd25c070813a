/**
 * Where the server's JSON log lines go (standard output, or a file), written in the background: pino's SonicBoom with
 * sync off queues lines while a write is in flight and sends them together, so a webhook never
 * waits on a terminal or a pipe, and a busy server makes one write of many lines where it made one
 * per line. Lines still queued are written out when the process exits.
 */
import pino from 'pino';

export const backgroundLog = (dest: number | string = 1): pino.DestinationStream => {
  const destination = pino.destination({ dest, sync: false });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // A write still in flight when the process ends: nothing more can be done from here.
    }
  });
  return destination;
};
