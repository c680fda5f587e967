import type { ConnectError } from "@connectrpc/connect";
import { DomainError } from "../domain/errors.js";
import { connectErrorOf } from "../service/connect-errors.js";

/**
 * UNAUTHENTICATED, with google.rpc.RetryInfo once the source is backing off. The code stays the
 * same whether or not the credential was checked: either way the call was not authenticated.
 */
export function authRefusal(message: string, retryAfterMs: number): ConnectError {
  return connectErrorOf(new DomainError("UNAUTHENTICATED", message, [], {}, retryAfterMs > 0 ? retryAfterMs : undefined));
}
