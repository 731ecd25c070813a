import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from '../helpers/cli.ts';
import { useServers } from '../helpers/server.ts';
import { freePort } from '../helpers/ports.ts';

const server = useServers();
let sandbox: Awaited<ReturnType<typeof makeSandbox>>;
afterEach(() => sandbox?.cleanup());

describe('vidbot status --watch', () => {
  it('follows a running server as plain lines, and says so when the server goes away', async () => {
    sandbox = await makeSandbox();
    const { app } = await server();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const run = runCli(['status', '--watch', '--server', address], { env: sandbox.env, cwd: sandbox.root });
    await app.inject({ method: 'POST', url: '/api/generate-video', payload: { prompt: 'a fox', from: 'whatsapp:+15550001111' } });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await app.close();
    const result = await run;
    expect(result.stdout).toMatch(/queue: 1 waiting, 0 active, 0 done, 0 failed/);
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain('closed the event stream');
  });

  it('explains an unreachable server and a refused key', async () => {
    sandbox = await makeSandbox();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const gone = await runCli(['status', '--watch', '--server', closed], { env: sandbox.env, cwd: sandbox.root });
    expect(gone.exitCode).toBe(69);
    expect(gone.stderr).toContain(`No vidbot server is running at ${closed}`);
    const { app } = await server({}, { server: { apiKey: 'right-key' } });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const refused = await runCli(['status', '--watch', '--server', address], { env: { ...sandbox.env, VIDBOT_API_KEY: 'wrong-key' }, cwd: sandbox.root });
    expect(refused.exitCode).toBe(77);
    expect(refused.stderr).toContain('VIDBOT_API_KEY');
  });
});
