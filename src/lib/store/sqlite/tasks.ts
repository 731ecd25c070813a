import { randomUUID } from 'node:crypto';
import type { SQLInputValue } from 'node:sqlite';
import { vidbotError } from '../../errors.ts';
import type { NewTask, Task, TaskFilter, TaskPatch } from '../port.ts';
import { type Conn, count, DEFAULT_LIMIT, type SyncOps, whereEquals } from './conn.ts';
import { TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS } from '../fields.ts';
import { taskFromRow, toJson, toSql } from './rows.ts';

/** Fields a patch cannot clear: an undefined value leaves them as they are. */

const taskWhere = (filter: Omit<TaskFilter, 'limit'>): { clause: string; params: SQLInputValue[] } => {
  const base = whereEquals([
    ['from_addr', filter.from],
    ['sid', filter.sid],
  ]);
  if (filter.status === undefined) return base;
  // An empty status list matches nothing, like MongoDB's $in: [].
  const status = filter.status.length === 0 ? '0' : `status IN (${filter.status.map(() => '?').join(', ')})`;
  return { clause: `${base.clause} AND ${status}`, params: [...base.params, ...filter.status] };
};

export const taskOps = (
  c: Conn,
): Pick<SyncOps, 'createTask' | 'getTask' | 'updateTask' | 'listTasks' | 'countTasks'> => {
  const byId = (taskId: string): Task | null => {
    const row = c.sql('SELECT * FROM tasks WHERE task_id = ?').get(taskId);
    return row === undefined ? null : taskFromRow(row);
  };

  const byMessageSid = (messageSid: string): Task | null => {
    const row = c.sql('SELECT * FROM tasks WHERE message_sid = ?').get(messageSid);
    return row === undefined ? null : taskFromRow(row);
  };

  const mustGet = (taskId: string): Task => {
    const task = byId(taskId);
    if (task === null) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task with id ${taskId}.`);
    return task;
  };

  return {
    createTask: (input: NewTask) =>
      c.tx(() => {
        // The taskId match wins over the messageSid match; both are checked inside the write lock.
        const existing =
          (input.taskId === undefined ? null : byId(input.taskId)) ??
          (input.messageSid === undefined ? null : byMessageSid(input.messageSid));
        if (existing !== null) return { task: existing, created: false };
        const taskId = input.taskId ?? randomUUID();
        const now = c.now();
        c.sql(
          `INSERT INTO tasks (task_id, message_sid, prompt, sid, from_addr, options, status, attempts, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
        ).run(
          taskId,
          toSql(input.messageSid),
          input.prompt,
          input.sid,
          input.from,
          toJson(input.options),
          now,
          now,
        );
        return { task: mustGet(taskId), created: true };
      }),

    getTask: (taskId: string) => byId(taskId),

    updateTask: (taskId: string, patch: TaskPatch) =>
      c.tx(() => {
        const columns = TASK_PATCH_FIELDS as Readonly<Record<string, string>>;
        const entries = Object.entries(patch).filter(
          ([key, value]) => Object.hasOwn(columns, key) && !(value === undefined && TASK_REQUIRED_FIELDS.has(key)),
        );
        const sets = [...entries.map(([key]) => `${columns[key]} = ?`), 'updated_at = ?'];
        const params = [...entries.map(([, value]) => toSql(value as string | number | boolean | undefined)), c.now()];
        const result = c.sql(`UPDATE tasks SET ${sets.join(', ')} WHERE task_id = ?`).run(...params, taskId);
        if (Number(result.changes) === 0) {
          throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task with id ${taskId}.`);
        }
        return mustGet(taskId);
      }),

    listTasks: (filter: TaskFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      const where = taskWhere(filter);
      return c
        .sql(`SELECT * FROM tasks WHERE ${where.clause} ORDER BY created_at DESC, rowid DESC LIMIT ?`)
        .all(...where.params, limit)
        .map(taskFromRow);
    },

    countTasks: (filter: Omit<TaskFilter, 'limit'> = {}) => {
      const where = taskWhere(filter);
      const row = c.sql(`SELECT COUNT(*) AS n FROM tasks WHERE ${where.clause}`).get(...where.params);
      return Number(row?.n ?? 0);
    },
  };
};
