import { randomUUID } from 'node:crypto';
import type { CacheEntry, NewVideo, Video, VideoFilter } from '../port.ts';
import type { Db, Ops } from './pool.ts';
import { cacheFromRow, toJson, toParam, videoFromRow } from './rows.ts';
import { count, DEFAULT_LIMIT, params, whereEquals } from './sql.ts';

export const videoOps = (db: Db): Pick<Ops, 'addVideo' | 'getVideo' | 'listVideos'> => {
  const one = async (column: 'task_id' | 'video_id', value: string): Promise<Video | null> => {
    const { rows } = await db.query(`SELECT * FROM videos WHERE ${column} = $1`, [value]);
    return rows[0] === undefined ? null : videoFromRow(rows[0]);
  };

  return {
    // One video per task: the unique index on task_id refuses a racing second insert, which then
    // returns the first.
    addVideo: async (video: NewVideo) => {
      const { rows } = await db.query(
        `INSERT INTO videos (video_id, task_id, filename, path, prompt, session_id, from_addr, cloud_url, media_id,
           size_bytes, duration_sec, width, height, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (task_id) DO NOTHING RETURNING *`,
        [
          randomUUID(),
          video.taskId,
          video.filename,
          video.path,
          video.prompt,
          video.sessionId,
          video.from,
          toParam(video.videoUrl),
          toParam(video.mediaId),
          video.sizeBytes,
          video.durationSec,
          toParam(video.width),
          toParam(video.height),
          db.now(),
        ],
      );
      if (rows[0] !== undefined) return { video: videoFromRow(rows[0]), created: true };
      const existing = await one('task_id', video.taskId);
      if (existing === null) throw new Error(`The video of task ${video.taskId} was neither added nor found.`);
      return { video: existing, created: false };
    },

    getVideo: async (videoId: string) => one('video_id', videoId),

    listVideos: async (filter: VideoFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      const offset = count(filter.offset, 0, 'offset');
      const p = params();
      const where = whereEquals(p, [
        ['from_addr', filter.from],
        ['session_id', filter.sessionId],
      ]);
      const { rows } = await db.query(
        `SELECT * FROM videos WHERE ${where} ORDER BY created_at DESC, seq DESC LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`,
        p.values,
      );
      return rows.map(videoFromRow);
    },
  };
};

export const cacheOps = (db: Db): Pick<Ops, 'getCache' | 'putCache' | 'deleteCache'> => ({
  getCache: async (key: string) => {
    const { rows } = await db.query('SELECT * FROM cache WHERE key = $1', [key]);
    return rows[0] === undefined ? null : cacheFromRow(rows[0]);
  },

  // One upsert statement: atomic on its own, and it replaces the whole entry (absent fields are cleared).
  putCache: async (entry: Omit<CacheEntry, 'updatedAt'>) => {
    await db.query(
      `INSERT INTO cache (key, prompt_norm, file_path, video_id, meta, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) DO UPDATE SET prompt_norm = excluded.prompt_norm, file_path = excluded.file_path,
         video_id = excluded.video_id, meta = excluded.meta, updated_at = excluded.updated_at`,
      [entry.key, entry.promptNorm, entry.filePath, toParam(entry.videoId), toJson(entry.meta), db.now()],
    );
  },

  deleteCache: async (key: string) => {
    await db.query('DELETE FROM cache WHERE key = $1', [key]);
  },
});
