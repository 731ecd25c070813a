import { randomUUID } from 'node:crypto';
import type { CacheEntry, NewVideo, Video, VideoFilter } from '../port.ts';
import { type Conn, count, DEFAULT_LIMIT, type SyncOps, whereEquals } from './conn.ts';
import { cacheFromRow, toJson, toSql, videoFromRow } from './rows.ts';

export const videoOps = (c: Conn): Pick<SyncOps, 'addVideo' | 'getVideo' | 'listVideos'> => {
  const byTask = (taskId: string): Video | null => {
    const row = c.sql('SELECT * FROM videos WHERE task_id = ?').get(taskId);
    return row === undefined ? null : videoFromRow(row);
  };

  return {
    addVideo: (video: NewVideo) =>
      c.tx(() => {
        const existing = byTask(video.taskId);
        if (existing !== null) return { video: existing, created: false };
        c.sql(
          `INSERT INTO videos (video_id, task_id, filename, path, prompt, session_id, from_addr, cloud_url, media_id,
             size_bytes, duration_sec, width, height, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          randomUUID(),
          video.taskId,
          video.filename,
          video.path,
          video.prompt,
          video.sessionId,
          video.from,
          toSql(video.videoUrl),
          toSql(video.mediaId),
          video.sizeBytes,
          video.durationSec,
          toSql(video.width),
          toSql(video.height),
          c.now(),
        );
        const created = byTask(video.taskId);
        if (created === null) throw new Error('The inserted video is missing.');
        return { video: created, created: true };
      }),

    getVideo: (videoId: string) => {
      const row = c.sql('SELECT * FROM videos WHERE video_id = ?').get(videoId);
      return row === undefined ? null : videoFromRow(row);
    },

    listVideos: (filter: VideoFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      const offset = count(filter.offset, 0, 'offset');
      const where = whereEquals([
        ['from_addr', filter.from],
        ['session_id', filter.sessionId],
      ]);
      return c
        .sql(`SELECT * FROM videos WHERE ${where.clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
        .all(...where.params, limit, offset)
        .map(videoFromRow);
    },
  };
};

export const cacheOps = (c: Conn): Pick<SyncOps, 'getCache' | 'putCache' | 'deleteCache'> => ({
  getCache: (key: string) => {
    const row = c.sql('SELECT * FROM cache WHERE key = ?').get(key);
    return row === undefined ? null : cacheFromRow(row);
  },

  // One upsert statement: atomic on its own, and it replaces the whole entry (absent fields are cleared).
  putCache: (entry: Omit<CacheEntry, 'updatedAt'>) => {
    c.sql(
      `INSERT INTO cache (key, prompt_norm, file_path, video_id, meta, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET prompt_norm = excluded.prompt_norm, file_path = excluded.file_path,
         video_id = excluded.video_id, meta = excluded.meta, updated_at = excluded.updated_at`,
    ).run(entry.key, entry.promptNorm, entry.filePath, toSql(entry.videoId), toJson(entry.meta), c.now());
  },

  deleteCache: (key: string) => {
    c.sql('DELETE FROM cache WHERE key = ?').run(key);
  },
});
