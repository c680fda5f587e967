import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { DomainError, errorCatalog, type ErrorReason } from "../../src/domain/errors.js";
import { connectErrorOf } from "../../src/service/connect-errors.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

const delayMs = (reason: ErrorReason, retryAfterMs?: number) => {
  const info = connectErrorOf(new DomainError(reason, "m", [], {}, retryAfterMs)).findDetails(RetryInfoSchema)[0];
  return info?.retryDelay ? Number(info.retryDelay.seconds) * 1000 + info.retryDelay.nanos / 1e6 : undefined;
};

const reasons = Object.keys(errorCatalog) as ErrorReason[];

/**
 * google.rpc.RetryInfo says "retrying is right, after this long": gRPC clients in other languages
 * read it instead of guessing from the code. Refusals a retry cannot change carry none.
 */
describe("RetryInfo in the error catalog", () => {
  it.each(reasons.filter((r) => errorCatalog[r] === "aborted" || errorCatalog[r] === "unavailable"))(
    "comes with every ABORTED and UNAVAILABLE reason: %s",
    (reason) => {
      const delay = delayMs(reason);
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(5_000);
    },
  );

  it.each(["SUBSCRIBER_TOO_SLOW", "TOO_MANY_STREAMS", "RATE_LIMITED", "OVERLOADED"] as const)(
    "comes with RESOURCE_EXHAUSTED reasons that pass with time: %s",
    (reason) => {
      expect(delayMs(reason)).toBeGreaterThan(0);
    },
  );

  it.each(reasons.filter((r) => !["aborted", "unavailable", "resource-exhausted"].includes(errorCatalog[r])))(
    "is absent where the same request would fail again: %s",
    (reason) => {
      expect(delayMs(reason)).toBeUndefined();
    },
  );

  it.each(["SESSION_FULL", "REQUEST_TOO_LARGE"] as const)("is absent from %s: a retry cannot fit", (reason) => {
    expect(delayMs(reason)).toBeUndefined();
  });

  it("uses the delay the refusal computed when it has one", () => {
    expect(delayMs("RATE_LIMITED", 1_250)).toBe(1_250);
    expect(delayMs("CONCURRENT_MODIFICATION", 2_000)).toBe(2_000);
  });

  it("keeps ErrorInfo first and the code from the catalog", () => {
    const error = connectErrorOf(new DomainError("SHUTTING_DOWN", "m", [], { resume_cursor: "c1" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "SHUTTING_DOWN", metadata: { resume_cursor: "c1" } });
  });
});
