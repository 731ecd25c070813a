/**
 * Store.ingest on SQLite, as synchronous steps. With the embedded queue on the same connection a
 * unit is decided in one step; its rows are then written either at once, inside a group commit's
 * transaction (sqlite/group-commit.ts), or, with an ingest journal, appended to the journal and
 * written by the journal's own connection a moment later (the store waits for that before any
 * other read or write, so callers never see the gap).
 */
import { timeOrderedId } from '../../ids.ts';
import type { InboundUnit, IngestOutcome, LogLine } from '../inbound-unit.ts';
import { type Opened, asCaller } from '../ingest-steps.ts';
import type { InboundClaim, Task } from '../port.ts';
import type { Conn, SyncOps } from './conn.ts';
import { inboundFromRow, insertedTask, toJson, toSql } from './rows.ts';
import { insertTaskRow } from './tasks.ts';

/** The embedded queue sharing the store's connection: what the store asks of it inside its own transaction. */
export interface SharedJobs {
  /** Adds a new task's job (createTask calls it for each task it creates with a job). */
  add(task: Task): void;
  /** The job's place in line, as JobQueue.position tells it. */
  position(jobId: string): number | null;
}

/** A unit once decided: every row it writes, as plain data (a journal keeps it as one line). */
export interface DecidedUnit {
  readonly messageId: string;
  readonly from: string;
  readonly sessionId: string;
  readonly receivedAt: number;
  readonly said: LogLine;
  /** The new task, with its job's id when it has one. */
  readonly task?: Task;
  readonly answer: LogLine;
}

/**
 * Where decided units go when the store does not write them itself (src/lib/ingest-journal): made
 * durable at once, written into the tables soon after.
 */
export interface IngestJournal {
  /** The claim of a message whose unit is journaled and not yet in the tables, once the unit is durable. */
  pendingClaim(messageId: string): Promise<InboundClaim> | undefined;
  /** How many jobs a job added now would wait behind: those in the queue's line and those journaled for it. */
  lineLength(): number;
  /** Resolves once the unit is durable (not yet in the tables): at the end of the turn, or at flush. */
  append(unit: DecidedUnit): Promise<void>;
  /** Writes the lines appended so far now. */
  flush(): void;
  /** Units appended and not yet in the tables. */
  backlog(): number;
  /** Resolves once every unit appended so far is in the tables; undefined when none is outstanding. */
  settled(): Promise<void> | undefined;
}

export interface SqliteIngest {
  open(unit: InboundUnit): Opened;
  close(unit: InboundUnit, answer: LogLine, taskId: string | undefined): void;
  /** The unit in one step, for a store whose queue shares its connection. */
  whole(unit: InboundUnit, jobs: SharedJobs): IngestOutcome;
  /** The unit decided and handed to the journal, which makes it durable and writes it later. */
  journaled(unit: InboundUnit, journal: IngestJournal): IngestOutcome | Promise<IngestOutcome>;
}

/**
 * A decided unit's claim (with its answer) and its two session lines; false, writing nothing, when
 * the message is already claimed.
 */
const writeClaimAndLines = (c: Pick<Conn, 'sql'>, unit: DecidedUnit, answeredAt: number): boolean => {
  const { changes } = c
    .sql('INSERT INTO inbound_messages (message_sid, from_addr, received_at, reply, task_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
    .run(unit.messageId, unit.from, unit.receivedAt, unit.answer.text, toSql(unit.task?.taskId));
  if (Number(changes) === 0) return false;
  c.sql('INSERT INTO sessions (session_id, created_at) VALUES (?, ?) ON CONFLICT (session_id) DO NOTHING').run(unit.sessionId, unit.receivedAt);
  c.sql(`INSERT INTO session_messages (session_id, role, text, meta, ts) VALUES (?, 'user', ?, ?, ?), (?, 'bot', ?, ?, ?)`).run(
    unit.sessionId,
    unit.said.text,
    toJson(unit.said.meta),
    unit.receivedAt,
    unit.sessionId,
    unit.answer.text,
    toJson(unit.answer.meta),
    answeredAt,
  );
  return true;
};

/**
 * Writes a journaled unit's rows (inside the caller's transaction): idempotent, so a journal
 * written again after a crash changes nothing it already wrote. `addJob` adds the task's job.
 */
export const writeDecidedUnit = (c: Pick<Conn, 'sql'>, unit: DecidedUnit, addJob: (task: Task) => void): boolean => {
  if (!writeClaimAndLines(c, unit, unit.receivedAt)) return false;
  if (unit.task !== undefined && insertTaskRow(c, unit.task) && unit.task.jobId !== undefined) addJob(unit.task);
  return true;
};

const decidedOf = (unit: InboundUnit, receivedAt: number, answer: LogLine, task: Task | undefined): DecidedUnit => ({
  messageId: unit.messageId,
  from: unit.from,
  sessionId: unit.sessionId,
  receivedAt,
  said: unit.said,
  answer,
  ...(task ? { task } : {}),
});

const claimOf = (unit: DecidedUnit): InboundClaim => ({
  messageId: unit.messageId,
  from: unit.from,
  receivedAt: unit.receivedAt,
  reply: unit.answer.text,
  ...(unit.task ? { taskId: unit.task.taskId } : {}),
});

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

  const claimed = (messageId: string): InboundClaim | undefined => {
    const found = c.sql('SELECT * FROM inbound_messages WHERE message_sid = ?').get(messageId);
    return found === undefined ? undefined : inboundFromRow(found);
  };

  return {
    open,
    close,
    // Each row written once, in as few statements as it takes: the claim is looked up first and
    // inserted with its answer at the end (the batch's transaction holds the write lock throughout),
    // and both lines of the session go in together once the answer is known.
    whole(unit, jobs) {
      const claim = claimed(unit.messageId);
      if (claim !== undefined) return { claimed: false, claim, position: null };
      const receivedAt = c.now();
      const decision = asCaller(() => unit.decide());
      const task = decision.task === undefined ? undefined : ops.createTask(decision.task).task;
      const position = task?.jobId === undefined ? null : jobs.position(task.jobId);
      const answer = asCaller(() => decision.answer({ ...(task ? { task } : {}), position }));
      const decided = decidedOf(unit, receivedAt, answer, task);
      writeClaimAndLines(c, decided, c.now());
      return { claimed: true, claim: claimOf(decided), position, ...(task ? { task } : {}) };
    },

    // The same decision without writing: the journal's line is the unit's durable form, and its own
    // connection writes the rows. A redelivery finds the claim journaled or in the tables.
    journaled(unit, journal) {
      const journaled = journal.pendingClaim(unit.messageId);
      if (journaled !== undefined) return journaled.then((claim) => ({ claimed: false, claim, position: null }));
      const first = claimed(unit.messageId);
      if (first !== undefined) return { claimed: false, claim: first, position: null };
      const receivedAt = c.now();
      const decision = asCaller(() => unit.decide());
      const input = decision.task;
      const task = input === undefined ? undefined : insertedTask(input, input.taskId ?? timeOrderedId(), JSON.stringify(input.options), receivedAt);
      const position = task?.jobId === undefined ? null : journal.lineLength() + 1;
      const answer = asCaller(() => decision.answer({ ...(task ? { task } : {}), position }));
      const decided = decidedOf(unit, receivedAt, answer, task);
      const outcome: IngestOutcome = { claimed: true, claim: claimOf(decided), position, ...(task ? { task } : {}) };
      return journal.append(decided).then(() => outcome);
    },
  };
};
