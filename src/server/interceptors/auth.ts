import type { Interceptor } from "@connectrpc/connect";
import { hashApiKey, type ApiKey, type Scope } from "../../domain/api-key.js";
import { clientTokenPrefix } from "../../domain/tokens.js";
import type { Access } from "../../service/scopes.js";
import { principalKey } from "../../service/context.js";
import { reasonError } from "../../service/connect-errors.js";
import type { ApiKeyRepository } from "../../domain/api-key.js";

export interface AuthOptions {
  apiKeys: ApiKeyRepository;
  /** Checks front ends' client tokens (signed, so no store round trip). */
  verifyClientToken: (token: string) => Promise<{ tenantId: string; sessionId: string } | undefined>;
  accessOf(service: string, method: string): Access | undefined;
  /** How long a looked-up key is trusted before the store is asked again. */
  cacheMs?: number;
}

/**
 * Authenticates `Authorization: Bearer <api key>` and checks the RPC's scope. Keys are looked
 * up by hash, and recent lookups are cached so the hot path does not pay a store round trip.
 */
export function createAuthInterceptor({ apiKeys, accessOf, verifyClientToken, cacheMs = 30_000 }: AuthOptions): Interceptor {
  const cache = new Map<string, { key: ApiKey | undefined; until: number }>();
  async function lookup(hash: string): Promise<ApiKey | undefined> {
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.key;
    const key = await apiKeys.findByHash(hash);
    if (cache.size >= 10_000) cache.clear(); // bound memory against floods of random keys
    cache.set(hash, { key, until: Date.now() + cacheMs });
    return key;
  }

  return (next) => async (req) => {
    const access = accessOf(req.service.typeName, req.method.name);
    if (access === "public") return next(req);
    if (!access) throw reasonError("SCOPE_MISSING", "this procedure is not available to API keys");
    const match = /^Bearer\s+(\S+)$/i.exec(req.header.get("authorization") ?? "");
    if (!match?.[1]) throw reasonError("UNAUTHENTICATED", "send a tenant API key as 'Authorization: Bearer <key>'");
    if (match[1].startsWith(clientTokenPrefix)) {
      const claim = await verifyClientToken(match[1]);
      if (!claim) throw reasonError("UNAUTHENTICATED", "the client token is not valid or has expired; open the link again");
      if (!access.client) throw reasonError("CLIENT_NOT_ALLOWED", "a client token may not call this procedure");
      req.contextValues.set(principalKey, { tenantId: claim.tenantId, name: `client:${claim.sessionId}`, scopes: new Set<Scope>(), sessionId: claim.sessionId });
      return next(req);
    }
    const key = await lookup(hashApiKey(match[1]));
    if (!key) throw reasonError("UNAUTHENTICATED", "the API key is not valid");
    if (!key.scopes.includes(access.scope)) {
      throw reasonError("SCOPE_MISSING", `the API key lacks the '${access.scope}' scope`);
    }
    req.contextValues.set(principalKey, { tenantId: key.tenantId, name: `key:${key.id}`, scopes: new Set(key.scopes) });
    return next(req);
  };
}
