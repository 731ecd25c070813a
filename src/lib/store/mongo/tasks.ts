import { randomUUID } from 'node:crypto';
import type { Document, Filter } from 'mongodb';
import { vidbotError } from '../../errors.ts';
import type { NewTask, Task, TaskFilter, TaskPatch } from '../port.ts';
import { type Ctx, insertUnlessExists, NEWEST, type Ops } from './ctx.ts';
import { TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS } from '../fields.ts';
import { newTaskDoc, taskFromDoc } from './docs.ts';
import { count, DEFAULT_LIMIT, type Doc, patchToUpdate } from './fields.ts';

/** Equality on the filter fields that are given; an empty status list matches nothing ($in: []). */
export const taskQuery = (filter: Omit<TaskFilter, 'limit'>): Filter<Document> => ({
  ...(filter.from === undefined ? {} : { from: filter.from }),
  ...(filter.sid === undefined ? {} : { sid: filter.sid }),
  ...(filter.status === undefined ? {} : { status: { $in: [...filter.status] } }),
});

export const taskOps = (c: Ctx): Pick<Ops, 'createTask' | 'getTask' | 'updateTask' | 'listTasks' | 'countTasks'> => {
  const tasks = c.col.tasks;

  const findOne = async (query: Filter<Document>): Promise<Doc | null> => tasks.findOne(query);

  /** The task a new one would duplicate: by the caller's taskId first, then by messageSid. */
  const existing = async (input: NewTask): Promise<Doc | null> =>
    (input.taskId === undefined ? null : await findOne({ task_id: input.taskId })) ??
    (input.messageSid === undefined ? null : await findOne({ message_sid: input.messageSid }));

  return {
    createTask: async (input: NewTask) => {
      // Webhook retries usually find the task already there; the read spares them a failed insert.
      const found = await existing(input);
      if (found !== null) return { task: taskFromDoc(found), created: false };
      // Unique indexes on task_id and message_sid decide races; the loser returns the winner's task.
      const doc = newTaskDoc(input, input.taskId ?? randomUUID(), c.now());
      const result = await insertUnlessExists(tasks, doc, () => existing(input));
      return { task: taskFromDoc(result.doc), created: result.created };
    },

    getTask: async (taskId: string) => {
      const doc = await findOne({ task_id: taskId });
      return doc === null ? null : taskFromDoc(doc);
    },

    updateTask: async (taskId: string, patch: TaskPatch) => {
      const update = patchToUpdate(patch, TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS, { updated_at: c.now() });
      // One findOneAndUpdate: the patch and the read of the result are a single atomic step.
      const doc =
        update === null ? null : await tasks.findOneAndUpdate({ task_id: taskId }, update, { returnDocument: 'after' });
      if (doc === null) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task with id ${taskId}.`);
      return taskFromDoc(doc);
    },

    listTasks: async (filter: TaskFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      // MongoDB reads limit 0 as "no limit"; the port means "nothing".
      if (limit === 0) return [];
      const docs = await tasks.find(taskQuery(filter), { sort: NEWEST, limit }).toArray();
      return docs.map((doc): Task => taskFromDoc(doc));
    },

    countTasks: async (filter: Omit<TaskFilter, 'limit'> = {}) => tasks.countDocuments(taskQuery(filter)),
  };
};
