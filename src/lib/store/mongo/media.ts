import { randomUUID } from 'node:crypto';
import type { CacheEntry, NewVideo, VideoFilter } from '../port.ts';
import { type Ctx, insertUnlessExists, NEWEST, type Ops, retryOnDuplicate } from './ctx.ts';
import { cacheDoc, cacheFromDoc, newVideoDoc, videoFromDoc } from './docs.ts';
import { count, DEFAULT_LIMIT, type Doc } from './fields.ts';

export const videoOps = (c: Ctx): Pick<Ops, 'addVideo' | 'getVideo' | 'listVideos'> => {
  const videos = c.col.videos;
  const byTask = async (taskId: string): Promise<Doc | null> => videos.findOne({ task_id: taskId });

  return {
    addVideo: async (video: NewVideo) => {
      const found = await byTask(video.taskId);
      if (found !== null) return { video: videoFromDoc(found), created: false };
      // One video per task: the unique index on task_id refuses a racing second insert.
      const doc = newVideoDoc(video, randomUUID(), c.now());
      const result = await insertUnlessExists(videos, doc, () => byTask(video.taskId));
      return { video: videoFromDoc(result.doc), created: result.created };
    },

    getVideo: async (videoId: string) => {
      const doc = await videos.findOne({ video_id: videoId });
      return doc === null ? null : videoFromDoc(doc);
    },

    listVideos: async (filter: VideoFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      const skip = count(filter.offset, 0, 'offset');
      // MongoDB reads limit 0 as "no limit"; the port means "nothing".
      if (limit === 0) return [];
      const query = {
        ...(filter.from === undefined ? {} : { from: filter.from }),
        ...(filter.sessionId === undefined ? {} : { session_id: filter.sessionId }),
      };
      const docs = await videos.find(query, { sort: NEWEST, skip, limit }).toArray();
      return docs.map(videoFromDoc);
    },
  };
};

export const cacheOps = (c: Ctx): Pick<Ops, 'getCache' | 'putCache' | 'deleteCache'> => ({
  getCache: async (key: string) => {
    const doc = await c.col.cache.findOne({ key });
    return doc === null ? null : cacheFromDoc(doc);
  },

  // replaceOne replaces the whole entry (fields left out are cleared); upsert creates it.
  putCache: async (entry: Omit<CacheEntry, 'updatedAt'>) => {
    const doc = cacheDoc(entry, c.now());
    await retryOnDuplicate(() => c.col.cache.replaceOne({ key: entry.key }, { ...doc }, { upsert: true }));
  },

  deleteCache: async (key: string) => {
    await c.col.cache.deleteOne({ key });
  },
});
