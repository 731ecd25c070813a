/** The plumbing every loopback fake shares: bodies, JSON answers, scripted faults, timers, a listening server. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};

/** How one request misbehaves: an error status (with Retry-After), a body that is not JSON, no answer, a dropped socket. */
export type Fault =
  | { kind: 'status'; status: number; retryAfterSec?: number }
  | { kind: 'malformed' }
  | { kind: 'hang' }
  | { kind: 'drop' };

/** Answers with a fault; `problem` writes the service's own error body for a status. */
export const misbehave = (res: ServerResponse, fault: Fault, problem: (res: ServerResponse, status: number, headers: Record<string, string>) => void) => {
  if (fault.kind === 'hang') return;
  if (fault.kind === 'drop') return void res.socket?.destroy();
  if (fault.kind === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "oops",');
  problem(res, fault.status, fault.retryAfterSec === undefined ? {} : { 'retry-after': String(fault.retryAfterSec) });
};

/** Timers a fake cancels all at once when it closes. */
export const createTimers = () => {
  const timers = new Set<NodeJS.Timeout>();
  return {
    later(ms: number, step: () => void) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        step();
      }, ms);
      timers.add(timer);
    },
    clear: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
};

/** Starts a server on a free loopback port; `close` drops open connections too. */
export const listen = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; base: string; close: () => Promise<void> }> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    base,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
