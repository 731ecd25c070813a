/**
 * Store.ingest on PostgreSQL: the claim, the user's words and the task in one transaction, then the
 * job is placed (a worker that takes it must find the task committed), then the answer goes on the
 * claim and into the session in one statement.
 */
import { type IngestSteps, stepsOnMethods } from '../ingest-steps.ts';
import { inboundOps, sessionOps } from './messages.ts';
import type { Db, Queryable } from './pool.ts';
import { toJson, toParam } from './rows.ts';
import { taskOps } from './tasks.ts';

/** The store's own operations, run on one transaction's connection. */
const methodsOn = (db: Db, q: Queryable) => {
  const inTx: Db = { query: (text, values) => q.query(text, values), tx: (fn) => fn(q), now: db.now };
  const { claimInbound, updateInbound } = inboundOps(inTx);
  const { appendMessage } = sessionOps(inTx);
  const { createTask } = taskOps(inTx);
  return { claimInbound, updateInbound, appendMessage, createTask };
};

export const ingestSteps = (db: Db): IngestSteps => ({
  open: (unit) => db.tx((q) => stepsOnMethods(methodsOn(db, q)).open(unit)),

  async close(unit, answer, taskId) {
    // The session exists: the user's words created it in the first step.
    await db.query(
      `WITH claim AS (UPDATE inbound_messages SET reply = $2, task_id = COALESCE($3, task_id) WHERE message_sid = $1)
       INSERT INTO session_messages (session_id, role, text, meta, ts) VALUES ($4, 'bot', $2, $5, $6)`,
      [unit.messageId, answer.text, toParam(taskId), unit.sessionId, toJson(answer.meta), db.now()],
    );
  },
});
