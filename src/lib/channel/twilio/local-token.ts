import { randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isVidbotError, vidbotError } from '../../errors.ts';
import { makeDirs } from '../../files.ts';

export const LOCAL_AUTH_TOKEN_FILE = 'local-auth-token';

const readToken = async (file: string): Promise<string | undefined> => {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token === '') {
      throw vidbotError('VIDBOT_CONFIG_INVALID', `The local auth token file ${file} is empty.`, {
        hint: 'Delete the file; vidbot creates a new token on the next start.',
      });
    }
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

const storeFailed = (file: string, error: unknown) =>
  vidbotError('VIDBOT_STORE_FAILED', `Cannot create the local auth token ${file}: ${(error as Error).message}`, {
    cause: error,
    retryable: false,
    hint: 'Set VIDBOT_DATA_DIR to a folder you can write to, or set TWILIO_AUTH_TOKEN.',
  });

/**
 * The token vidbot signs and checks webhooks with when no TWILIO_AUTH_TOKEN is set: 32 random hex
 * characters, created once in `<dataDir>/local-auth-token` (mode 0600). The server and
 * `vidbot sign` read the same file, so locally signed requests pass the server's check.
 */
export const loadLocalAuthToken = async ({ dataDir }: { dataDir: string }): Promise<string> => {
  const file = join(dataDir, LOCAL_AUTH_TOKEN_FILE);
  const existing = await readToken(file);
  if (existing !== undefined) return existing;

  const token = randomBytes(16).toString('hex');
  const temp = join(dataDir, `.${LOCAL_AUTH_TOKEN_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // The data folder first, said as such: the token's own hint (TWILIO_AUTH_TOKEN) would not help there.
  await makeDirs(dataDir).catch((error: unknown) => {
    throw vidbotError('VIDBOT_STORE_FAILED', `Cannot create the data folder ${dataDir}: ${(error as Error).message}`, {
      cause: error,
      retryable: false,
      hint: 'Set VIDBOT_DATA_DIR to a folder you can write to.',
    });
  });
  try {
    await writeFile(temp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    try {
      // link() never replaces an existing file and publishes the whole content at once, so when
      // two processes start together exactly one token wins and both read that one.
      await link(temp, file);
      return token;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return (await readToken(file)) ?? token;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
      // File systems without hard links: an exclusive create still never clobbers.
      try {
        await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
        return token;
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return (await readToken(file)) ?? token;
        throw inner;
      }
    }
  } catch (error) {
    if (isVidbotError(error)) throw error;
    throw storeFailed(file, error);
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
};
