import { requestIdOf } from "../request-id.js";
import { Code, ConnectError, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import type { Logger } from "pino";
import { hashApiKey, type ApiKey, type ApiKeyRepository, type Principal, type Scope } from "../../domain/api-key.js";
import { clientTokenPrefix, type ClientClaim } from "../../domain/tokens.js";
import type { Access } from "../../service/scopes.js";
import { principalKey } from "../../service/context.js";
import { reasonError, retryInfoDetail } from "../../service/connect-errors.js";
import { createApiKeyCache } from "../api-key-cache.js";
import { createAuthBackoff } from "../auth-backoff.js";
import { createAuthFailureLog, type AuthFailure } from "../auth-failure-log.js";
import type { AuthLimits } from "../auth-limits.js";
import { authRefusal } from "../auth-refusal.js";
import { peerAddressKey, sourceOf } from "../request-source.js";
import { ClientAuthService } from "../../../gen/sessionflow/v1/client_auth_service_pb.js";

export interface AuthOptions {
  apiKeys: ApiKeyRepository;
  /** Checks front ends' client tokens (signed, so no store round trip). */
  verifyClientToken: (token: string) => Promise<ClientClaim | undefined>;
  accessOf(service: string, method: string): Access | undefined;
  limits: AuthLimits;
  logger: Logger;
  /** Milliseconds, for the back-off, the log limit and the key cache. */
  now: () => number;
}

const messages = {
  none: "send a tenant API key as 'Authorization: Bearer <key>'",
  "api-key": "the API key is not valid",
  "client-token": "the client token is not valid or has expired; open the link again",
} as const;
const backingOff = "too many failed attempts to authenticate from this address; retry after the delay given";

/**
 * Establishes who is calling, from `Authorization: Bearer <api key or client token>`; what the
 * caller may do is the scope interceptor's concern. It runs before the logging interceptor, so
 * its refusals are logged here, within limits, and never as one line per attempt.
 *
 * A source that fails too often backs off: its further attempts are refused without a store
 * lookup, except for credentials checked without one (client tokens) or that the store has
 * accepted before (known API keys), so a neighbour's failures behind one address do not lock
 * out a working client.
 *
 * ExchangeLinkToken needs no credential, but its link token is one: an unknown link spends the
 * source's allowance like a wrong key, and a source backing off is refused before the lookup.
 */
export function createAuthInterceptor({ apiKeys, verifyClientToken, accessOf, limits, logger, now }: AuthOptions): Interceptor {
  const backoff = createAuthBackoff({ ...limits, now });
  const failures = createAuthFailureLog(logger, { ...limits, now });
  const keys = createApiKeyCache({ apiKeys, freshMs: limits.apiKeyCacheMs, now });

  async function authenticate(credential: string, source: string, req: UnaryRequest | StreamRequest): Promise<Principal | undefined> {
    if (credential.startsWith(clientTokenPrefix)) {
      const claim = await verifyClientToken(credential);
      return claim && { tenantId: claim.tenantId, name: `client:${claim.sessionId}`, scopes: new Set<Scope>(), sessionId: claim.sessionId };
    }
    const hash = hashApiKey(credential);
    let key = keys.fresh(hash);
    if (!key && (keys.known(hash) || backoff.retryAfterMs(source) === 0)) {
      try {
        key = await keys.lookup(hash);
      } catch (e) {
        // This interceptor runs outside the error interceptor: the store's words must not reach the client.
        logger.error({ err: e, rid: requestIdOf(req.header.get("x-request-id")), procedure: `${req.service.typeName}/${req.method.name}` }, "unexpected failure");
        throw reasonError("INTERNAL", "internal error");
      }
    }
    return key && principalOf(key);
  }

  /**
   * The caller, when it sends an API key the store returned less than apiKeyCacheMs ago: most
   * calls, answered without a promise or the caller's address. Anything else takes the long way.
   */
  function freshPrincipal(authorization: string | null): Principal | undefined {
    const credential = authorization === null ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (credential === undefined || credential.startsWith(clientTokenPrefix)) return undefined;
    const key = keys.fresh(hashApiKey(credential));
    return key && principalOf(key);
  }

  /** ExchangeLinkToken, with the source backing off after unknown links as after wrong keys. */
  async function exchange(req: UnaryRequest | StreamRequest, next: Parameters<Interceptor>[0], source: string) {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const waiting = backoff.retryAfterMs(source);
    if (waiting > 0) {
      failures.record({ source, procedure, credential: "link-token", retryAfterMs: waiting });
      throw authRefusal(backingOff, waiting);
    }
    try {
      return await next(req);
    } catch (e) {
      // NOT_FOUND is this method's answer for an unknown (or superseded) link, and only for that.
      if (e instanceof ConnectError && e.code === Code.NotFound) {
        const retryAfterMs = backoff.fail(source);
        failures.record({ source, procedure, credential: "link-token", retryAfterMs });
        if (retryAfterMs > 0) e.details.push(retryInfoDetail(retryAfterMs));
      }
      throw e;
    }
  }

  // Not an async function: a call with a fresh key awaits nothing, and would pay for its promise.
  return (next) => (req) => {
    const isPublic = accessOf(req.service.typeName, req.method.name) === "public";
    if (isPublic && req.service.typeName !== ClientAuthService.typeName) return next(req);
    const principal = isPublic ? undefined : freshPrincipal(req.header.get("authorization"));
    if (principal) {
      req.contextValues.set(principalKey, principal);
      return next(req);
    }
    return authenticateSlowly(req, next, isPublic);
  };

  /** Everything but a fresh API key: ExchangeLinkToken, client tokens, keys to look up, refusals. */
  async function authenticateSlowly(req: UnaryRequest | StreamRequest, next: Parameters<Interceptor>[0], isPublic: boolean) {
    const source = sourceOf(req.contextValues.get(peerAddressKey), req.header.get("x-forwarded-for"), limits.trustedProxyHops);
    if (isPublic) return exchange(req, next, source);
    const credential = /^Bearer\s+(\S+)$/i.exec(req.header.get("authorization") ?? "")?.[1];
    const principal = credential === undefined ? undefined : await authenticate(credential, source, req);
    if (principal) {
      req.contextValues.set(principalKey, principal);
      return next(req);
    }
    // Attempts made while backing off do not extend it: they already cost next to nothing.
    const waiting = backoff.retryAfterMs(source);
    const retryAfterMs = waiting > 0 ? waiting : backoff.fail(source);
    const kind: AuthFailure["credential"] = credential === undefined ? "none" : credential.startsWith(clientTokenPrefix) ? "client-token" : "api-key";
    failures.record({ source, procedure: `${req.service.typeName}/${req.method.name}`, credential: kind, retryAfterMs });
    throw authRefusal(waiting > 0 ? backingOff : messages[kind], retryAfterMs);
  }
}

/**
 * An API key's principal, made once per key record: the key cache hands out the same record
 * until it asks the store again, so a call costs a lookup rather than a Set of scopes. Keyed
 * weakly by the record itself, so it can only ever describe that key, and goes with it.
 */
const principals = new WeakMap<ApiKey, Principal>();
function principalOf(key: ApiKey): Principal {
  let principal = principals.get(key);
  if (!principal) principals.set(key, (principal = Object.freeze({ tenantId: key.tenantId, name: `key:${key.id}`, scopes: new Set(key.scopes) })));
  return principal;
}
