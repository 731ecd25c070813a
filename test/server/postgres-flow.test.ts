/**
 * The served bot on the PostgreSQL store, over real sockets: a real PostgreSQL server and a real
 * redis-server started here, Cloudinary and Twilio as loopback fakes (a shared store needs shared
 * media). A WhatsApp prompt becomes a delivered video, and the task, its claim, its video and its
 * message are rows in PostgreSQL. Also on the embedded SQLite queue beside the PostgreSQL store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCloudinary, startFakeCloudinary } from '../fakes/cloudinary-api.ts';
import { useBots } from '../helpers/bot.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { newMessageSid, whatsappText } from '../helpers/server.ts';
import { waitFor } from '../helpers/vidbot.ts';

const USER = 'whatsapp:+15550002468';

let postgres: TestPostgres;
let redis: TestRedis;
let cloudinary: FakeCloudinary;
beforeAll(async () => {
  [postgres, redis, cloudinary] = await Promise.all([startPostgres(), startRedis(), startFakeCloudinary()]);
});
afterAll(async () => {
  await Promise.all([postgres?.cleanup(), redis?.cleanup(), cloudinary?.close()]);
});

const startBot = useBots();

describe.each([
  ['BullMQ on Redis', 'bullmq', () => ({ REDIS_URL: redis.url })],
  ['the embedded SQLite queue', 'sqlite', () => ({})],
] as const)('the bot on the PostgreSQL store with %s', (_name, queueName, queueEnv) => {
  it('turns a WhatsApp prompt into a delivered video, keeping the task and its messages in PostgreSQL', async () => {
    // A schema of its own, left for afterAll to remove with the server: the bot is closed only after this test.
    const { url, schema } = await postgres.freshSchema();
    const bot = await startBot({ DATABASE_URL: url, CLOUDINARY_URL: cloudinary.cloudinaryUrl, ...queueEnv() });
    expect(bot.vidbot.store.name).toBe('postgres');
    expect(bot.vidbot.queue.name).toBe(queueName);
    const health = (await (await fetch(`${bot.base}/health`)).json()) as { store: unknown; adapters: { store: string } };
    expect(health.store).toMatchObject({ ok: true, name: 'postgres' });
    expect(health.adapters.store).toBe('postgres');

    const sid = newMessageSid();
    const inbound = whatsappText(USER, 'a heron lifting off a misty lake at dawn', sid);
    const ack = await bot.post(inbound);
    expect(ack.status).toBe(200);
    expect(ack.text).toContain('Generating your video');
    // Twilio's retry of the same message gets the same answer and makes no second task.
    expect(await bot.post(inbound)).toEqual(ack);

    const message = await waitFor(async () => bot.fake.messages[0], 60_000);
    const [mediaUrl] = message.mediaUrls;
    expect(mediaUrl?.startsWith(cloudinary.url)).toBe(true);
    const [task] = await bot.vidbot.store.listTasks({ from: USER });
    const done = await bot.until(task?.taskId ?? '', 'done');

    const rows = async (sql: string) => (await postgres.admin.query(sql.replaceAll('$schema', schema))).rows;
    expect(await rows('SELECT task_id, message_sid, status, cloud_url, from_addr FROM $schema.tasks')).toEqual([
      { task_id: done.taskId, message_sid: sid, status: 'done', cloud_url: mediaUrl, from_addr: USER },
    ]);
    expect(await rows('SELECT message_sid, task_id FROM $schema.inbound_messages')).toEqual([{ message_sid: sid, task_id: done.taskId }]);
    expect(await rows("SELECT message_id, kind FROM $schema.outbound_messages WHERE kind = 'result'")).toEqual([
      { message_id: message.sid, kind: 'result' },
    ]);
    expect(await rows('SELECT task_id, cloud_url FROM $schema.videos')).toEqual([{ task_id: done.taskId, cloud_url: mediaUrl }]);
    const said = await rows(`SELECT m.role, m.text FROM $schema.session_messages m WHERE m.session_id = '${USER}' ORDER BY m.id`);
    expect(said[0]).toEqual({ role: 'user', text: 'a heron lifting off a misty lake at dawn' });
    expect(bot.fake.messages).toHaveLength(1);
  });
});
