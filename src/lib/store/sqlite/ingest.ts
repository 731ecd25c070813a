/**
 * Store.ingest on SQLite, as synchronous steps that run inside a group commit's transaction (see
 * sqlite/group-commit.ts). With the embedded queue on the same connection the whole unit is one
 * step: the job is added with its task and its place read before the answer is written.
 */
import type { InboundUnit, IngestOutcome, LogLine } from '../inbound-unit.ts';
import { type Opened, asCaller } from '../ingest-steps.ts';
import type { Task } from '../port.ts';
import type { Conn, SyncOps } from './conn.ts';
import { inboundFromRow, toJson, toSql } from './rows.ts';

/** The embedded queue sharing the store's connection: what the store asks of it inside its own transaction. */
export interface SharedJobs {
  /** Adds a new task's job (createTask calls it for each task it creates with a job). */
  add(task: Task): void;
  /** The job's place in line, as JobQueue.position tells it. */
  position(jobId: string): number | null;
}

export interface SqliteIngest {
  open(unit: InboundUnit): Opened;
  close(unit: InboundUnit, answer: LogLine, taskId: string | undefined): void;
  /** The unit in one step, for a store whose queue shares its connection. */
  whole(unit: InboundUnit, jobs: SharedJobs): IngestOutcome;
}

export const sqliteIngest = (c: Conn, ops: Pick<SyncOps, 'claimInbound' | 'appendMessage' | 'createTask' | 'updateInbound'>): SqliteIngest => {
  const open = (unit: InboundUnit): Opened => {
    const { claimed, claim } = ops.claimInbound({ messageId: unit.messageId, from: unit.from });
    if (!claimed) return { claimed, claim };
    ops.appendMessage(unit.sessionId, { role: 'user', ...unit.said });
    const decision = asCaller(() => unit.decide());
    const task = decision.task === undefined ? undefined : ops.createTask(decision.task).task;
    return { claimed, claim, decision, ...(task ? { task } : {}) };
  };

  const close = (unit: InboundUnit, answer: LogLine, taskId: string | undefined): void => {
    ops.updateInbound(unit.messageId, { reply: answer.text, ...(taskId ? { taskId } : {}) });
    ops.appendMessage(unit.sessionId, { role: 'bot', ...answer });
  };

  return {
    open,
    close,
    // Each row written once, in as few statements as it takes: the claim is looked up first and
    // inserted with its answer at the end (the batch's transaction holds the write lock throughout),
    // and both lines of the session go in together once the answer is known.
    whole(unit, jobs) {
      const found = c.sql('SELECT * FROM inbound_messages WHERE message_sid = ?').get(unit.messageId);
      if (found !== undefined) return { claimed: false, claim: inboundFromRow(found), position: null };
      const receivedAt = c.now();
      const decision = asCaller(() => unit.decide());
      const task = decision.task === undefined ? undefined : ops.createTask(decision.task).task;
      const position = task?.jobId === undefined ? null : jobs.position(task.jobId);
      const answer = asCaller(() => decision.answer({ ...(task ? { task } : {}), position }));
      c.sql('INSERT INTO inbound_messages (message_sid, from_addr, received_at, reply, task_id) VALUES (?, ?, ?, ?, ?)').run(
        unit.messageId,
        unit.from,
        receivedAt,
        answer.text,
        toSql(task?.taskId),
      );
      c.sql('INSERT INTO sessions (session_id, created_at) VALUES (?, ?) ON CONFLICT (session_id) DO NOTHING').run(unit.sessionId, receivedAt);
      c.sql(`INSERT INTO session_messages (session_id, role, text, meta, ts) VALUES (?, 'user', ?, ?, ?), (?, 'bot', ?, ?, ?)`).run(
        unit.sessionId,
        unit.said.text,
        toJson(unit.said.meta),
        receivedAt,
        unit.sessionId,
        answer.text,
        toJson(answer.meta),
        c.now(),
      );
      const claim = { messageId: unit.messageId, from: unit.from, receivedAt, reply: answer.text, ...(task ? { taskId: task.taskId } : {}) };
      return { claimed: true, claim, position, ...(task ? { task } : {}) };
    },
  };
};
