import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from '../helpers/cli.ts';

let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
beforeEach(async () => {
  sandbox = await makeSandbox();
});
afterEach(() => sandbox.cleanup());

const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { ...sandbox.env, ...env }, cwd: sandbox.root });

/** Twilio's algorithm written out independently of the SDK: URL, then sorted keys each followed by their sorted values. */
const hmac = (token: string, url: string, fields: [string, string][]): string => {
  const keys = [...new Set(fields.map(([key]) => key))].sort();
  const data = keys.reduce(
    (acc, key) =>
      acc +
      fields
        .filter(([k]) => k === key)
        .map(([, value]) => value)
        .sort()
        .map((value) => key + value)
        .join(''),
    url,
  );
  return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
};

// Twilio's documented example (https://www.twilio.com/docs/usage/security).
const DOC_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const DOC_FIELDS: [string, string][] = [
  ['CallSid', 'CA1234567890ABCDE'],
  ['Caller', '+12349013030'],
  ['Digits', '1234'],
  ['From', '+12349013030'],
  ['To', '+18005551212'],
];
const DOC_SIGNATURE = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';
const docArgs = ['--url', DOC_URL, ...DOC_FIELDS.flatMap(([k, v]) => ['-d', `${k}=${v}`])];

describe('vidbot sign', () => {
  it("matches Twilio's documented example, printing only the signature", async () => {
    expect(hmac('12345', DOC_URL, DOC_FIELDS)).toBe(DOC_SIGNATURE);
    const result = await cli(['sign', ...docArgs, '--token', '12345']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${DOC_SIGNATURE}\n`);
    expect(result.stderr).toContain('--token');
    expect(result.stderr).not.toContain('12345');
  });

  it('signs repeated keys with every value, and splits Key=Value at the first =', async () => {
    const url = 'https://bot.example.com/whatsapp/webhook';
    const fields: [string, string][] = [
      ['MediaUrl', 'https://b.example/2'],
      ['Body', 'a=b=c'],
      ['MediaUrl', 'https://a.example/1'],
      ['Empty', ''],
    ];
    const args = ['sign', '--url', url, ...fields.flatMap(([k, v]) => ['-d', `${k}=${v}`]), '--token', 't0k', '--json'];
    const result = await cli(args);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      url,
      signature: hmac('t0k', url, fields),
      params: { MediaUrl: ['https://b.example/2', 'https://a.example/1'], Body: 'a=b=c', Empty: '' },
      tokenSource: 'flag',
    });
  });

  it('takes the token from --token over TWILIO_AUTH_TOKEN, and TWILIO_AUTH_TOKEN over the local file', async () => {
    const fromEnv = await cli(['sign', ...docArgs], { TWILIO_AUTH_TOKEN: '12345' });
    expect(fromEnv.stdout).toBe(`${DOC_SIGNATURE}\n`);
    expect(fromEnv.stderr).toContain('TWILIO_AUTH_TOKEN (from environment)');
    expect(fromEnv.stderr).not.toContain('12345');
    const asJson = await cli(['sign', ...docArgs, '--json'], { TWILIO_AUTH_TOKEN: '12345' });
    expect(JSON.parse(asJson.stdout)).toMatchObject({ signature: DOC_SIGNATURE, tokenSource: 'config', tokenFrom: 'environment' });

    const flagWins = await cli(['sign', ...docArgs, '--token', 'other', '--json'], { TWILIO_AUTH_TOKEN: '12345' });
    expect(JSON.parse(flagWins.stdout)).toMatchObject({ signature: hmac('other', DOC_URL, DOC_FIELDS), tokenSource: 'flag' });
    expect(existsSync(join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'local-auth-token'))).toBe(false);
  });

  it('falls back to the local token file that vidbot serve uses, the same one each time', async () => {
    const first = await cli(['sign', ...docArgs]);
    const second = await cli(['sign', ...docArgs, '--json']);
    expect(first.exitCode).toBe(0);
    const file = join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'local-auth-token');
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(first.stdout).toBe(`${hmac(token, DOC_URL, DOC_FIELDS)}\n`);
    expect(JSON.parse(second.stdout)).toMatchObject({ signature: first.stdout.trim(), tokenSource: 'local' });
    expect(first.stderr).toContain('local token');
    expect(first.stderr + second.stderr).not.toContain(token);
  });

  it('prints a curl command that posts exactly the signed form, awkward characters included', async () => {
    const token = 'curl-token';
    const seen: { valid: boolean; form: [string, string][] }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = [...new URLSearchParams(Buffer.concat(chunks).toString('utf8'))];
        const params: Record<string, string | string[]> = {};
        for (const [key, value] of form) {
          const prev = params[key];
          params[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
        }
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url ?? ''}`;
        const valid = validateRequest(token, String(req.headers['x-twilio-signature']), url, params);
        seen.push({ valid, form });
        res.writeHead(valid ? 200 : 403).end(valid ? 'signature ok' : 'bad signature');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/whatsapp/webhook?a=1&b=2`;
      const fields: [string, string][] = [
        ['From', 'whatsapp:+15551234567'],
        ['Body', "it's a fox & a hen = 2 friends, déjà vu 🦊"],
        ['MediaUrl', 'https://x.example/a?b=c&d=e'],
        ['MediaUrl', '@not-a-file'],
        ['Odd Key', "it's $HOME `x` \\n"],
        ['Empty', ''],
      ];
      const args = ['sign', '--url', url, ...fields.flatMap(([k, v]) => ['-d', `${k}=${v}`]), '--token', token, '--curl'];
      const result = await cli(args);
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toMatch(/^curl -sS -X POST '/);

      const run = await execa('sh', ['-c', result.stdout], { reject: false });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('signature ok');
      expect(seen).toEqual([{ valid: true, form: fields }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([
    ['-d without =', ['--url', 'https://x.example/hook', '-d', 'novalue'], /-d "novalue" is not Key=Value/],
    ['-d with an empty key', ['--url', 'https://x.example/hook', '-d', '=v'], /empty key/],
    ['a non-http URL', ['--url', 'ftp://x'], /--url must be an http\(s\) URL, got "ftp:\/\/x"/],
    ['a relative URL', ['--url', '/whatsapp/webhook'], /--url must be an http\(s\) URL/],
  ])('rejects %s with exit 2, a one-line reason and a hint', async (_name, args, reason) => {
    const result = await cli(['sign', ...args, '--token', 't']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const [first, second] = result.stderr.split('\n');
    expect(first).toMatch(reason);
    expect(first).toContain('VIDBOT_INPUT_INVALID');
    expect(second).toMatch(/^ {2}hint: /);
  });

  it('rejects a missing --url with exit 2, without creating a token', async () => {
    const result = await cli(['sign', '-d', 'Body=hi']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')[0]).toContain("required option '--url <url>' not specified");
    expect(existsSync(join(sandbox.env.VIDBOT_DATA_DIR ?? '', 'local-auth-token'))).toBe(false);
  });
});
