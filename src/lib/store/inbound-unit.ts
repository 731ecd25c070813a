/**
 * One inbound message made durable in one step (Store.ingest): its claim, the user's words in the
 * session log, the task it asks for with the task's job, and the bot's answer, stored on the claim
 * for redeliveries and logged in the session. All of it is written before the webhook is answered.
 */
import type { InboundClaim, NewTask, Task } from './records.ts';

/** A line of the session log, as a unit writes it. */
export interface LogLine {
  readonly text: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

export interface InboundUnit {
  /** The channel's id of the message: a redelivery of it, even a concurrent one, writes nothing. */
  readonly messageId: string;
  readonly from: string;
  /** The conversation both lines are logged in. */
  readonly sessionId: string;
  /** The user's words, with the channel's fields. */
  readonly said: LogLine;
  /**
   * What the message asks for, decided once it is claimed (never for a redelivery). It may run
   * inside the store's transaction: synchronous and quick, without I/O.
   */
  decide(): InboundDecision;
  /**
   * Puts a new task's job in line and tells its place (null: not waiting). A store whose queue shares
   * its transaction (the embedded pair) adds the job itself; the others call this once the task is
   * committed, since a worker that takes the job must find its task.
   */
  readonly place?: (task: Task) => Promise<number | null>;
}

export interface InboundDecision {
  /** The task to create, idempotent as createTask is; none when the answer is all there is. */
  readonly task?: NewTask;
  /** The bot's answer, written from the task's place in line; like decide, it may run inside a transaction. */
  answer(placed: { readonly task?: Task; readonly position: number | null }): LogLine;
}

export interface IngestOutcome {
  /** False for a redelivery: nothing was written, and `claim` is the first delivery's, with its answer once it has one. */
  readonly claimed: boolean;
  readonly claim: InboundClaim;
  readonly task?: Task;
  /** The task's place in line when it was queued (null: not waiting, or no task). */
  readonly position: number | null;
}
