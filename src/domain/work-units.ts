import { chargeWork } from "./call-scope.js";

/**
 * What dear work costs, in units of one simple call (a GetSession of an ordinary session), so
 * a caller's budget of calls per second also bounds the event-loop time its scans and large
 * answers take. Calibrated on the embedded store (`npm run bench:noisy`): a 50,000-session scan
 * costs about as much as 50 simple calls, encoding 16 KiB of a FULL session about as much as one.
 */
export const workUnits = {
  /** Sessions (or billable events, or revisions) a scan visits per unit. */
  visitsPerUnit: 1_000,
  /** Encoded bytes of an answer per unit. */
  bytesPerUnit: 16 * 1024,
} as const;

/** Bills the current call for `count` records a scan visited. */
export function chargeVisits(count: number): void {
  if (count > 0) chargeWork(count / workUnits.visitsPerUnit);
}

/** Bills the current call for `bytes` of answer it encodes. */
export function chargeBytes(bytes: number): void {
  if (bytes > 0) chargeWork(bytes / workUnits.bytesPerUnit);
}
