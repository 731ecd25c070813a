/** The simulator's history in the order things were said, also for two messages of the same millisecond. */
import { describe, expect, it } from 'vitest';
import type { OutboundRecord, Store } from '../../src/lib/store/port.ts';
import { readHistory } from '../../src/server/simulator/history.ts';

const USER = 'whatsapp:+15550004321';

describe('the simulator history', () => {
  it('keeps a video before the offer that followed it in the same millisecond', async () => {
    const at = Date.now();
    const record = (id: string, kind: string, body: string): OutboundRecord => ({ id, kind, to: USER, body, status: 'sent', messageId: `SM${id}`, createdAt: at, updatedAt: at });
    // As every store lists them: newest first, ties by the order of recording turned too.
    const newestFirst = [record('2', 'note', 'Want another version?'), record('1', 'note', 'Here is your video')];
    const store = {
      getSession: async () => null,
      listOutbound: async () => newestFirst,
      listTasks: async () => [],
      getTask: async () => null,
    } as unknown as Store;
    const { items } = await readHistory(store, USER);
    expect(items.map((item) => ('body' in item ? item.body : undefined))).toEqual(['Here is your video', 'Want another version?']);
  });
});
