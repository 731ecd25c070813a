import { timeOrderedId } from '../../ids.ts';
import type { TaskStatus } from '../../domain.ts';
import { vidbotError } from '../../errors.ts';
import { TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS, TASK_STRUCTURED_FIELDS } from '../fields.ts';
import type { GenerationCost, NewTask, Task, TaskFilter, TaskPatch } from '../port.ts';
import type { Db, Ops, Param } from './pool.ts';
import { taskFromRow, toJson, toParam } from './rows.ts';
import { count, DEFAULT_LIMIT, type Params, params, patchSets, whereEquals } from './sql.ts';

const taskWhere = (p: Params, filter: Omit<TaskFilter, 'limit' | 'oldestFirst'>): string => {
  const clauses = [
    whereEquals(p, [
      ['from_addr', filter.from],
      ['sid', filter.sessionId],
    ]),
  ];
  // An empty status list matches nothing, as in the other stores.
  if (filter.status !== undefined) clauses.push(`status = ANY(${p.add(filter.status)}::text[])`);
  if (filter.updatedBefore !== undefined) clauses.push(`updated_at < ${p.add(filter.updatedBefore)}`);
  if (filter.createdSince !== undefined) clauses.push(`created_at >= ${p.add(filter.createdSince)}`);
  return clauses.join(' AND ');
};

const encode = (key: string, value: unknown): Param =>
  TASK_STRUCTURED_FIELDS.has(key) ? toJson(value) : toParam(value as string | number | boolean | undefined);

const notFound = (taskId: string): Error => vidbotError('VIDBOT_TASK_NOT_FOUND', `No task with id ${taskId}.`);

export const taskOps = (db: Db): Pick<Ops, 'createTask' | 'getTask' | 'updateTask' | 'transitionTask' | 'listTasks' | 'countTasks' | 'generationCosts'> => {
  const one = async (column: string, value: string): Promise<Task | null> => {
    const { rows } = await db.query(`SELECT * FROM tasks WHERE ${column} = $1`, [value]);
    return rows[0] === undefined ? null : taskFromRow(rows[0]);
  };

  /** One UPDATE ... RETURNING: the patch and the read of its result are one atomic step. */
  const update = async (taskId: string, patch: TaskPatch, from?: readonly TaskStatus[]): Promise<Task | null> => {
    const p = params();
    const sets = patchSets(p, patch, TASK_PATCH_FIELDS, TASK_REQUIRED_FIELDS, encode);
    sets.push(`updated_at = ${p.add(db.now())}`);
    // The status is part of the match: of two processes moving a task from the same status, the
    // second waits for the first's row lock, re-reads the row, and no longer matches.
    const guard = from === undefined ? '' : ` AND status = ANY(${p.add(from)}::text[])`;
    const { rows } = await db.query(`UPDATE tasks SET ${sets.join(', ')} WHERE task_id = ${p.add(taskId)}${guard} RETURNING *`, p.values);
    return rows[0] === undefined ? null : taskFromRow(rows[0]);
  };

  return {
    createTask: async (input: NewTask) => {
      const taskId = input.taskId ?? timeOrderedId();
      const now = db.now();
      // The unique indexes on task_id and message_sid decide races: the insert that loses does
      // nothing (it waits for the winner's commit), and the winner's task is returned.
      const { rows } = await db.query(
        `INSERT INTO tasks (task_id, message_sid, job_id, channel, prompt, sid, from_addr, options, status, attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9, $9)
         ON CONFLICT DO NOTHING RETURNING *`,
        [taskId, toParam(input.messageId), toParam(input.jobId), toParam(input.channel), input.prompt, input.sessionId, input.from, toJson(input.options), now],
      );
      if (rows[0] !== undefined) return { task: taskFromRow(rows[0]), created: true };
      // The taskId match wins over the messageId match, as in the other stores.
      const existing =
        (input.taskId === undefined ? null : await one('task_id', input.taskId)) ??
        (input.messageId === undefined ? null : await one('message_sid', input.messageId));
      if (existing === null) throw new Error(`The task ${taskId} was neither created nor found.`);
      return { task: existing, created: false };
    },

    getTask: async (taskId: string) => one('task_id', taskId),

    updateTask: async (taskId: string, patch: TaskPatch) => {
      const task = await update(taskId, patch);
      if (task === null) throw notFound(taskId);
      return task;
    },

    transitionTask: async (taskId: string, from: readonly TaskStatus[], patch: TaskPatch) => {
      const task = await update(taskId, patch, from);
      if (task !== null) return task;
      if ((await one('task_id', taskId)) === null) throw notFound(taskId);
      return null;
    },

    listTasks: async (filter: TaskFilter = {}) => {
      const limit = count(filter.limit, DEFAULT_LIMIT, 'limit');
      const p = params();
      const order = filter.oldestFirst === true ? 'updated_at ASC, seq ASC' : 'created_at DESC, seq DESC';
      const status = filter.status && [...new Set(filter.status)];
      if (status !== undefined && status.length > 1 && filter.from === undefined && filter.sessionId === undefined) {
        // Each status walked in order on its own index, at most `limit` of each, and those merged, as
        // SQLite's does: one ANY(...) would read every task in those statuses and sort them all.
        const parts = status.map((one) => `(SELECT * FROM tasks WHERE ${taskWhere(p, { ...filter, status: [one] })} ORDER BY ${order} LIMIT ${p.add(limit)})`);
        const { rows } = await db.query(`${parts.join(' UNION ALL ')} ORDER BY ${order} LIMIT ${p.add(limit)}`, p.values);
        return rows.map(taskFromRow);
      }
      const where = taskWhere(p, filter);
      const { rows } = await db.query(`SELECT * FROM tasks WHERE ${where} ORDER BY ${order} LIMIT ${p.add(limit)}`, p.values);
      return rows.map(taskFromRow);
    },

    countTasks: async (filter: Omit<TaskFilter, 'limit'> = {}) => {
      const p = params();
      const { rows } = await db.query(`SELECT COUNT(*) AS n FROM tasks WHERE ${taskWhere(p, filter)}`, p.values);
      return Number(rows[0]?.n ?? 0);
    },

    generationCosts: async (filter: { since?: number } = {}) => {
      const { rows } =
        filter.since === undefined
          ? // All time: the totals the trigger keeps (schema 3), not a sum over every task that made a video.
            // Rounded: a running total of added and taken-back costs keeps float residue (0.1 + 0.2).
            await db.query('SELECT provider, model, videos, round(cost::numeric, 6) AS cost FROM generation_totals WHERE videos > 0 ORDER BY 1, 2')
          : // The same expression as the index tasks_generation_at, so a day's sum reads only that day.
            await db.query(
              `SELECT generation->>'provider' AS provider, generation->>'model' AS model, COUNT(*) AS videos,
                 round(COALESCE(SUM((generation->>'cost')::double precision), 0)::numeric, 6) AS cost
               FROM tasks WHERE generation IS NOT NULL AND (generation->>'at')::bigint >= $1
               GROUP BY 1, 2 ORDER BY 1, 2`,
              [filter.since],
            );
      return rows.map((row): GenerationCost => ({ provider: String(row.provider), model: String(row.model), videos: Number(row.videos), cost: Number(row.cost) }));
    },
  };
};
