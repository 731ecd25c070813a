import { Writable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { describe, expect, it } from 'vitest';
import { installRequestLog, logInbound } from '../../src/server/request-log.ts';

const message = (messageId: string) => ({ channel: 'cloud-api', messageId, kind: 'ack', taskId: `task-${messageId}`, duplicate: false });

const appLogging = async () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({ logger: { level: 'info', stream }, logController: new LogController({ disableRequestLogging: true }) });
  const observed: string[] = [];
  installRequestLog(app, (request, reply) => observed.push(`${request.method} ${reply.statusCode}`));
  app.post<{ Body: { ids: string[] } }>('/hook', async (request) => {
    for (const id of request.body.ids) logInbound(request, message(id), request.body.ids.length === 1);
    return 'ok';
  });
  return { app, lines, observed };
};

describe('the request log', () => {
  it('says a webhook\'s one message on the request\'s own line, and a batch\'s messages on lines of their own', async () => {
    const { app, lines, observed } = await appLogging();
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
});
