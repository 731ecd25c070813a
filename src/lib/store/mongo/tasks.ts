import { timeOrderedId } from '../../ids.ts';
import type { Document, Filter, Sort } from 'mongodb';
import { vidbotError } from '../../errors.ts';
import type { GenerationCost, NewTask, Task, TaskFilter, TaskPatch, TaskStatus } from '../port.ts';
import { type Ctx, insertUnlessExists, NEWEST, type Ops } from './ctx.ts';
import { TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS, TASK_STRUCTURED_FIELDS } from '../fields.ts';
import { newTaskDoc, taskFromDoc } from './docs.ts';
import { count, DEFAULT_LIMIT, type Doc, patchToUpdate, plain, type Update } from './fields.ts';

/** The sweep's order: least recently changed first, insertion order breaking ties (see NEWEST). */
const OLDEST_CHANGED: Sort = { updated_at: 1, _id: 1 };

/** Equality on the filter fields that are given; an empty status list matches nothing ($in: []). */
export const taskQuery = (filter: Omit<TaskFilter, 'limit'>): Filter<Document> => ({
  ...(filter.from === undefined ? {} : { from: filter.from }),
  ...(filter.sessionId === undefined ? {} : { sid: filter.sessionId }),
  ...(filter.status === undefined ? {} : { status: { $in: [...filter.status] } }),
  ...(filter.updatedBefore === undefined ? {} : { updated_at: { $lt: filter.updatedBefore } }),
  ...(filter.createdSince === undefined ? {} : { created_at: { $gte: filter.createdSince } }),
});

const notFound = (taskId: string): Error => vidbotError('VIDBOT_TASK_NOT_FOUND', `No task with id ${taskId}.`);

export const taskOps = (
  c: Ctx,
): Pick<Ops, 'createTask' | 'getTask' | 'updateTask' | 'transitionTask' | 'listTasks' | 'countTasks' | 'generationCosts'> => {
  const tasks = c.col.tasks;

  const findOne = async (query: Filter<Document>): Promise<Doc | null> => tasks.findOne(query);

  /** The task a new one would duplicate: by the caller's taskId first, then by messageId. */
  const existing = async (input: NewTask): Promise<Doc | null> =>
    (input.taskId === undefined ? null : await findOne({ task_id: input.taskId })) ??
    (input.messageId === undefined ? null : await findOne({ message_sid: input.messageId }));

  /** Structured fields (delivery) are stored whole, as plain subdocuments; updated_at is always set. */
  const toUpdate = (patch: TaskPatch): Update | null => {
    const stored = Object.fromEntries(
      Object.entries(patch).map(([key, value]) => [key, TASK_STRUCTURED_FIELDS.has(key) ? plain(value) : value]),
    );
    return patchToUpdate(stored, TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS, { updated_at: c.now() });
  };

  /** One findOneAndUpdate: the patch and the read of the result are a single atomic step. */
  const patchWhere = async (query: Filter<Document>, patch: TaskPatch): Promise<Doc | null> => {
    const update = toUpdate(patch);
    return update === null ? null : tasks.findOneAndUpdate(query, update, { returnDocument: 'after' });
  };

  return {
    createTask: async (input: NewTask) => {
      // Webhook retries usually find the task already there; the read spares them a failed insert.
      const found = await existing(input);
      if (found !== null) return { task: taskFromDoc(found), created: false };
      // Unique indexes on task_id and message_sid decide races; the loser returns the winner's task.
      const doc = newTaskDoc(input, input.taskId ?? timeOrderedId(), c.now());
      const result = await insertUnlessExists(tasks, doc, () => existing(input));
      return { task: taskFromDoc(result.doc), created: result.created };
    },

    getTask: async (taskId: string) => {
      const doc = await findOne({ task_id: taskId });
      return doc === null ? null : taskFromDoc(doc);
    },

    updateTask: async (taskId: string, patch: TaskPatch) => {
      const doc = await patchWhere({ task_id: taskId }, patch);
      if (doc === null) throw notFound(taskId);
      return taskFromDoc(doc);
    },

    // The status is part of the match, so of two processes moving a task from the same status only one wins.
    transitionTask: async (taskId: string, from: readonly TaskStatus[], patch: TaskPatch) => {
      const doc = await patchWhere({ task_id: taskId, status: { $in: [...from] } }, patch);
      if (doc !== null) return taskFromDoc(doc);
      if ((await tasks.findOne({ task_id: taskId }, { projection: { _id: 1 } })) === null) throw notFound(taskId);
      return null;
    },

    listTasks: async (filter: TaskFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      // MongoDB reads limit 0 as "no limit"; the port means "nothing".
      if (limit === 0) return [];
      const sort = filter.oldestFirst === true ? OLDEST_CHANGED : NEWEST;
      const docs = await tasks.find(taskQuery(filter), { sort, limit }).toArray();
      return docs.map((doc): Task => taskFromDoc(doc));
    },

    countTasks: async (filter: Omit<TaskFilter, 'limit'> = {}) => tasks.countDocuments(taskQuery(filter)),

    generationCosts: async (filter: { since?: number } = {}) => {
      const rows = await tasks
        .aggregate<{ _id: { provider: unknown; model: unknown }; videos: number; cost: number }>([
          { $match: { 'generation.at': { $gte: filter.since ?? 0 } } },
          {
            $group: {
              _id: { provider: '$generation.provider', model: '$generation.model' },
              videos: { $sum: 1 },
              cost: { $sum: { $ifNull: ['$generation.cost', 0] } },
            },
          },
          { $sort: { '_id.provider': 1, '_id.model': 1 } },
        ])
        .toArray();
      // Rounded as the SQL stores round theirs: a sum of costs keeps float residue (0.1 + 0.2).
      return rows.map((row): GenerationCost => ({ provider: String(row._id.provider), model: String(row._id.model), videos: row.videos, cost: Math.round(row.cost * 1e6) / 1e6 }));
    },
  };
};
