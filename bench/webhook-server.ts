/**
 * One server for the webhook benchmark, in its own process so its memory is measured alone.
 * argv: vidbot|reference <dataDir> <authToken>. Prints {"port": n} once listening; answers the
 * parent's "rss" messages with its resident set size.
 */
import { createServer as createHttpServer } from 'node:http';
import { loadConfig } from '../src/lib/config/index.ts';

const [mode, dataDir = '', authToken = ''] = process.argv.slice(2);

const startVidbot = async (): Promise<number> => {
  const { createVidbot } = await import('../src/lib/create-vidbot.ts');
  const { createBot } = await import('../src/lib/bot/index.ts');
  const { createServer } = await import('../src/server/index.ts');
  const { config } = loadConfig({
    env: { VIDBOT_DATA_DIR: dataDir, TWILIO_AUTH_TOKEN: authToken, VIDBOT_RATE_LIMIT: '10000' },
    cwd: dataDir,
    dotenv: false,
  });
  const vidbot = await createVidbot(config);
  const app = await createServer({ vidbot, bot: createBot({ vidbot }), authToken, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
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
});
process.send?.({ port });
