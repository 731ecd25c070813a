/**
 * A read the bot asks for on every prompt but whose answer changes slowly (recent run times, jobs
 * running, today's spend): made again only once the last answer is `ttlMs` old. A failed read is not
 * kept, so the next prompt asks again.
 */
export const readAtMostEvery = <T>(ttlMs: number, now: () => number, read: () => Promise<T>): (() => Promise<T>) => {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last === undefined || now() - last.at >= ttlMs) {
      const value = read();
      last = { at: now(), value };
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
};
