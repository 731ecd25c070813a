/**
 * A bounded map of what was seen lately: two generations, the older dropped whole once the newer
 * holds `max` keys, so between `max` and twice as many of the latest keys are kept. A Map used as
 * an LRU instead (delete its first key on every write) costs ~20 µs a write at 10,000 keys: V8
 * keeps deleted entries at the table's front, and finding the first live key walks past them.
 */
export interface RecentMap<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
}

export const createRecentMap = <V>(max: number): RecentMap<V> => {
  let current = new Map<string, V>();
  let previous = new Map<string, V>();
  const set = (key: string, value: V): void => {
    current.set(key, value);
    if (current.size >= max) {
      previous = current;
      current = new Map();
    }
  };
  return {
    get(key) {
      const value = current.get(key);
      if (value !== undefined) return value;
      const older = previous.get(key);
      // Seen again: kept into the next generation.
      if (older !== undefined) {
        previous.delete(key);
        set(key, older);
      }
      return older;
    },
    set,
    delete(key) {
      current.delete(key);
      previous.delete(key);
    },
  };
};
