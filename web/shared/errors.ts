import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** The catalog reason of a refusal (google.rpc.ErrorInfo), or "" when there is none. */
export function reasonOf(e: unknown): string {
  return ConnectError.from(e).findDetails(ErrorInfoSchema)[0]?.reason ?? "";
}

/** The fields a refusal names (google.rpc.BadRequest), with what is wrong with each. */
export function fieldErrorsOf(e: unknown): Map<string, string> {
  const violations = ConnectError.from(e).findDetails(BadRequestSchema)[0]?.fieldViolations ?? [];
  return new Map(violations.map((v) => [v.field, v.description]));
}

/** A network failure rather than an answer from the service: worth saying so, and retrying. */
export function isConnectionProblem(e: unknown): boolean {
  const code = ConnectError.from(e).code;
  return code === Code.Unavailable || code === Code.Unknown || code === Code.DeadlineExceeded || code === Code.Canceled;
}
