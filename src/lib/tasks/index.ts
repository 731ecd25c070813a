export { type Conversation, createConversation } from './conversation.ts';
export type { LateDelivery, LifecycleDeps, TaskJob } from './deps.ts';
export { type CancelTaskOptions, type CancelTaskResult, type SendMessageOptions, type TaskLifecycle, createTaskLifecycle } from './lifecycle.ts';
export { MOVES, type MoveName, canMove } from './machine.ts';
export { ACK_MESSAGE, CHOICE_TITLES, CHOICES_MESSAGE, failureMessage, linkMessage, resultMessage, undeliveredMessage, userReason } from './messages.ts';
export { OFFER_KINDS, choiceOf, choicesFor } from './choices.ts';
export type { ReceiptOutcome } from './receipts.ts';
export type { RunTaskOptions } from './run-task.ts';
export type { SweepOptions, SweepResult } from './sweep.ts';
