import { type CheckId, type CheckOutcome, type DoctorCheck, fail, hintOf, messageOf } from './types.ts';

/**
 * Runs one check within its time limit. A check that throws is a failure with the error's message
 * and hint; one that outlives the limit answers `onTimeout` (its own SDK timeouts end the work).
 */
export const timed = async (
  id: CheckId,
  title: string,
  limitMs: number,
  onTimeout: CheckOutcome,
  work: () => Promise<CheckOutcome>,
): Promise<DoctorCheck> => {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), limitMs);
  });
  const guarded = work().catch((error: unknown) =>
    fail(messageOf(error), hintOf(error) ?? 'Run again with --verbose; if it persists, report it as a bug in vidbot doctor.'),
  );
  try {
    const outcome = await Promise.race([guarded, deadline]);
    return { id, title, ...outcome, durationMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
};

/** "5 s" or "500 ms". */
export const seconds = (ms: number): string => (ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`);
