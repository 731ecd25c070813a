/** The simulator's history in the order things were said, also for two messages of the same millisecond. */
import { describe, expect, it } from 'vitest';
import type { OutboundRecord, Store } from '../../src/lib/store/port.ts';
import { readHistory } from '../../src/server/simulator/history.ts';

const USER = 'whatsapp:+15550004321';

describe('the simulator history', () => {
  it("puts the webhook's answer under the message it answers, even when a quick video's record is older than the answer's log line", async () => {
    const at = Date.now();
    const sid = 'SMuser1';
    const video: OutboundRecord = { id: 't1:result:1', kind: 'result', to: USER, body: "Here's your video", status: 'sent', messageId: 'SMbot1', taskId: 't1', createdAt: at + 5, updatedAt: at + 5 };
    const store = {
      getSession: async () => ({
        sessionId: USER,
        messages: [
          { role: 'user', text: 'a paper boat', ts: at, meta: { messageSid: sid } },
          // Logged once the unit was stored, after the worker had already sent the (cached) video.
          { role: 'bot', text: 'Generating your video...', ts: at + 9, meta: { messageSid: sid, taskId: 't1' } },
        ],
      }),
      listOutbound: async () => [video],
      listTasks: async () => [],
      getTask: async () => null,
    } as unknown as Store;
    const { items } = await readHistory(store, USER);
    expect(items.map((item) => ('body' in item ? item.body : 'text' in item ? item.text : undefined))).toEqual(['a paper boat', 'Generating your video...', "Here's your video"]);
  });

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
