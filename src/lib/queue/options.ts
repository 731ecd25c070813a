/** Checks of the options both adapters take, with the same errors. */
import { hostname } from 'node:os';
import { vidbotError } from '../errors.ts';
import type { AddJobOptions } from './port.ts';

export const checkPositive = (name: string, value: number, integer = false): number => {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw vidbotError('VIDBOT_INVALID_ARGUMENT', `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}.`);
  }
  return value;
};

/** An optional positive option: its fallback when absent. */
export const positiveOption = (name: string, value: number | undefined, fallback: number, integer = false): number =>
  value === undefined ? fallback : checkPositive(name, value, integer);

export interface CheckedAddOptions {
  readonly jobId: string;
  readonly attempts: number;
  readonly delayMs: number;
}

export const checkAddOptions = (options: AddJobOptions, defaultAttempts: number): CheckedAddOptions => {
  const { jobId } = options;
  if (typeof jobId !== 'string' || jobId === '') throw vidbotError('VIDBOT_INVALID_ARGUMENT', 'A job needs a non-empty jobId.');
  const attempts = checkPositive('attempts', options.attempts ?? defaultAttempts, true);
  const delayMs = options.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw vidbotError('VIDBOT_INVALID_ARGUMENT', `delayMs must be >= 0, got ${delayMs}.`);
  return { jobId, attempts, delayMs };
};

/** Unique across processes sharing a queue, and readable in events and job info. */
export const defaultWorkerId = (workerNumber: number): string => `${hostname()}:${process.pid}:${workerNumber}`;

export const queueClosedError = (queueName: string, what: string) =>
  vidbotError('VIDBOT_INTERNAL', `The queue '${queueName}' is closed; cannot ${what}.`);
