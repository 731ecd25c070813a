/** A channel's failure codes sorted into what vidbot can do about them (RefusalKind), one table per service. */
import type { RefusalKind } from '../domain.ts';

export type RefusalCodes = Readonly<Record<Exclude<RefusalKind, 'window' | 'other'>, readonly number[]>>;

/** The kind of a code (from a refused send or a later receipt); 'other' for unknown and missing codes. */
export const refusalKinds =
  (windowCode: number, byKind: RefusalCodes) =>
  (code: number | string | undefined): RefusalKind => {
    const n = typeof code === 'string' ? Number(code) : code;
    if (n === undefined || !Number.isFinite(n)) return 'other';
    if (n === windowCode) return 'window';
    for (const [kind, codes] of Object.entries(byKind)) if (codes.includes(n)) return kind as RefusalKind;
    return 'other';
  };
