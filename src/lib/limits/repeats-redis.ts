/**
 * The repeat guard (repeats.ts) shared by every process on one Redis: a double send that reaches
 * two web processes behind a balancer makes one video too. Each request's key holds the message
 * standing for it ("<holder>" while it is decided, "<holder> <taskId>" once it made a task; the
 * holder a digest of the message id, so no id can break the format); every change is one Lua
 * script, so atomic. A repeat that finds the first still deciding waits for it, as the memory guard
 * does, but no longer than a decision takes: a process that died deciding holds the request no more.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { redisFailure, redisScript } from './redis-script.ts';
import { DECIDING_MS, type RepeatCheck, type RepeatGuard, madeTask } from './repeats.ts';
import type { Store, Task } from '../store/port.ts';

// KEYS: the request's key. ARGV: the operation, the holder, the value expected (take-over) or the
// task id ('' for none: settle), how long the entry lives.
// claim: '' when the holder now stands for the request (new, or its own redelivery, which leaves a
// decided entry as it is), else the value held.
// take-over: '' when the value was still the one expected and is now the holder's, else the value held.
// settle: the holder's entry notes its task, or goes when it made none (a decided one stays: a
// redelivery that made nothing does not undo the first delivery's task); another's is left alone.
const REPEAT = `
local held = redis.call('GET', KEYS[1])
local op, holder = ARGV[1], ARGV[2]
local current = held and string.match(held, '^(%S+)')
local decided = held and string.find(held, ' ', 1, true)
if op == 'settle' then
  if current ~= holder then return '' end
  if ARGV[3] ~= '' then redis.call('SET', KEYS[1], holder .. ' ' .. ARGV[3], 'PX', ARGV[4])
  elseif not decided then redis.call('DEL', KEYS[1]) end
  return ''
end
if held and current == holder then
  if not decided then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
  return ''
end
if held and (op == 'claim' or held ~= ARGV[3]) then return held end
redis.call('SET', KEYS[1], holder, 'PX', ARGV[4])
return ''
`;
const repeat = redisScript(REPEAT);

export interface RedisRepeatGuardOptions {
  readonly redis: Redis;
  readonly store: Pick<Store, 'getTask'>;
  /** Key prefix, the queue's (default "vidbot"). */
  readonly prefix?: string;
  /** How long a message being decided holds its request (default DECIDING_MS): a decision that takes longer has died. */
  readonly decidingMs?: number;
  /** How long a request's task is remembered (default 6 h): asked again later, it is judged alone. */
  readonly madeTtlMs?: number;
  /** Told when a message's task could not be noted (a repeat of it may then make a second video). */
  readonly onWarning?: (message: string) => void;
}

/** How often a repeat looks whether the first message is decided. */
const POLL_MS = 50;

const holderOf = (messageId: string): string => createHash('sha1').update(messageId).digest('base64url');

export const createRedisRepeatGuard = (options: RedisRepeatGuardOptions): RepeatGuard => {
  const { redis, store, prefix = 'vidbot', decidingMs = DECIDING_MS, madeTtlMs = 6 * 3600_000 } = options;
  const run = (key: string, args: readonly (string | number)[]): Promise<string> =>
    repeat(redis, [`${prefix}:repeats:${key}`], args).catch((error: unknown) => {
      throw redisFailure('look up a repeated request', error);
    });

  const owned = (key: string, holder: string, earlier: Task | undefined): RepeatCheck => ({
    ...(earlier === undefined ? {} : { earlier }),
    settled(taskId) {
      // Not awaited: the answer does not wait for it. One left undone holds its request for decidingMs at most.
      run(key, ['settle', holder, taskId ?? '', madeTtlMs]).catch((error: unknown) => {
        options.onWarning?.(`Could not note the task of a request in Redis: ${(error as Error).message}`);
      });
    },
  });

  return {
    name: 'redis',
    async check({ key, messageId }) {
      const holder = holderOf(messageId);
      let held = await run(key, ['claim', holder, '', decidingMs]);
      let heldSince = { value: held, at: Date.now() };
      let earlier: Task | undefined;
      for (;;) {
        if (held === '') return owned(key, holder, earlier);
        // Each message seen holding the request gets its own time to decide.
        if (held !== heldSince.value) heldSince = { value: held, at: Date.now() };
        const [, taskId] = held.split(' ');
        if (taskId !== undefined) {
          const made = await madeTask(store, taskId);
          if (made.open !== undefined) return { repeats: made.open };
          earlier = made.ended;
        } else if (Date.now() < heldSince.at + decidingMs) {
          // The first message is still being decided (a moment, as a rule).
          await sleep(POLL_MS);
          held = await run(key, ['claim', holder, '', decidingMs]);
          continue;
        }
        // Its video came, or it never decided: this message takes the request over, unless another just did.
        held = await run(key, ['take-over', holder, held, decidingMs]);
      }
    },
  };
};
