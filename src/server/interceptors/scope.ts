import type { ConnectError, Interceptor } from "@connectrpc/connect";
import type { Principal } from "../../domain/api-key.js";
import type { Access } from "../../service/scopes.js";
import { principalKey } from "../../service/context.js";
import { DomainError } from "../../domain/errors.js";
import { connectErrorOf, reasonError } from "../../service/connect-errors.js";

/**
 * Checks that the authenticated caller may call this procedure: an API key needs the scope the
 * procedure names (or `console`, for the procedures the console uses), a client token only reaches the procedures front ends use. It runs inside
 * the logging interceptor, so these refusals are logged like any other outcome.
 */
export function createScopeInterceptor(accessOf: (service: string, method: string) => Access | undefined): Interceptor {
  // Not an async function: it awaits nothing, and every call would pay for its promise.
  return (next) => (req) => {
    const access = accessOf(req.service.typeName, req.method.name);
    if (access === "public") return next(req);
    const refusal = refusalOf(access, req.contextValues.get(principalKey));
    return refusal ? Promise.reject(refusal) : next(req);
  };
}

/** Why the caller may not call a procedure with `access`, or undefined when it may. */
function refusalOf(access: Exclude<Access, "public"> | undefined, principal: Principal | undefined): ConnectError | undefined {
  if (!access) return reasonError("SCOPE_MISSING", "this procedure is not available to API keys");
  // The auth interceptor runs first and lets nobody through without a principal.
  if (!principal) return reasonError("UNAUTHENTICATED", "missing credentials");
  if (principal.sessionId !== undefined) {
    if (!access.client) return reasonError("CLIENT_NOT_ALLOWED", "a client token may not call this procedure");
  } else if (!principal.scopes.has(access.scope) && !(access.console && principal.scopes.has("console"))) {
    return connectErrorOf(new DomainError("SCOPE_MISSING", `the API key lacks the '${access.scope}' scope`, [], { required_scope: access.scope }));
  }
  return undefined;
}
