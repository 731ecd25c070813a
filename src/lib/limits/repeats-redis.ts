/**
 * The repeat guard (repeats.ts) shared by every process on one Redis: a double send that reaches
 * two web processes behind a balancer makes one video too. Each request's key holds the message
 * standing for it ("<messageId>" while it is decided, "<messageId> <taskId>" once it made a task);
 * every change is one Lua script, so atomic. A repeat that finds the first still deciding waits for
 * it, as the memory guard does, but no longer than a decision takes: a process that died deciding
 * holds the request no more.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { isVidbotError, vidbotError } from '../errors.ts';
import type { Store } from '../store/port.ts';
import { redisScript } from './redis-script.ts';
import { type RepeatCheck, type RepeatGuard, openTask } from './repeats.ts';

// KEYS: the request's key. ARGV: the operation, the message id, the value expected (take-over) or the
// task id ('' for none: settle), how long the entry lives.
// claim: '' when the message now stands for the request (new, or its own redelivery), else the value held.
// take-over: '' when the value was still the one expected and is now the message's, else the value held.
// settle: the message's entry notes its task, or goes when it made none; another's is left alone.
const REPEAT = `
local held = redis.call('GET', KEYS[1])
local op, message = ARGV[1], ARGV[2]
local holder = held and string.match(held, '^(%S+)')
if op == 'settle' then
  if holder ~= message then return '' end
  if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], message .. ' ' .. ARGV[3], 'PX', ARGV[4]) end
  return ''
end
if held and holder ~= message and (op == 'claim' or held ~= ARGV[3]) then return held end
redis.call('SET', KEYS[1], message, 'PX', ARGV[4])
return ''
`;
const repeat = redisScript(REPEAT);

export interface RedisRepeatGuardOptions {
  readonly redis: Redis;
  readonly store: Pick<Store, 'getTask'>;
  /** Key prefix, the queue's (default "vidbot"). */
  readonly prefix?: string;
  /** How long a message being decided holds its request (default 15 s): a decision that takes longer has died. */
  readonly decidingMs?: number;
  /** How long a request's task is remembered (default 6 h): asked again later, it is judged alone. */
  readonly madeTtlMs?: number;
}

/** How often a repeat looks whether the first message is decided. */
const POLL_MS = 50;

const failed = (error: unknown) =>
  isVidbotError(error)
    ? error
    : vidbotError('VIDBOT_STORE_FAILED', `Redis could not look up a repeated request: ${(error as Error).message}`, {
        cause: error,
        hint: 'Check that Redis is running and REDIS_URL points at it.',
      });

export const createRedisRepeatGuard = ({ redis, store, prefix = 'vidbot', decidingMs = 15_000, madeTtlMs = 6 * 3600_000 }: RedisRepeatGuardOptions): RepeatGuard => {
  const run = (key: string, args: readonly (string | number)[]): Promise<string> =>
    repeat(redis, [`${prefix}:repeats:${key}`], args).catch((error: unknown) => {
      throw failed(error);
    });

  const owned = (key: string, messageId: string): RepeatCheck => ({
    settled(taskId) {
      // Best effort: an entry left behind holds its request for decidingMs at most, or until its task ends.
      run(key, ['settle', messageId, taskId ?? '', madeTtlMs]).catch(() => undefined);
    },
  });

  return {
    name: 'redis',
    async check({ key, messageId }) {
      let held = await run(key, ['claim', messageId, '', decidingMs]);
      let heldSince = { value: held, at: Date.now() };
      for (;;) {
        if (held === '') return owned(key, messageId);
        // Each message seen holding the request gets its own time to decide.
        if (held !== heldSince.value) heldSince = { value: held, at: Date.now() };
        const waitUntil = heldSince.at + decidingMs;
        const [, taskId] = held.split(' ');
        if (taskId !== undefined) {
          const task = await openTask(store, taskId);
          if (task !== undefined) return { repeats: task };
        } else if (Date.now() < waitUntil) {
          // The first message is still being decided (a moment, as a rule).
          await sleep(POLL_MS);
          held = await run(key, ['claim', messageId, '', decidingMs]);
          continue;
        }
        // Its video came, or it never decided: this message takes the request over, unless another just did.
        held = await run(key, ['take-over', messageId, held, decidingMs]);
      }
    },
  };
};
