import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { DomainError, type ErrorReason, type ErrorStatus } from "../domain/errors.js";
import { StoreUnavailableError } from "../domain/store.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** The google.rpc.ErrorInfo domain of every error the service raises. */
export const errorDomain = "sessionflow.v1";

const codes: Record<ErrorStatus, Code> = {
  "invalid-argument": Code.InvalidArgument,
  "failed-precondition": Code.FailedPrecondition,
  "not-found": Code.NotFound,
  unauthenticated: Code.Unauthenticated,
  "permission-denied": Code.PermissionDenied,
  "resource-exhausted": Code.ResourceExhausted,
  aborted: Code.Aborted,
  unavailable: Code.Unavailable,
  internal: Code.Internal,
  "out-of-range": Code.OutOfRange,
  "deadline-exceeded": Code.DeadlineExceeded,
};

/** A ConnectError carrying the catalog reason as ErrorInfo, and BadRequest for field violations. */
export function connectErrorOf(error: DomainError): ConnectError {
  const details = [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: error.reason, domain: errorDomain, metadata: { ...error.metadata } }) },
  ];
  const violations = error.violations.map((v) => ({ field: v.field, description: v.description }));
  const badRequest = violations.length
    ? [{ desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: violations }) }]
    : [];
  const delay = error.retryDelayMs;
  const retry = delay !== undefined ? [retryInfoDetail(delay)] : [];
  return new ConnectError(error.message, codes[error.status], undefined, [...details, ...badRequest, ...retry]);
}

/** google.rpc.RetryInfo saying to wait `retryAfterMs` (whole milliseconds, rounded up) before retrying. */
export function retryInfoDetail(retryAfterMs: number) {
  return { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(Math.max(0, Math.ceil(retryAfterMs))) }) };
}

export function reasonError(reason: ErrorReason, message: string): ConnectError {
  return connectErrorOf(new DomainError(reason, message));
}

/**
 * Reasons for ConnectErrors that reach the error interceptor without one, keyed by their code.
 * Errors reading a request never get here: src/server/request-errors.ts maps those.
 */
const frameworkReasons: Partial<Record<Code, ErrorReason>> = {
  [Code.InvalidArgument]: "INVALID_REQUEST",
  [Code.ResourceExhausted]: "REQUEST_TOO_LARGE",
};

/**
 * Maps anything a handler throws to a ConnectError with a catalog reason. Unknown failures
 * become INTERNAL with a generic message: their text may hold data that must not leave.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof DomainError) return connectErrorOf(error);
  if (error instanceof ConnectError) {
    if (error.findDetails(ErrorInfoSchema).length > 0) return error;
    const reason = frameworkReasons[error.code] ?? (error.code === Code.Internal ? "INTERNAL" : undefined);
    if (!reason) return error;
    error.details.push({ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: errorDomain }) });
    return error;
  }
  // An outage, not a bug: the client retries (the driver's words, with host names, stay here).
  if (error instanceof StoreUnavailableError) {
    return connectErrorOf(new DomainError("STORE_UNAVAILABLE", "the database did not answer; retry after the RetryInfo delay with the same request id"));
  }
  return reasonError("INTERNAL", "internal error");
}
