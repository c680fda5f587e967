import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { DomainError } from "../domain/errors.js";
import { connectErrorOf, reasonError } from "../service/connect-errors.js";

/**
 * The error a client gets when Connect could not turn its request into a message: a broken
 * envelope, an undecodable body, a missing or extra message, bad compression or a bad timeout
 * header. Connect raises these with varying codes (INTERNAL for broken binary, UNIMPLEMENTED for
 * a missing message) and with messages that may quote the input (a JSON value, a header), so
 * each becomes INVALID_ARGUMENT or RESOURCE_EXHAUSTED with the catalog reason and fixed text.
 */
export function requestErrorOf(error: unknown, input: DescMessage, maxBytes?: number): ConnectError {
  const e = ConnectError.from(error);
  if (e.findDetails(ErrorInfoSchema).length > 0) return e;
  switch (e.code) {
    case Code.ResourceExhausted:
      return connectErrorOf(
        new DomainError("REQUEST_TOO_LARGE", "the request is larger than the server accepts", [], maxBytes !== undefined ? { max_bytes: String(maxBytes) } : {}),
      );
    // The client gave up or its deadline passed while the request was read: nothing was wrong with it.
    case Code.Canceled:
      return new ConnectError("the request was cancelled", Code.Canceled);
    case Code.DeadlineExceeded:
      return new ConnectError("the request's deadline passed", Code.DeadlineExceeded);
    default:
      return reasonError("INVALID_REQUEST", `the request could not be read as one ${input.typeName}: check its framing, encoding and fields`);
  }
}
