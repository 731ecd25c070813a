/**
 * The bus's wire format: one JSON object per message, `{ v, peer, origin, event }`. Parsing trusts
 * nothing: another version, or anything else published on the channel, is dropped rather than drawn.
 */
import type { JobEventKind } from '../events.ts';
import type { CircuitChange } from '../../video-provider/failover/board.ts';
import type { BusEvent, BusMessage } from './port.ts';

const VERSION = 1;
const KINDS: ReadonlySet<JobEventKind> = new Set(['active', 'completed', 'failed', 'retrying', 'canceled', 'stalled', 'undelivered', 'delivered']);
const STAGE_STATES: ReadonlySet<string> = new Set(['start', 'progress', 'done', 'skip']);
const CIRCUIT_CHANGES: ReadonlySet<string> = new Set(['outage', 'success', 'probe', 'release'] satisfies CircuitChange[]);

export const encodeBusMessage = (message: BusMessage): string => JSON.stringify({ v: VERSION, ...message });

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** A message for a simulated number (its id and body at least), or a typing indicator. */
const validSimulatorEvent = (event: unknown): boolean => {
  if (!isObject(event)) return false;
  if (event.type === 'typing') return typeof event.to === 'string' && typeof event.replyingTo === 'string';
  const message = event.message;
  return event.type === 'message' && isObject(message) && typeof message.to === 'string' && typeof message.messageId === 'string';
};

const validEvent = (event: Loose): boolean => {
  if (typeof event.ts !== 'number' || !Number.isFinite(event.ts)) return false;
  switch (event.type) {
    case 'job':
      return typeof event.jobId === 'string' && KINDS.has(event.kind as JobEventKind);
    case 'stage':
      return typeof event.jobId === 'string' && typeof event.stage === 'string' && STAGE_STATES.has(event.state as string);
    case 'made':
      return typeof event.jobId === 'string' && typeof event.provider === 'string' && typeof event.model === 'string';
    case 'workers':
      return isCount(event.running) && isCount(event.concurrency) && typeof event.paused === 'boolean';
    case 'circuit':
      return typeof event.provider === 'string' && CIRCUIT_CHANGES.has(event.change as string);
    case 'simulator':
      return validSimulatorEvent(event.event);
    default:
      return false;
  }
};

/** The message, or undefined for anything that is not one of ours. */
export const parseBusMessage = (raw: string): BusMessage | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || parsed.v !== VERSION || typeof parsed.peer !== 'string') return undefined;
  const { origin, event } = parsed;
  if (!isObject(origin) || typeof origin.host !== 'string' || !isCount(origin.pid)) return undefined;
  if (!isObject(event) || !validEvent(event)) return undefined;
  return { peer: parsed.peer, origin: { host: origin.host, pid: origin.pid }, event: event as unknown as BusEvent };
};
