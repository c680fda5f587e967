/**
 * The one catalog of error reasons. Each reason has a fixed status (mapped to a Connect code
 * at the edge) so a reason never travels with two different codes.
 * The names match `sessionflow.v1.ErrorReason` without its prefix.
 */
export const errorCatalog = {
  INVALID_REQUEST: "invalid-argument",
  SESSION_CLOSED: "failed-precondition",
  SESSION_WORKFLOW_MISMATCH: "failed-precondition",
  SESSION_NOT_FOUND: "not-found",
  IDEMPOTENCY_KEY_REUSED: "failed-precondition",
  UNAUTHENTICATED: "unauthenticated",
  SCOPE_MISSING: "permission-denied",
  SESSION_FULL: "resource-exhausted",
  INVALID_PAGE_TOKEN: "invalid-argument",
  CONCURRENT_MODIFICATION: "aborted",
  REQUEST_TOO_LARGE: "resource-exhausted",
  INTERNAL: "internal",
  INPUT_COMPLETE: "failed-precondition",
  SCREEN_NOT_PRESENTED: "failed-precondition",
  SCREEN_ALREADY_ACKNOWLEDGED: "failed-precondition",
  TOO_MANY_STREAMS: "resource-exhausted",
  SUBSCRIBER_TOO_SLOW: "resource-exhausted",
  SHUTTING_DOWN: "unavailable",
  INVALID_CURSOR: "invalid-argument",
  ILLEGAL_TRANSITION: "failed-precondition",
  STALE_CONFIGURATION: "failed-precondition",
  NOT_UNDER_REVIEW: "failed-precondition",
  ACCOUNT_MISMATCH: "failed-precondition",
  LINK_INVALID: "not-found",
  LINK_EXPIRED: "failed-precondition",
  CLIENT_NOT_ALLOWED: "permission-denied",
  CURSOR_EXPIRED: "out-of-range",
  FEED_UNAVAILABLE: "unavailable",
  RATE_LIMITED: "resource-exhausted",
  OVERLOADED: "resource-exhausted",
  DEADLINE_EXCEEDED: "deadline-exceeded",
  TOO_MANY_BUCKETS: "invalid-argument",
  STORE_UNAVAILABLE: "unavailable",
} as const;

export type ErrorReason = keyof typeof errorCatalog;
export type ErrorStatus = (typeof errorCatalog)[ErrorReason];

/**
 * Reasons a retry of the same request can cure, with how long to wait at least; they travel as
 * google.rpc.RetryInfo. Every ABORTED and UNAVAILABLE reason is here; the rest wait on the client
 * (a fix to the request, a new session) and carry no RetryInfo. A refusal that knows better, such
 * as a rate limit's refill time, gives its own delay.
 */
export const retryDelaysMs: Partial<Record<ErrorReason, number>> = {
  // The write loop already retried against the newest version; back off a little before another go.
  CONCURRENT_MODIFICATION: 100,
  // Streams end so their clients resume on a replica that is not draining; reconnecting is immediate work.
  SHUTTING_DOWN: 100,
  // This replica's change feed reconnects in about a second; another replica may be ready sooner.
  FEED_UNAVAILABLE: 1_000,
  // A driver reconnects or finds the new primary within a second or two.
  STORE_UNAVAILABLE: 1_000,
  // Resume from the cursor in the metadata, reading faster.
  SUBSCRIBER_TOO_SLOW: 1_000,
  // Another stream of the tenant has to end first.
  TOO_MANY_STREAMS: 5_000,
  RATE_LIMITED: 1_000,
  OVERLOADED: 1_000,
};

/** A field that failed validation; the description never repeats the value (it may be personal data). */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * Facts a client acts on, such as the cursor to resume from; they travel as
 * google.rpc.ErrorInfo.metadata so clients never parse messages. Keys are snake_case.
 */
export type ErrorMetadata = Readonly<Record<string, string>>;

export class DomainError extends Error {
  readonly status: ErrorStatus;
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
    readonly metadata: ErrorMetadata = {},
    /** How long a retry should wait, when this refusal knows better than the catalog's default. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "DomainError";
    this.status = errorCatalog[reason];
  }

  /** How long to wait before retrying, or undefined when retrying the same request would fail again. */
  get retryDelayMs(): number | undefined {
    return this.retryAfterMs ?? retryDelaysMs[this.reason];
  }
}

/** Violations one error lists: a request with thousands of bad entries must not get a larger error back. */
export const maxViolations = 50;

export function invalid(violations: FieldViolation[]): DomainError {
  const listed = violations.slice(0, maxViolations);
  const more = violations.length > listed.length ? ` and ${violations.length - listed.length} more` : "";
  return new DomainError("INVALID_REQUEST", `invalid request: ${listed.map((v) => v.field).join(", ")}${more}`, listed);
}
