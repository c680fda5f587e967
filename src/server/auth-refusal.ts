import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { reasonError } from "../service/connect-errors.js";
import { RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/**
 * UNAUTHENTICATED, with google.rpc.RetryInfo once the source is backing off. The code stays the
 * same whether or not the credential was checked: either way the call was not authenticated.
 */
export function authRefusal(message: string, retryAfterMs: number): ConnectError {
  const error = reasonError("UNAUTHENTICATED", message);
  if (retryAfterMs > 0) withRetryInfo(error, retryAfterMs);
  return error;
}

/** Adds google.rpc.RetryInfo with `retryAfterMs` to `error`. */
export function withRetryInfo(error: ConnectError, retryAfterMs: number): ConnectError {
  const retryDelay = { seconds: BigInt(Math.floor(retryAfterMs / 1000)), nanos: (retryAfterMs % 1000) * 1_000_000 };
  error.details.push({ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay }) });
  return error;
}
