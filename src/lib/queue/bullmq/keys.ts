/**
 * vidbot's own Redis keys beside BullMQ's, under the same `prefix:name` so one queue's data stays
 * together (and `obliterate` plus these keys removes everything):
 * - meta:<id>  hash: cancel requested, canceled, error code, worker, tombstone of a removed job;
 * - canceled / canceled-failed: sets for counts (BullMQ has no canceled state);
 * - g:<group>:active / g:<group>:pending: the fairness gate's running set and FIFO backlog;
 * - activity: not a key but the pub/sub channel the processes tell each other what their workers do on.
 */
/**
 * BullMQ job ids may not be integers or contain ':', and an id such as "delayed" would land on one
 * of BullMQ's own keys; a prefix and encoding keep any port id safe, and reversible.
 */
export const toBullId = (id: string): string => `j_${encodeURIComponent(id)}`;
export const fromBullId = (bullId: string): string => decodeURIComponent(bullId.replace(/^j_/, ''));

export interface QueueKeys {
  /** BullMQ's key base, `prefix:name`; its job hash is `${base}:${id}`, its lock `${base}:${id}:lock`. */
  readonly base: string;
  meta(id: string): string;
  readonly canceled: string;
  readonly canceledFailed: string;
  readonly seq: string;
  groupActive(group: string): string;
  groupPending(group: string): string;
  readonly activity: string;
}

export const queueKeys = (prefix: string, name: string): QueueKeys => {
  const base = `${prefix}:${name}`;
  return {
    base,
    meta: (id) => `${base}:vb:meta:${id}`,
    canceled: `${base}:vb:canceled`,
    canceledFailed: `${base}:vb:canceled-failed`,
    seq: `${base}:vb:seq`,
    groupActive: (group) => `${base}:vb:g:${group}:active`,
    groupPending: (group) => `${base}:vb:g:${group}:pending`,
    activity: `${base}:vb:activity`,
  };
};

/**
 * The fairness gate, atomic in Redis. A job of a group may start when the group has fewer than
 * `cap` running jobs (members whose BullMQ lock is gone died with their worker and are dropped) and
 * no older job of the group is still waiting its turn, so a sender's jobs keep their order.
 * KEYS: active set, pending zset. ARGV: job id, cap, key base. Returns 1 (go) or 0 (wait).
 */
export const GATE_SCRIPT = `
local active, pending = KEYS[1], KEYS[2]
local id, cap, base = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local running = 0
for _, member in ipairs(redis.call('SMEMBERS', active)) do
  if member ~= id then
    if redis.call('EXISTS', base .. ':' .. member .. ':lock') == 1 then
      running = running + 1
    else
      redis.call('SREM', active, member)
    end
  end
end
if running >= cap then return 0 end
local myScore = redis.call('ZSCORE', pending, id)
if myScore then
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', pending, '-inf', '(' .. myScore)) do
    -- An older job still to run holds the line; one that is gone or finished (a stale entry) does not.
    local job = base .. ':' .. member
    if redis.call('EXISTS', job) == 1 and redis.call('HEXISTS', job, 'finishedOn') == 0 then return 0 end
    redis.call('ZREM', pending, member)
  end
end
redis.call('SADD', active, id)
redis.call('ZREM', pending, id)
return 1
`;
