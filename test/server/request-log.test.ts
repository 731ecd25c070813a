import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { describe, expect, it } from 'vitest';
import { installRequestLog, logInbound } from '../../src/server/request-log.ts';

const message = (messageId: string) => ({ channel: 'cloud-api', messageId, kind: 'ack', taskId: `task-${messageId}`, duplicate: false });

/** A Fastify app logging as the server does (no request logging of Fastify's own), its lines parsed. */
const loggingApp = () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { app: Fastify({ logger: { level: 'info', stream }, logController: new LogController({ disableRequestLogging: true }) }), lines };
};

/** The app of the first test: one route whose body names the messages it logs. */
const appWithHook = () => {
  const { app, lines } = loggingApp();
  const observed: string[] = [];
  installRequestLog(app, (request, reply) => observed.push(`${request.method} ${reply.statusCode}`));
  app.post<{ Body: { ids: string[] } }>('/hook', async (request, reply) => {
    for (const id of request.body.ids) logInbound(request, reply, message(id), request.body.ids.length === 1);
    return 'ok';
  });
  return { app, lines, observed };
};

describe('the request log', () => {
  it('says a webhook\'s one message on the request\'s own line, and a batch\'s messages on lines of their own', async () => {
    const { app, lines, observed } = appWithHook();
    await app.inject({ method: 'POST', url: '/hook', payload: { ids: ['one'] } });
    await app.inject({ method: 'POST', url: '/hook', payload: { ids: ['a', 'b'] } });
    await app.inject({ method: 'GET', url: '/nowhere' });
    expect(lines.map((line) => [line.msg, line.messageId ?? null, line.statusCode ?? null])).toEqual([
      ['inbound message', 'one', 200],
      ['inbound message', 'a', null],
      ['inbound message', 'b', null],
      ['request completed', null, 200],
      ['request completed', null, 404],
    ]);
    expect(lines[0]).toMatchObject({ method: 'POST', url: '/hook', channel: 'cloud-api', kind: 'ack', taskId: 'task-one', duplicate: false });
    expect(lines[0]?.responseTime).toEqual(expect.any(Number));
    expect(observed).toEqual(['POST 200', 'POST 200', 'GET 404']);
    await app.close();
  });

  it("says a message whose service gave up waiting, whether the bot answered before or after it left", async () => {
    const { app, lines } = loggingApp();
    installRequestLog(app, () => {});
    const gates = new Map<string, () => void>();
    const arrived = new Map<string, () => void>();
    const until = (map: Map<string, () => void>, id: string) => new Promise<void>((resolve) => map.set(id, resolve));
    app.post<{ Body: { id: string; answerFirst: boolean } }>('/hook', async (request, reply) => {
      const { id, answerFirst } = request.body;
      if (answerFirst) logInbound(request, reply, message(id), true);
      arrived.get(id)?.();
      await until(gates, id);
      if (!answerFirst) logInbound(request, reply, message(id), true);
      return 'ok';
    });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const post = (id: string, answerFirst: boolean) => {
      const here = until(arrived, id);
      const body = JSON.stringify({ id, answerFirst });
      const client = httpRequest(`${address}/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      client.on('error', () => {});
      client.end(body);
      return { here, leave: () => client.destroy() };
    };
    const early = post('early', true);
    const late = post('late', false);
    await Promise.all([early.here, late.here]);
    early.leave();
    late.leave();
    const said = (id: string) => lines.find((line) => line.messageId === id);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => said('early') && (clearInterval(check), resolve()), 10);
    });
    gates.get('late')?.();
    gates.get('early')?.();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => said('late') && (clearInterval(check), resolve()), 10);
    });
    expect(said('early')).toMatchObject({ msg: 'inbound message', aborted: true, method: 'POST', url: '/hook', kind: 'ack' });
    expect(said('late')).toMatchObject({ msg: 'inbound message', aborted: true, taskId: 'task-late' });
    expect(lines.filter((line) => line.messageId !== undefined)).toHaveLength(2);
    await app.close();
  });
});
