import type { Interceptor } from "@connectrpc/connect";
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
  return (next) => async (req) => {
    const access = accessOf(req.service.typeName, req.method.name);
    if (access === "public") return next(req);
    if (!access) throw reasonError("SCOPE_MISSING", "this procedure is not available to API keys");
    const principal = req.contextValues.get(principalKey);
    // The auth interceptor runs first and lets nobody through without a principal.
    if (!principal) throw reasonError("UNAUTHENTICATED", "missing credentials");
    if (principal.sessionId !== undefined) {
      if (!access.client) throw reasonError("CLIENT_NOT_ALLOWED", "a client token may not call this procedure");
    } else if (!principal.scopes.has(access.scope) && !(access.console && principal.scopes.has("console"))) {
      throw connectErrorOf(new DomainError("SCOPE_MISSING", `the API key lacks the '${access.scope}' scope`, [], { required_scope: access.scope }));
    }
    return next(req);
  };
}
