/**
 * How often a running job is checked (lease renewal, cancel requests): a third of the lease, so a
 * renewal comes well before it runs out, and at most a second, so a cancel is seen promptly even with long leases.
 */
export const checkIntervalMs = (leaseMs: number): number => Math.max(20, Math.min(leaseMs / 3, 1000));
