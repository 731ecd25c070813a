import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/lib/config/index.ts';
import { type CreateVidbotOptions, type Vidbot, createVidbot } from '../../src/lib/create-vidbot.ts';
import { sharedFfmpegFor } from './ffmpeg.ts';

/** A fresh data dir, removed by `cleanup`. */
export const makeDataDir = async (): Promise<{ dataDir: string; cleanup: () => Promise<void> }> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vidbot-data-'));
  return { dataDir, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
};

/** A vidbot on a fresh data dir with the embedded adapters, configured as a test needs. */
export const makeVidbot = async (
  env: Record<string, string> = {},
  options: CreateVidbotOptions = {},
): Promise<{ vidbot: Vidbot; dataDir: string; cleanup: () => Promise<void> }> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vidbot-data-'));
  const { config } = loadConfig({
    // One-second videos: most tests render one or more, and a test that needs a longer job says so.
    env: { VIDBOT_DATA_DIR: dataDir, VIDBOT_VIDEO_SECONDS: '1', ...env },
    cwd: dataDir,
    dotenv: false,
  });
  const vidbot = await createVidbot(config, { ...(await sharedFfmpegFor(env, options)), ...options });
  return {
    vidbot,
    dataDir,
    cleanup: async () => {
      await vidbot.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};

export const waitFor = async <T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
