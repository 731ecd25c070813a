/**
 * One server for the webhook benchmark, in its own process so its memory is measured alone.
 * argv: vidbot|reference <dataDir> <authToken>. Prints {"port": n} once listening; answers the
 * parent's "rss" messages with its resident set size.
 */
import { createServer as createHttpServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/lib/config/index.ts';
import { backgroundLog } from '../src/server/log-destination.ts';

const [mode, dataDir = '', authToken = ''] = process.argv.slice(2);

const startVidbot = async (): Promise<number> => {
  mkdirSync(dataDir, { recursive: true });
  const { startServer } = await import('../src/server/index.ts');
  const { config } = loadConfig({
    env: { VIDBOT_DATA_DIR: dataDir, TWILIO_AUTH_TOKEN: authToken, VIDBOT_RATE_LIMIT: '10000', PORT: '0', VIDBOT_HOST: '127.0.0.1' },
    cwd: dataDir,
    dotenv: false,
  });
  // The web side as `vidbot serve --no-workers` starts it: the same library call, logging the same
  // lines the same way (into a file here rather than onto the bench's output; BENCH_LOG=0 logs nothing).
  const logger = process.env.BENCH_LOG === '0' ? false : { level: 'info', stream: backgroundLog(join(dataDir, 'server.log')) };
  const server = await startServer(config, { workers: 0, logger });
  return server.port;
};

// The reference: Twilio's documented Express pattern, validating the signature and answering
// TwiML, persisting nothing.
const startReference = async (): Promise<number> => {
  const { default: express } = await import('express');
  const { default: twilio } = await import('twilio');
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.post('/whatsapp/webhook', twilio.webhook(authToken, { protocol: 'http' }), (_req, res) => {
    const twiml = new twilio.twiml.MessagingResponse();
    twiml.message("🎬 Generating your video... I'll send it here when ready.");
    res.type('text/xml').send(twiml.toString());
  });
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
};

const port = mode === 'reference' ? await startReference() : await startVidbot();
process.on('message', (message) => {
  if (message === 'rss') process.send?.({ rss: process.memoryUsage().rss });
  // CPU time of the whole process (every thread), and of its main thread alone, in microseconds.
  if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    const main = process.threadCpuUsage();
    process.send?.({ cpu: user + system, mainThread: main.user + main.system });
  }
  // A clean exit, so --cpu-prof (BENCH_CPU_PROF) gets to write its profile.
  if (message === 'exit') process.exit(0);
});
process.send?.({ port });
