import { describe, expect, it } from "vitest";
import { DomainError, errorCatalog } from "../../src/domain/errors.js";
import { connectErrorOf } from "../../src/service/connect-errors.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ErrorReason } from "../../gen/sessionflow/v1/error_pb.js";

describe("the error catalog", () => {
  const protoReasons = Object.keys(ErrorReason).filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED");

  it("is the same list in the domain and in sessionflow.v1.ErrorReason", () => {
    expect(Object.keys(errorCatalog).sort()).toEqual(protoReasons.sort());
  });

  it.each(Object.keys(errorCatalog) as (keyof typeof errorCatalog)[])("sends %s with its code and an ErrorInfo", (reason) => {
    const error = connectErrorOf(new DomainError(reason, "m"));
    expect(error.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason, domain: "sessionflow.v1" });
    expect(error.code).toBeGreaterThan(0);
  });
});
