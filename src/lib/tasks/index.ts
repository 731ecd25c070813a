export { type RunTaskOptions, type TaskRunnerDeps, runTask } from './run-task.ts';
export { ACK_MESSAGE, failureMessage, resultMessage } from './messages.ts';
