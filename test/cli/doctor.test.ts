import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, makeSandbox, runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { type Fakes, startFakes, startServer } from '../doctor/setup.ts';

const doctor = (args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<CliResult> => runCli(['doctor', ...args], options);

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(() => fakes.close());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
const sandbox = async () => {
  const box = await makeSandbox();
  cleanups.push(box.cleanup);
  return box;
};

interface JsonReport {
  ok: boolean;
  counts: Record<string, number>;
  checks: { id: string; title: string; status: string; detail: string; fix?: string; durationMs: number }[];
}

const CHECK_LINE = /^([✔!✖-]) (\S+(?: \S+)*)( +)(\S.*)$/;

describe('vidbot doctor', { timeout: 120_000 }, () => {
  it('passes a healthy setup: aligned lines, fixes indented under them, a summary, and JSON with --json', async () => {
    const box = await sandbox();
    const env = { ...box.env, ...fakes.env };
    const server = await startServer(env);
    cleanups.push(server.close);
    const withUrl = { ...env, PUBLIC_BASE_URL: server.url };

    const result = await doctor([], { env: withUrl, cwd: box.root });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('13 passed, 1 warning, 2 skipped');
    expect(lines.at(-2)).toBe('');
    const checkLines = lines.filter((line) => CHECK_LINE.test(line));
    expect(checkLines.map((line) => CHECK_LINE.exec(line)?.[2])).toEqual([
      'Node.js', 'ffmpeg', 'Store', 'Queue', 'Twilio', 'Cloud API', 'Replicate', 'fal.ai', 'Cog server', 'OpenAI', 'Cloudinary', 'Public URL', 'Signature', 'Cloud API webhook', 'Media URL', 'WhatsApp clip',
    ]);
    // Every detail starts in the same column.
    const columns = new Set(checkLines.map((line) => line.indexOf(CHECK_LINE.exec(line)?.[4] ?? '')));
    expect(columns.size).toBe(1);
    const [column] = [...columns];
    const warning = lines.findIndex((line) => line.startsWith('! Public URL'));
    expect(lines[warning]).toContain('over http on loopback');
    expect(lines[warning + 1]).toBe(`${' '.repeat(column ?? 0)}fix: Twilio and WhatsApp need https: put the server behind a TLS reverse proxy or a tunnel and set PUBLIC_BASE_URL to its https URL.`);
    expect(checkLines.filter((line) => line.startsWith('✔'))).toHaveLength(13);

    const json = await doctor(['--json'], { env: withUrl, cwd: box.root });
    expect(json.exitCode).toBe(0);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.ok).toBe(true);
    expect(report.counts).toEqual({ pass: 13, warn: 1, fail: 0, skip: 2 });
    expect(report.checks.map((check) => check.id)).toEqual([
      'node', 'ffmpeg', 'store', 'queue', 'twilio', 'cloud-api', 'replicate', 'fal', 'cog', 'openai', 'cloudinary', 'public-url', 'signature', 'cloud-webhook', 'media-url', 'whatsapp-clip',
    ]);
    for (const check of report.checks) {
      expect(check).toEqual(expect.objectContaining({ title: expect.any(String), detail: expect.any(String), durationMs: expect.any(Number) }));
      expect(['pass', 'warn', ...(check.id === 'fal' || check.id === 'cog' ? ['skip'] : [])]).toContain(check.status);
    }
  });

  it('fails rejected Twilio and Replicate tokens, naming the variables, and exits non-zero', async () => {
    const box = await sandbox();
    const env = { ...box.env, ...fakes.env, TWILIO_AUTH_TOKEN: 'fedcba9876543210fedcba9876543210', REPLICATE_API_TOKEN: 'r8_wrong' };
    const result = await doctor([], { env, cwd: box.root });
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.split('\n');
    const twilio = lines.findIndex((line) => line.startsWith('✖ Twilio'));
    expect(lines[twilio]).toMatch(/Twilio rejected TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN \(401\)/);
    expect(lines[twilio + 1]).toMatch(/^ +fix: Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: /);
    expect(result.stdout).toMatch(/^✖ Replicate +Replicate rejected REPLICATE_API_TOKEN \(401\)/m);
    expect(result.stdout).toMatch(/\n\d+ passed(, \d+ warnings?)?, 2 failed, \d+ skipped\n$/);
    expect(result.stderr).toContain('✖ vidbot doctor: 2 checks failed (twilio, replicate). [VIDBOT_DOCTOR_FAILED]');
    expect(result.stderr).toContain('hint: Each ✖ line above has its fix');
  });

  it('reports every invalid setting at once, and checks the rest on their defaults', async () => {
    const box = await sandbox();
    const env = { ...box.env, PUBLIC_BASE_URL: 'not-a-url', VIDBOT_RATE_LIMIT: 'lots', TWILIO_ACCOUNT_SID: 'foo', TWILIO_AUTH_TOKEN: 'short' };
    const result = await doctor(['--json'], { env, cwd: box.root });
    expect(result.exitCode).toBe(1);
    // No ✖ lines to point at: the hint points at the report's failed checks.
    expect(result.stderr).toContain('hint: Each check with "status": "fail" in the report has its fix');
    const report = JSON.parse(result.stdout) as JsonReport;
    const byId = Object.fromEntries(report.checks.map((check) => [check.id, check]));
    expect(report.checks[0]?.id).toBe('settings');
    expect(byId.settings).toMatchObject({ status: 'fail', title: 'Settings' });
    expect(byId.settings?.detail).toMatch(/^2 invalid values, which every other command refuses: /);
    expect(byId.settings?.detail).toContain('PUBLIC_BASE_URL must be an absolute URL');
    expect(byId.settings?.detail).toContain('VIDBOT_RATE_LIMIT must be a whole number');
    expect(byId.settings?.fix).toBe('Fix the VIDBOT_RATE_LIMIT environment variable, or unset it. Fix the PUBLIC_BASE_URL environment variable, or unset it.');
    expect(byId['public-url']).toMatchObject({ status: 'skip', detail: 'PUBLIC_BASE_URL is not a URL (see Settings)' });
    expect(byId.twilio).toMatchObject({ status: 'fail', detail: expect.stringContaining('TWILIO_ACCOUNT_SID "foo..." is not an account SID') });
    expect(byId.store?.status).toBe('pass');
    expect(result.stderr).toContain('2 checks failed (settings, twilio)');
  });

  it('fails an unreachable PUBLIC_BASE_URL and an unreachable Redis, in JSON too', async () => {
    const box = await sandbox();
    const [web, redis] = [await freePort(), await freePort()];
    const env = { ...box.env, PUBLIC_BASE_URL: `http://127.0.0.1:${web}`, REDIS_URL: `redis://127.0.0.1:${redis}` };
    const result = await doctor(['--json'], { env, cwd: box.root });
    expect(result.exitCode).toBe(1);
    // One JSON document on stdout: the report (the error's own line goes to stderr only).
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    const byId = Object.fromEntries(report.checks.map((check) => [check.id, check]));
    expect(report.ok).toBe(false);
    expect(byId['public-url']).toMatchObject({ status: 'fail', detail: `could not reach http://127.0.0.1:${web}/health: ECONNREFUSED` });
    expect(byId.queue).toMatchObject({ status: 'fail', fix: expect.stringMatching(/^Start Redis, or fix REDIS_URL/) });
    expect(byId.queue?.detail).toContain(`Cannot reach Redis at redis://127.0.0.1:${redis}`);
    expect(byId.signature?.status).toBe('skip');
    expect(result.stderr).toContain('[VIDBOT_DOCTOR_FAILED]');
  });

  it('fails missing ffmpeg with its fix, and skips the clip checks', async () => {
    const box = await sandbox();
    const env = { ...box.env, PATH: '', FFMPEG_BIN: join(box.root, 'missing', 'ffmpeg') };
    const result = await doctor([], { env, cwd: box.root });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^✖ ffmpeg +ffmpeg not found: FFMPEG_BIN=.* does not exist\n +fix: Fix FFMPEG_BIN/m);
    expect(result.stdout).toMatch(/^- WhatsApp clip +needs a working ffmpeg \(see above\)$/m);
    expect(result.stdout).toMatch(/^✔ Store /m);
  });

  it('checks the server given with --server, and explains a signature the server refuses', async () => {
    const box = await sandbox();
    const server = await startServer(box.env, { authToken: 'the-servers-own-token' });
    cleanups.push(server.close);
    const result = await doctor(['--server', server.url], { env: { ...box.env, TWILIO_AUTH_TOKEN: 'not-the-same' }, cwd: box.root });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^! Public URL +http:\/\/127\.0\.0\.1:\d+\/health answers 200/m);
    const lines = result.stdout.split('\n');
    const signature = lines.findIndex((line) => line.startsWith('✖ Signature'));
    expect(lines[signature]).toContain(`for ${server.url}/whatsapp/status (403)`);
    expect(lines[signature + 1]).toContain('must equal PUBLIC_BASE_URL + path');
    expect(lines[signature + 1]).toContain('--trust-proxy');
    const invalid = await doctor(['--server', 'not a url'], { env: box.env, cwd: box.root });
    expect(invalid.exitCode).toBe(2); // a bad flag value, not a failed check
    expect(invalid.stderr).toContain('--server must be an absolute URL');
    // Nothing there: the report blames the URL it was given, by the name it was given under.
    const down = await doctor(['--server', `http://127.0.0.1:${await freePort()}`], { env: box.env, cwd: box.root });
    expect(down.stdout).toMatch(/^- Signature +--server does not work \(see above\)$/m);
    expect(down.stdout).toContain('give --server the URL it listens on');
    expect(down.stdout).not.toContain('PUBLIC_BASE_URL');
  });
});
