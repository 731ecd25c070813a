/**
 * Store.ingest for stores whose queue is outside their transaction: the message is claimed, its
 * words logged and its task created first (in one transaction where the store has them), then the
 * job is placed, then the answer is stored and logged. Between the two, a redelivery finds the claim
 * without an answer and waits for it, as it would for any first delivery still at work.
 */
import type { InboundDecision, InboundUnit, IngestOutcome, LogLine } from './inbound-unit.ts';
import type { InboundClaim, Store, Task } from './port.ts';

/** Errors a unit's own callbacks threw: the caller's, not the store's, so stores pass them on unmapped. */
const callerErrors = new WeakSet<object>();

/** Runs one of the unit's callbacks, marking what it throws as the caller's. */
export const asCaller = <T>(callback: () => T): T => {
  try {
    return callback();
  } catch (error) {
    if (typeof error === 'object' && error !== null) callerErrors.add(error);
    throw error;
  }
};

export const isCallerError = (error: unknown): boolean => typeof error === 'object' && error !== null && callerErrors.has(error);

export type Opened =
  | { readonly claimed: false; readonly claim: InboundClaim }
  | { readonly claimed: true; readonly claim: InboundClaim; readonly decision: InboundDecision; readonly task?: Task };

export interface IngestSteps {
  /** Claims the message; when it is new, logs the user's words and creates the task decided on. */
  open(unit: InboundUnit): Promise<Opened>;
  /** Stores the answer on the claim (with the task's id) and logs it. */
  close(unit: InboundUnit, answer: LogLine, taskId: string | undefined): Promise<void>;
}

export const ingestInSteps = async (steps: IngestSteps, unit: InboundUnit): Promise<IngestOutcome> => {
  const opened = await steps.open(unit);
  if (!opened.claimed) return { claimed: false, claim: opened.claim, position: null };
  const { decision, task } = opened;
  const position = task !== undefined && unit.place !== undefined ? await unit.place(task) : null;
  const answer = asCaller(() => decision.answer({ ...(task ? { task } : {}), position }));
  await steps.close(unit, answer, task?.taskId);
  const claim: InboundClaim = { ...opened.claim, reply: answer.text, ...(task ? { taskId: task.taskId } : {}) };
  return { claimed: true, claim, position, ...(task ? { task } : {}) };
};

/** The steps as calls of the store's own methods, one after another (MongoDB: no transaction spans its collections). */
export const stepsOnMethods = (
  store: Pick<Store, 'claimInbound' | 'appendMessage' | 'createTask' | 'updateInbound'>,
): IngestSteps => ({
  async open(unit) {
    const { claimed, claim } = await store.claimInbound({ messageId: unit.messageId, from: unit.from });
    if (!claimed) return { claimed, claim };
    await store.appendMessage(unit.sessionId, { role: 'user', ...unit.said });
    const decision = asCaller(() => unit.decide());
    const task = decision.task === undefined ? undefined : (await store.createTask(decision.task)).task;
    return { claimed, claim, decision, ...(task ? { task } : {}) };
  },
  async close(unit, answer, taskId) {
    await store.updateInbound(unit.messageId, { reply: answer.text, ...(taskId ? { taskId } : {}) });
    await store.appendMessage(unit.sessionId, { role: 'bot', ...answer });
  },
});
