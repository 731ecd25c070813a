/**
 * The reference description: a server with every channel on (Twilio and Meta's Cloud API) and an API
 * key, built in-process on a scratch data folder, never listening. The committed Postman collection
 * is made from it (`npm run postman`), and a test checks that it still is; nothing of the machine it
 * runs on (saved settings, .env, the environment) goes in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config/index.ts';
import { startServer } from '../start.ts';
import type { OpenApiDocument } from './postman.ts';

/** Placeholders: the server only needs them present (nothing is sent or checked while building). */
const REFERENCE_ENV = {
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'reference-token',
  TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886',
  WHATSAPP_TOKEN: 'reference-token',
  WHATSAPP_PHONE_NUMBER_ID: '100000000000002',
  WHATSAPP_APP_SECRET: 'reference-secret',
  WHATSAPP_VERIFY_TOKEN: 'reference-token',
  VIDBOT_API_KEY: 'reference-key',
};

export const referenceDocument = async (): Promise<OpenApiDocument> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vidbot-openapi-'));
  try {
    const { config } = loadConfig({ env: { VIDBOT_DATA_DIR: dataDir, ...REFERENCE_ENV }, cwd: dataDir, dotenv: false });
    const server = await startServer(config, { listen: false, workers: 0 });
    try {
      await server.app.ready();
      return structuredClone(server.app.swagger()) as unknown as OpenApiDocument;
    } finally {
      await server.close({ graceSec: 0 });
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
};
