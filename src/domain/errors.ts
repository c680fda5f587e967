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
} as const;

export type ErrorReason = keyof typeof errorCatalog;
export type ErrorStatus = (typeof errorCatalog)[ErrorReason];

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
  ) {
    super(message);
    this.name = "DomainError";
    this.status = errorCatalog[reason];
  }
}

/** Violations one error lists: a request with thousands of bad entries must not get a larger error back. */
export const maxViolations = 50;

export function invalid(violations: FieldViolation[]): DomainError {
  const listed = violations.slice(0, maxViolations);
  const more = violations.length > listed.length ? ` and ${violations.length - listed.length} more` : "";
  return new DomainError("INVALID_REQUEST", `invalid request: ${listed.map((v) => v.field).join(", ")}${more}`, listed);
}
