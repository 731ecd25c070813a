import { createServer } from 'node:net';

// Ports come from a band of this test worker's own, below Linux's ephemeral range (32768-60999).
// listen(0) hands out a port from that range, and hands the same one to another worker as soon as it
// is closed: two tests then started servers on one port, and one test's requests reached the other's
// server (a 401 from a token it never had). Each worker walks its band from a random start, so
// neither it nor another worker (nor a second run beside this one) is given a port twice in a row.
const BAND_START = 20_000;
const BAND_SIZE = 1_500;
const workerIndex = Math.max(0, Number(process.env.VITEST_POOL_ID ?? 1) - 1) % 8;
let offset = Math.floor(Math.random() * BAND_SIZE);

const listensOn = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A loopback port that was free a moment ago, for configs that must name their own URL up front. */
export const freePort = async (): Promise<number> => {
  for (let tries = 0; tries < BAND_SIZE; tries += 1) {
    offset = (offset + 1) % BAND_SIZE;
    const port = BAND_START + workerIndex * BAND_SIZE + offset;
    if (await listensOn(port)) return port;
  }
  throw new Error(`No free port in ${BAND_START + workerIndex * BAND_SIZE}-${BAND_START + (workerIndex + 1) * BAND_SIZE - 1}.`);
};
