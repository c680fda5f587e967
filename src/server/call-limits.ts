/** What one caller may spend: a token bucket for its rate, and a cap on its calls in progress. */
export interface Budget {
  /** Calls per second, sustained. */
  ratePerSecond: number;
  /** Calls that may come at once after a quiet spell: the bucket's size. */
  burst: number;
  /** Unary calls in progress at once. */
  maxCalls: number;
}

/** Per-caller budgets and the per-process cap on calls in progress. */
export interface CallLimits {
  /** What a tenant's API keys may spend together. */
  tenant: Budget;
  /** What one front end's client token may spend; never charged to its tenant's budget. */
  client: Budget;
  /** Unary calls in progress in this process, every caller together. */
  maxCalls: number;
}

export const defaultCallLimits: CallLimits = {
  // About half of what one 2-core replica serves in Submits (README, Performance), so one tenant
  // cannot take a replica whole; single-tenant deployments raise it.
  tenant: { ratePerSecond: 500, burst: 1_000, maxCalls: 64 },
  // A front end makes a handful of calls per step a person takes.
  client: { ratePerSecond: 5, burst: 20, maxCalls: 4 },
  // Each call in progress holds its request, its session and its response: about 55 KiB apiece.
  maxCalls: 512,
};
