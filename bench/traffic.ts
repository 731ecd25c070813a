/**
 * The shape of the benchmarks' traffic, as a bot's real traffic comes: MessageSids as Twilio makes
 * them (SM and 32 hex digits, in no order) and senders in no order among 100,000. Numbered ones
 * (SM000…1, SM000…2; +15550000001, +15550000002) land at the end of every index, which real traffic
 * never does: they hid most of what a message costs the store's indexes. BENCH_TRAFFIC=numbered
 * sends those again, to compare with figures measured so before 2026-12-01.
 */
import { createHash } from 'node:crypto';

const SENDERS = 100_000;
/** A step prime to SENDERS: the n-th message's sender walks all of them, each time elsewhere. */
const STRIDE = 7_919;

const numbered = process.env.BENCH_TRAFFIC === 'numbered';

/** The n-th request's MessageSid (`salt` keeps two servers' apart). */
export const messageSidOf = (n: number, salt = ''): string =>
  numbered ? `SM${salt.slice(0, 1)}${String(n).padStart(32 - salt.slice(0, 1).length, '0')}` : `SM${createHash('md5').update(`${salt}:${n}`).digest('hex')}`;

/** The n-th request's sender. */
export const senderOf = (n: number): string => `whatsapp:+1555${String(((numbered ? 1 : STRIDE) * n) % SENDERS).padStart(7, '0')}`;
