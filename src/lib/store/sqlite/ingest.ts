/**
 * Store.ingest on SQLite, as synchronous steps that run inside a group commit's transaction (see
 * sqlite/group-commit.ts). With the embedded queue on the same connection the whole unit is one
 * step: the job is added with its task and its place read before the answer is written.
 */
import type { InboundUnit, IngestOutcome, LogLine } from '../inbound-unit.ts';
import type { Opened } from '../ingest-steps.ts';
import type { Task } from '../port.ts';
import type { SyncOps } from './conn.ts';

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

export const sqliteIngest = (ops: Pick<SyncOps, 'claimInbound' | 'appendMessage' | 'createTask' | 'updateInbound'>): SqliteIngest => {
  const open = (unit: InboundUnit): Opened => {
    const { claimed, claim } = ops.claimInbound({ messageId: unit.messageId, from: unit.from });
    if (!claimed) return { claimed, claim };
    ops.appendMessage(unit.sessionId, { role: 'user', ...unit.said });
    const decision = unit.decide();
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
    whole(unit, jobs) {
      const opened = open(unit);
      if (!opened.claimed) return { claimed: false, claim: opened.claim, position: null };
      const { decision, task } = opened;
      const position = task?.jobId === undefined ? null : jobs.position(task.jobId);
      const answer = decision.answer({ ...(task ? { task } : {}), position });
      close(unit, answer, task?.taskId);
      const claim = { ...opened.claim, reply: answer.text, ...(task ? { taskId: task.taskId } : {}) };
      return { claimed: true, claim, position, ...(task ? { task } : {}) };
    },
  };
};
