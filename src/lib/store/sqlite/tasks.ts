import { timeOrderedId } from '../../ids.ts';
import type { SQLInputValue } from 'node:sqlite';
import type { TaskStatus } from '../../domain.ts';
import { vidbotError } from '../../errors.ts';
import type { NewTask, Task, TaskFilter, TaskPatch } from '../port.ts';
import { type Conn, count, DEFAULT_LIMIT, type SyncOps, whereEquals } from './conn.ts';
import { TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS, TASK_STRUCTURED_FIELDS } from '../fields.ts';
import { insertedTask, taskFromRow, toJson, toSql } from './rows.ts';

/** The WHERE of a task filter (exported for the test of its query plans). */
/** listTasks's statement: newest first (or least recently changed first), at most `limit`. */
export const listTasksQuery = (filter: TaskFilter, limit: number): { sql: string; params: SQLInputValue[] } => {
  const order = (rowid: string) => (filter.oldestFirst === true ? `updated_at ASC, ${rowid} ASC` : `created_at DESC, ${rowid} DESC`);
  const status = filter.status && [...new Set(filter.status)];
  if (status !== undefined && status.length > 1 && filter.from === undefined && filter.sessionId === undefined) {
    // Each status walked in order on its own index (status, time), at most `limit` of each, and
    // those merged: one IN (...) would read every task in those statuses (every open task, when
    // thousands wait) and sort them all.
    const parts = status.map((one) => taskWhere({ ...filter, status: [one] }));
    const union = parts
      .map((part) => `SELECT * FROM (SELECT *, rowid AS row_order FROM tasks WHERE ${part.clause} ORDER BY ${order('rowid')} LIMIT ?)`)
      .join(' UNION ALL ');
    return { sql: `${union} ORDER BY ${order('row_order')} LIMIT ?`, params: [...parts.flatMap((part) => [...part.params, limit]), limit] };
  }
  const where = taskWhere(filter);
  return { sql: `SELECT * FROM tasks WHERE ${where.clause} ORDER BY ${order('rowid')} LIMIT ?`, params: [...where.params, limit] };
};

export const taskWhere = (filter: Omit<TaskFilter, 'limit' | 'oldestFirst'>): { clause: string; params: SQLInputValue[] } => {
  const base = whereEquals([
    ['from_addr', filter.from],
    // No query of vidbot's own asks by session: walked by time (its index went in schema 7).
    ['sid', filter.sessionId],
  ]);
  const clauses = [base.clause];
  const params = [...base.params];
  if (filter.status !== undefined) {
    // An empty status list matches nothing, like MongoDB's $in: []. With a sender given, the unary +
    // keeps SQLite (without statistics) on the sender's index rather than the status one: a sender
    // has few tasks, a status (done) may have nearly all of them.
    const column = filter.from !== undefined || filter.sessionId !== undefined ? '+status' : 'status';
    clauses.push(filter.status.length === 0 ? '0' : `${column} IN (${filter.status.map(() => '?').join(', ')})`);
    params.push(...filter.status);
  }
  if (filter.updatedBefore !== undefined) {
    clauses.push('updated_at < ?');
    params.push(filter.updatedBefore);
  }
  if (filter.createdSince !== undefined) {
    clauses.push('created_at >= ?');
    params.push(filter.createdSince);
  }
  return { clause: clauses.join(' AND '), params };
};

/** SET clauses for a task patch; undefined clears a field unless it is required. */
const patchSets = (patch: TaskPatch, now: number): { sets: string[]; params: SQLInputValue[] } => {
  const columns = TASK_PATCH_FIELDS as Readonly<Record<string, string>>;
  const entries = Object.entries(patch).filter(
    ([key, value]) => Object.hasOwn(columns, key) && !(value === undefined && TASK_REQUIRED_FIELDS.has(key)),
  );
  return {
    sets: [...entries.map(([key]) => `${columns[key]} = ?`), 'updated_at = ?'],
    params: [
      ...entries.map(([key, value]) =>
        TASK_STRUCTURED_FIELDS.has(key) ? toJson(value) : toSql(value as string | number | boolean | undefined),
      ),
      now,
    ],
  };
};

/**
 * Inserts a new task's row (status queued); false when a task with its id or message is there. The
 * unique indexes decide, inside the write lock.
 */
export const insertTaskRow = (c: Pick<Conn, 'sql'>, task: Task): boolean => {
  const { changes } = c
    .sql(
      `INSERT INTO tasks (task_id, message_sid, job_id, channel, prompt, sid, from_addr, options, status, attempts, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(task.taskId, toSql(task.messageId), toSql(task.jobId), toSql(task.channel), task.prompt, task.sessionId, task.from, JSON.stringify(task.options), task.createdAt, task.createdAt);
  return Number(changes) === 1;
};

/**
 * `onCreated` runs inside createTask's transaction for a task that has a job: the embedded queue
 * adds the job there, so a task and its job are written together or not at all.
 */
export const taskOps = (
  c: Conn,
  onCreated?: (task: Task) => void,
): Pick<SyncOps, 'createTask' | 'getTask' | 'updateTask' | 'transitionTask' | 'listTasks' | 'countTasks' | 'generationCosts'> => {
  const byId = (taskId: string): Task | null => {
    const row = c.sql('SELECT * FROM tasks WHERE task_id = ?').get(taskId);
    return row === undefined ? null : taskFromRow(row);
  };

  const byMessageId = (messageId: string): Task | null => {
    const row = c.sql('SELECT * FROM tasks WHERE message_sid = ?').get(messageId);
    return row === undefined ? null : taskFromRow(row);
  };

  const mustGet = (taskId: string): Task => {
    const task = byId(taskId);
    if (task === null) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task with id ${taskId}.`);
    return task;
  };

  const update = (taskId: string, patch: TaskPatch, from?: readonly TaskStatus[]): number => {
    const { sets, params } = patchSets(patch, c.now());
    const guard = from === undefined ? '' : ` AND status IN (${from.map(() => '?').join(', ') || 'NULL'})`;
    const result = c.sql(`UPDATE tasks SET ${sets.join(', ')} WHERE task_id = ?${guard}`).run(...params, taskId, ...(from ?? []));
    return Number(result.changes);
  };

  return {
    createTask: (input: NewTask) =>
      c.tx(() => {
        const task = insertedTask(input, input.taskId ?? timeOrderedId(), JSON.stringify(input.options), c.now());
        if (!insertTaskRow(c, task)) {
          // The taskId match wins over the messageId match.
          const existing =
            (input.taskId === undefined ? null : byId(input.taskId)) ?? (input.messageId === undefined ? null : byMessageId(input.messageId));
          if (existing === null) throw new Error(`The task ${task.taskId} was neither created nor found.`);
          return { task: existing, created: false };
        }
        if (task.jobId !== undefined) onCreated?.(task);
        return { task, created: true };
      }),

    getTask: (taskId: string) => byId(taskId),

    updateTask: (taskId: string, patch: TaskPatch) =>
      c.tx(() => {
        if (update(taskId, patch) === 0) throw vidbotError('VIDBOT_TASK_NOT_FOUND', `No task with id ${taskId}.`);
        return mustGet(taskId);
      }),

    transitionTask: (taskId: string, from: readonly TaskStatus[], patch: TaskPatch) =>
      c.tx(() => {
        if (update(taskId, patch, from) === 0) {
          mustGet(taskId);
          return null;
        }
        return mustGet(taskId);
      }),

    listTasks: (filter: TaskFilter = {}) => {
      const { sql, params } = listTasksQuery(filter, count(filter.limit, DEFAULT_LIMIT, 'limit'));
      return c.sql(sql).all(...params).map(taskFromRow);
    },

    countTasks: (filter: Omit<TaskFilter, 'limit'> = {}) => {
      const where = taskWhere(filter);
      const row = c.sql(`SELECT COUNT(*) AS n FROM tasks WHERE ${where.clause}`).get(...where.params);
      return Number(row?.n ?? 0);
    },

    generationCosts: (filter: { since?: number } = {}) =>
      (filter.since === undefined
        ? // All time: the totals the triggers keep (schema 5), not a sum over every task that made a video.
          // Rounded: a running total of added and taken-back costs keeps float residue (0.1 + 0.2).
          c.sql('SELECT provider, model, videos, round(cost, 6) AS cost FROM generation_totals WHERE videos > 0 ORDER BY 1, 2').all()
        : c
            .sql(
              // The same expression as the index tasks_generation_at, so a day's sum reads only that day.
              `SELECT json_extract(generation, '$.provider') AS provider, json_extract(generation, '$.model') AS model,
                 COUNT(*) AS videos, round(COALESCE(SUM(json_extract(generation, '$.cost')), 0), 6) AS cost
               FROM tasks WHERE generation IS NOT NULL AND json_extract(generation, '$.at') >= ?
               GROUP BY 1, 2 ORDER BY 1, 2`,
            )
            .all(filter.since)
      ).map((row) => ({ provider: String(row.provider), model: String(row.model), videos: Number(row.videos), cost: Number(row.cost) })),
  };
};
