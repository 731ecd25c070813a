/**
 * `vidbot doctor`'s vocabulary: each check is a small async function that gets its dependencies
 * (configuration, environment, fetch) and answers pass / warn / fail / skip with a one-line detail
 * and, when not a pass, a fix.
 */
import type { Config, SettingKey } from '../config/settings.ts';
import type { InstallerBinaries } from '../ffmpeg/locate.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export type CheckId =
  | 'settings'
  | 'node'
  | 'ffmpeg'
  | 'store'
  | 'queue'
  | 'twilio'
  | 'cloud-api'
  | 'cloud-webhook'
  | 'replicate'
  | 'fal'
  | 'cog'
  | 'openai'
  | 'cloudinary'
  | 'public-url'
  | 'signature'
  | 'media-url'
  | 'whatsapp-clip';

/** What one check found. */
export interface CheckOutcome {
  readonly status: CheckStatus;
  /** One line: what was checked and what came out. */
  readonly detail: string;
  /** What to do about it, when the status is not a pass. */
  readonly fix?: string;
}

export interface DoctorCheck extends CheckOutcome {
  readonly id: CheckId;
  readonly title: string;
  readonly durationMs: number;
}

export interface DoctorReport {
  /** False when any check failed; warnings and skips do not count against it. */
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
  readonly counts: Readonly<Record<CheckStatus, number>>;
}

export interface DoctorOptions {
  /** The environment: PATH for ffmpeg (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** The fetch used for HTTP checks of vidbot's own server (default globalThis.fetch). */
  readonly fetch?: typeof fetch;
  /** Time limit of each network check (default 5 s). */
  readonly timeoutMs?: number;
  /** Time limit of rendering, compressing and publishing the test clip (default 60 s). */
  readonly clipTimeoutMs?: number;
  /** The Node.js version to judge (default process.versions.node). */
  readonly nodeVersion?: string;
  /** How the @ffmpeg-installer fallback is found; `false` skips it (default: the package). */
  readonly resolveInstaller?: false | (() => Promise<InstallerBinaries>);
  /** Called as each check finishes, in completion order (progress output). */
  readonly onCheck?: (check: DoctorCheck) => void;
  /**
   * Settings whose values were invalid (loadConfig's `invalid`, with collectInvalid): reported as
   * one failed check, while the other checks run on what the settings fell back to.
   */
  readonly invalidSettings?: Readonly<Partial<Record<SettingKey, Error>>>;
  /** What the report calls the server's public URL: where it came from (default PUBLIC_BASE_URL; `vidbot doctor --server` says --server). */
  readonly publicUrlName?: string;
}

/** What every check gets: resolved options and the configuration. */
export interface DoctorContext {
  readonly config: Config;
  readonly env: NodeJS.ProcessEnv;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly clipTimeoutMs: number;
  readonly nodeVersion: string;
  readonly resolveInstaller?: false | (() => Promise<InstallerBinaries>);
  /** What the report calls the server's public URL (PUBLIC_BASE_URL, or --server). */
  readonly publicUrlName: string;
}

export const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail });
export const skip = (detail: string): CheckOutcome => ({ status: 'skip', detail });
export const warn = (detail: string, fix: string): CheckOutcome => ({ status: 'warn', detail, fix });
export const fail = (detail: string, fix: string): CheckOutcome => ({ status: 'fail', detail, fix });

/** The message of anything thrown, on one line. */
export const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();

/** The hint of a VidbotError (or anything with a string `hint`). */
export const hintOf = (error: unknown): string | undefined => {
  const hint = (error as { hint?: unknown } | undefined)?.hint;
  return typeof hint === 'string' && hint !== '' ? hint : undefined;
};

/** The system error code (ECONNREFUSED, ENOTFOUND...) somewhere in an error's cause chain. */
export const systemCode = (error: unknown): string | undefined => {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
};

/** "http://127.0.0.1:9000": a base URL without credentials, path or query, for messages. */
export const originOf = (url: string | undefined, fallback: string): string => {
  if (url === undefined) return fallback;
  try {
    return new URL(url).origin;
  } catch {
    return fallback;
  }
};
